"""The US HIFO and min-tax reports' walk through a history, at size: :class:`CostWalk`.

It does what :meth:`LotBook.add <trimtab.tax.lots.LotBook.add>` and :meth:`LotBook.consume
<trimtab.tax.lots.LotBook.consume>` with :data:`~trimtab.tax.lots.hifo` or
:func:`~trimtab.tax.lots.min_tax` do, universal pool and hand-over included (see :mod:`trimtab.tax.us`),
with the same arithmetic on the same operands in the same order, so the rows and the lots left are the
same to the last digit and exponent (tests/tax/test_fast_equivalence.py holds it to that), as
:class:`~trimtab.tax.fifo_walk.FifoWalk` does for FIFO.

Why: a HIFO or min-tax sale before 2025 takes the high-cost pieces of other wallets, and the seller
hands over its *oldest* units, which on a long history are ever more, ever smaller pieces of old
low-cost lots that neither order sells: they pass from wallet to wallet, and the book moves them one
by one, so a hand-over costs more as the history grows (quadratic). Here a lot's pieces in one wallet
are a :class:`~trimtab.tax.piece_tree.Strand` with running units: a hand-over splits the pieces it moves
whole off the seller's strand and joins them to the target's in O(log n). A sale finds its pieces in
heaps by unit cost (:mod:`trimtab.tax.cost_index`), as the book's, whose items stay valid when a piece
moves. Each wallet keeps a heap of the lots it holds pieces of, first in, first out (a lot's number
is its FIFO place when the acquisitions come in time order).

The sums of units (a wallet's, a strand's, what is left to take) are exact: :meth:`CostWalk.add` and
:meth:`CostWalk.consume` make :data:`~trimtab.tax.lot_register.EXACT` the current context for their
work and put the caller's back after it; the rounded arithmetic (a share of a cost, a unit cost) is
done in the caller's context, named (``rounded``), as the book does it.

A sale the book would refuse is refused with the book's own error, word for word (the walk asks a
:class:`~trimtab.tax.lots.LotBook` made from the same lots).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Context, Decimal, getcontext, setcontext
from typing import Final
from zoneinfo import ZoneInfo

from trimtab.errors import TaxError
from trimtab.tax.cost_index import CostOrder, Holding, Item, MinTaxOrder, Pool
from trimtab.tax.lot_index import Entry
from trimtab.tax.lot_register import EXACT
from trimtab.tax.lots import LotBook, StandingOrder
from trimtab.tax.model import Lot
from trimtab.tax.normalize import Acquisition
from trimtab.tax.piece_tree import (
    LotRecord,
    Piece,
    Strand,
    first,
    locate,
    merge,
    pieces,
    remove,
    resize,
    split_units,
    unlink,
)

_sub: Final = EXACT.subtract
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


Taken = tuple[LotRecord | None, str, Decimal, Decimal]
"""A consumed piece: its lot, the wallet it was in, the amount and its cost."""


class CostWalk:
    """Lots bought and sold highest cost first (``"hifo"``) or by min-tax (see the module docstring)."""

    def __init__(self, kind: str, zone: ZoneInfo) -> None:
        if kind not in {"hifo", "min-tax"}:
            raise ValueError(f"CostWalk walks hifo or min-tax, not {kind!r}")
        self._kind = kind
        self._zone = zone
        self._pools: dict[str, Pool] = {}
        self._next_id = 1
        self._seq = 0
        self._last = datetime.min.replace(tzinfo=UTC)

    def add(self, acquisition: Acquisition) -> None:
        """A new lot (the next id) for ``acquisition``, as :meth:`LotBook.add`."""
        a = acquisition
        self.acquire(a.asset, a.wallet, a.amount, a.cost, a.time, a.line)

    def acquire(  # noqa: PLR0917 (an Acquisition's fields, in their order)
        self, asset: str, wallet: str, amount: Decimal, cost: Decimal, time: datetime, line: int
    ) -> None:
        """:meth:`add` of the acquisition of these fields (without making it)."""
        if amount <= 0:
            raise TaxError(f"line {line}: acquired amount must be > 0, got {amount}")
        if time < self._last:
            raise ValueError(f"line {line}: acquisitions must come in time order")
        self._last = time
        lot = LotRecord(self._next_id, time)
        self._next_id += 1
        self._seq += 1
        pool = self._pools.get(asset)
        if pool is None:
            pool = self._pools[asset] = Pool()
        piece = Piece(amount, cost, self._seq, lot)
        rounded = getcontext()
        setcontext(EXACT)  # the sums of units, exact (see the module docstring)
        try:
            self._strand(pool, lot, wallet).append(piece)
            holding = pool.wallets[wallet]
            holding.units = holding.units + amount
        finally:
            setcontext(rounded)
        holding.live += 1
        pool.live += 1
        self._register(pool, wallet, piece, rounded)

    @staticmethod
    def _strand(pool: Pool, lot: LotRecord, wallet: str) -> Strand:
        """``wallet``'s strand of ``lot`` (made, and the lot put in the wallet's heap, if need be)."""
        strand = lot.strands.get(wallet)
        if strand is None:
            strand = lot.strands[wallet] = Strand(lot, wallet)
            holding = pool.wallets.get(wallet)
            if holding is None:
                holding = pool.wallets[wallet] = Holding()
            _heappush(holding.heap, (lot.number, lot))
            if len(holding.heap) > holding.prune_at:
                # Sales empty strands anywhere, not only at the front: drop those lots now and then.
                kept = []
                for entry in holding.heap:
                    held = entry[1].strands[wallet]
                    if held.root is not None or held is strand:
                        kept.append(entry)
                    else:
                        del entry[1].strands[wallet]
                heapq.heapify(kept)
                holding.heap = kept
                holding.prune_at = 2 * len(kept) + 64
        return strand

    @staticmethod
    def _item(piece: Piece, rounded: Context) -> Item:
        lot = piece.lot
        assert lot is not None
        key = piece.key = rounded.divide(piece.cost, piece.amount).copy_negate()
        return Item(key, lot.number, piece, piece.version)

    def _register(self, pool: Pool, wallet: str, piece: Piece, rounded: Context) -> None:
        """``piece`` (new, or changed: one version on) into the heaps over its wallet.

        A piece made smaller keeps its unit cost more often than not: then its item of the version
        before stands for it again (the version is put back), and nothing is pushed. (Every piece of
        a heap's wallets has an item of its version there, ``key`` its key; a piece changes only
        while a heap over its wallet is there, once before it is registered.)"""
        if not pool.indexes:
            return
        key = rounded.divide(piece.cost, piece.amount).copy_negate()
        if piece.key is not None and key == piece.key:
            piece.version -= 1
            return
        lot = piece.lot
        assert lot is not None
        item = Item(key, lot.number, piece, piece.version)
        piece.key = None
        for scope, index in pool.indexes.items():
            if scope is None or scope == wallet:
                index.push(item)
                piece.key = key

    def _items(self, pool: Pool, scope: str | None, rounded: Context) -> Iterator[Item]:
        for wallet, holding in pool.wallets.items():
            if scope is None or scope == wallet:
                for _, lot in holding.heap:
                    strand = lot.strands.get(wallet)
                    if strand is not None:
                        for piece in pieces(strand.root):
                            yield self._item(piece, rounded)

    def _index(self, pool: Pool, scope: str | None, rounded: Context) -> CostOrder:
        """The heap over ``scope``, made the first time it is asked for (the heaps of the other
        pool, every wallet or per wallet, are dropped then: a history changes pools once)."""
        index = pool.indexes.get(scope)
        if index is None:
            for other in list(pool.indexes):
                if (other is None) != (scope is None):
                    del pool.indexes[other]
            items = self._items(pool, scope, rounded)
            index = MinTaxOrder(self._zone, items) if self._kind == "min-tax" else CostOrder(items)
            pool.indexes[scope] = index
        return index

    def consume(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: StandingOrder,
        *,
        universal: bool,
        when: datetime,
        line: int,
    ) -> list[Taken]:
        """Remove ``amount`` of ``asset`` sold from ``wallet`` in ``order`` (this walk's kind), as
        :meth:`LotBook.consume`; returns the consumed pieces in order."""
        pool = self._pools.get(asset)
        holding = pool.wallets.get(wallet) if pool is not None else None
        if (
            amount <= 0
            or pool is None
            or holding is None
            or not self._covers(pool, holding, wallet, amount)
            or amount > holding.units
        ):
            raise self.book().refusal(asset, wallet, amount, order, universal=universal, when=when, line=line)
        rounded = getcontext()
        setcontext(EXACT)  # the sums of units, exact (see the module docstring)
        try:
            return self._consume(pool, holding, wallet, amount, order, universal, rounded)
        finally:
            setcontext(rounded)

    def _consume(  # noqa: PLR0917 (consume's facts, passed on)
        self,
        pool: Pool,
        holding: Holding,
        wallet: str,
        amount: Decimal,
        order: StandingOrder,
        universal: bool,
        rounded: Context,
    ) -> list[Taken]:
        holding.units = holding.units - amount
        scope = None if universal else wallet
        index = self._index(pool, scope, rounded)
        if isinstance(index, MinTaxOrder):
            if index.advance(order.disposed):
                index.rebuild(self._items(pool, scope, rounded))
            index.start_at(order.unit_price, rounded)
        else:
            index.start()
        taken = self._take(pool, index, amount, rounded)
        index.settle()
        for piece in taken:
            if piece[1] != wallet:
                self._hand_over(pool, wallet, taken, rounded)
                break
        for each, kept in pool.indexes.items():
            live = pool.live if each is None else pool.wallets[each].live
            if kept.size() > kept.factor * live + 64:
                kept.compact()
        return taken

    def _take(self, pool: Pool, index: CostOrder, amount: Decimal, rounded: Context) -> list[Taken]:
        """The pieces ``index`` walks until ``amount`` is covered, taken out (the last one in part)."""
        taken: list[Taken] = []
        left = amount
        while True:
            piece = index.next()
            if piece is None:
                break
            units = piece.amount
            piece.version += 1  # its items are stale from here: consumed, or changed
            if units <= left:  # all of it (min(left, units) is ``left`` on a tie)
                strand = remove(piece)
                holding = pool.wallets[strand.wallet]
                holding.live -= 1
                pool.live -= 1
                if units == left:
                    taken.append((strand.lot, strand.wallet, left, piece.cost))
                    return taken
                taken.append((strand.lot, strand.wallet, units, piece.cost))
                left = left - units
            else:
                cost = rounded.divide(rounded.multiply(piece.cost, left), units)
                strand, _ = locate(piece)
                resize(piece, units - left, piece.cost - cost)
                self._register(pool, strand.wallet, piece, rounded)
                taken.append((strand.lot, strand.wallet, left, cost))
                return taken
        raise AssertionError("the exact units said the wallet holds the amount")

    def _hand_over(  # noqa: PLR0915 (one hot loop: a helper would cost a call per strand)
        self, pool: Pool, wallet: str, taken: list[Taken], rounded: Context
    ) -> None:
        """``wallet`` hands its oldest units to the wallet of each consumed piece of another wallet, as
        many as the piece (:meth:`LotBook._hand_over <trimtab.tax.lots.LotBook._hand_over>`), one
        after the other. The pieces handed whole move as one run; a part is a new piece."""
        seller = pool.wallets[wallet]
        heap = seller.heap
        seq = self._seq
        # The seller's oldest piece, made smaller for one target, may go on to the next ones: its
        # heap item is made once, at the end (``changed``: the piece, its lot and its wallet now).
        changed: tuple[Piece, LotRecord, str] | None = None
        for _, target, amount, _ in taken:
            if target == wallet:
                continue
            into = pool.wallets[target]
            left = amount
            while True:
                lot = heap[0][1]  # the seller's oldest lot (it holds enough: see consume)
                strand = lot.strands.get(wallet)
                if strand is None or strand.root is None:
                    _heappop(heap)
                    lot.strands.pop(wallet, None)
                    continue
                root = strand.root
                if root.total <= left:  # all of it (often: a strand of one piece)
                    run, rest = root, None
                elif first(root).amount > left:  # only a part of its oldest piece
                    run, rest = None, root
                else:
                    run, rest = split_units(root, left)
                strand.root = rest  # Strand.set_root, inlined (as the appends below)
                if rest is not None:
                    rest.parent = None
                    rest.strand = strand
                if run is not None:
                    if changed is not None and changed[1] is lot and changed[2] == wallet:
                        changed = (changed[0], lot, target)  # it was the oldest: it moved
                    run.base = seq + 1  # the places the book gives them, one after the other
                    seq += run.size
                    seller.live -= run.size
                    into.live += run.size
                    left = left - run.total
                    joined = lot.strands.get(target) or self._strand(pool, lot, target)
                    if joined.root is not None:
                        run = merge(joined.root, run)
                        assert run is not None
                    joined.root = run
                    run.parent = None
                    run.strand = joined
                    if not left:
                        break
                if rest is None:
                    continue
                # The oldest piece left holds more than is still to hand: a part of it goes.
                piece = first(rest)
                units, cost = piece.amount, piece.cost
                share = rounded.divide(rounded.multiply(cost, left), units)
                seq += 1
                part = Piece(left, share, seq, lot)
                joined = lot.strands.get(target) or self._strand(pool, lot, target)
                tree = merge(joined.root, part) if joined.root is not None else part
                assert tree is not None
                joined.root = tree
                tree.parent = None
                tree.strand = joined
                into.live += 1
                pool.live += 1
                self._register(pool, target, part, rounded)
                if changed is None or changed[0] is not piece:
                    if changed is not None:
                        self._register(pool, changed[2], changed[0], rounded)
                    piece.version += 1
                    changed = (piece, lot, wallet)
                resize(piece, units - left, cost - share)
                break
        if changed is not None:
            self._register(pool, changed[2], changed[0], rounded)
        self._seq = seq

    def _covers(self, pool: Pool, holding: Holding, wallet: str, amount: Decimal) -> bool:
        """Whether ``wallet`` holds ``amount``, as the book's ``_covers`` decides it (see
        :meth:`FifoWalk._covers <trimtab.tax.fifo_walk.FifoWalk._covers>`)."""
        units = holding.units
        if units:
            gap = _sub(units, amount)
            digits = self._seq.bit_length() // 3 + 1
            if gap and gap.adjusted() >= units.adjusted() - getcontext().prec + 2 + digits:
                return amount <= units
        return amount <= holding.held(wallet)

    def release(self) -> None:
        """Let the lots and pieces go now: their links (parent and child, strand and root, lot and
        strand) are cycles, which the cyclic collector would otherwise have to find, all of them.
        The walk is empty after it."""
        for pool in self._pools.values():
            pool.indexes.clear()
            for holding in pool.wallets.values():
                for _, lot in holding.heap:
                    for strand in lot.strands.values():
                        unlink(strand.root)
                        strand.root = None
                    lot.strands.clear()
                holding.heap.clear()
        self._pools.clear()

    def book(self) -> LotBook:
        """The open lots as a :class:`LotBook` (same ids, amounts, costs, wallets and places).

        The cost heaps are dropped first, to make room for the book (a walk that goes on makes them again)."""
        for pool in self._pools.values():
            pool.indexes.clear()
        book = LotBook()
        for asset, pool in self._pools.items():
            for wallet, holding in pool.wallets.items():
                book._wallet(asset, wallet)
                for _, lot in holding.heap:
                    strand = lot.strands.get(wallet)
                    for piece in pieces(strand.root if strand is not None else None):
                        lot_of = Lot(lot.lot_id, asset, wallet, piece.amount, piece.cost, lot.acquired)
                        book._register(Entry(lot_of, piece.seq, (lot.number,)))
        book._next_id = self._next_id
        book._seq = self._seq
        return book

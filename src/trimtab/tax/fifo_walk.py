"""The US FIFO report's walk through a history, at size: :class:`FifoWalk`.

It does what :meth:`LotBook.add <trimtab.tax.lots.LotBook.add>` and :meth:`LotBook.consume
<trimtab.tax.lots.LotBook.consume>` with :data:`~trimtab.tax.lots.fifo` do, universal pool and
hand-over included (see :mod:`trimtab.tax.us`), with the same arithmetic on the same operands in the
same order, so the rows and the lots left are the same to the last digit (and the same Decimal
exponents); tests/tax/test_fast_equivalence.py holds it to that. :meth:`FifoWalk.book` gives the
lots left as a :class:`~trimtab.tax.lots.LotBook` for everything else (previews, harvesting).

Why a second bookkeeping: before 2025 a sale hands the selling wallet's oldest units to every wallet
whose lot it consumed, which on a long history makes several lot pieces per sale. The book keeps each
piece as a frozen ``Lot`` in an entry with an item in a heap; here a lot is kept once (:class:`_Lot`:
one heap item per wallet holding some of it, one place in the pool over every wallet) and its pieces
are small ``[amount, cost, place]`` lists in a queue per wallet, taken from the front and handed to
the back. The FIFO order over every wallet (acquisition time, lot id, wallet, place in the wallet) is
the lots in the order they came, each lot's wallets by name, each queue in order.

A sale the book would refuse is refused with the book's own error, word for word: the walk asks a
:class:`~trimtab.tax.lots.LotBook` made from the same lots (it refuses before changing anything).
"""

from __future__ import annotations

import heapq
from collections import deque
from datetime import UTC, datetime
from decimal import Context, Decimal, getcontext, setcontext
from typing import Any

from trimtab.errors import TaxError
from trimtab.model.money import ZERO
from trimtab.tax.lot_index import Entry
from trimtab.tax.lot_register import EXACT
from trimtab.tax.lots import LotBook, fifo
from trimtab.tax.model import Lot
from trimtab.tax.normalize import Acquisition

_sub = EXACT.subtract
_add = EXACT.add


class _Lot:
    """One lot id: its facts, and its open pieces by wallet (each queue in the order they came)."""

    __slots__ = ("acquired", "lot_id", "number", "pieces")

    def __init__(self, number: int, acquired: datetime, pieces: dict[str, list[Piece]]) -> None:
        self.number = number  # the lot's id, and its place in FIFO order (see FifoWalk.add)
        self.lot_id = str(number)
        self.acquired = acquired
        # A wallet is a key here exactly while the lot is in that wallet's heap (its queue may be
        # empty until the heap drops the lot on meeting it).
        self.pieces = pieces


Piece = list[Any]
"""An open piece of a lot in one wallet: ``[amount, cost, seq]`` (``seq``: its place, the book's entry
``seq``). A list, not an object: a long history makes hundreds of thousands of them."""


HeapItem = tuple[int, _Lot]  # (the lot's number, the lot)


class _Holding:
    """One wallet's lots of one asset: a heap of them in FIFO order, and its units (exact)."""

    __slots__ = ("heap", "units")

    def __init__(self) -> None:
        self.heap: list[HeapItem] = []
        self.units = ZERO


class _Pool:
    """One asset: every lot with open pieces in FIFO order (the universal pool), and the wallets."""

    __slots__ = ("lots", "prune_at", "wallets")

    def __init__(self) -> None:
        self.lots: deque[_Lot] = deque()  # FIFO order is the order they came in
        self.prune_at = 64
        self.wallets: dict[str, _Holding] = {}


Taken = tuple[_Lot, str, Decimal, Decimal]
"""A consumed piece: its lot, the wallet it was in, the amount and its cost."""


class FifoWalk:
    """Lots bought and sold first in, first out, universal pool or per wallet (see the module docstring)."""

    def __init__(self) -> None:
        self._pools: dict[str, _Pool] = {}
        self._next_id = 1
        self._seq = 0
        self._last = datetime.min.replace(tzinfo=UTC)

    def add(self, acquisition: Acquisition) -> None:
        """A new lot (the next id) for ``acquisition``, as :meth:`LotBook.add`."""
        if acquisition.amount <= 0:
            raise TaxError(f"line {acquisition.line}: acquired amount must be > 0, got {acquisition.amount}")
        # FIFO orders lots by acquisition time, then id: acquisitions in time order get their ids in
        # that order too, so a lot's number is its place (the report walks records in time order).
        if acquisition.time < self._last:
            raise ValueError(f"line {acquisition.line}: acquisitions must come in time order")
        self._last = acquisition.time
        number = self._next_id
        self._next_id = number + 1
        self._seq += 1
        lot = _Lot(
            number,
            acquisition.time,
            {acquisition.wallet: [[acquisition.amount, acquisition.cost, self._seq]]},
        )
        pool = self._pools.get(acquisition.asset)
        if pool is None:
            pool = self._pools[acquisition.asset] = _Pool()
        holding = pool.wallets.get(acquisition.wallet)
        if holding is None:
            holding = pool.wallets[acquisition.wallet] = _Holding()
        pool.lots.append(lot)
        if len(pool.lots) > pool.prune_at:
            # Sales per wallet (from 2025) empty lots anywhere in the pool, not only at its front:
            # drop them now and then (a lot that has lost all its pieces never gets one back).
            pool.lots = deque(each for each in pool.lots if any(each.pieces.values()))
            pool.prune_at = 2 * len(pool.lots) + 64
        heapq.heappush(holding.heap, (number, lot))
        holding.units = _add(holding.units, acquisition.amount)

    def consume(
        self, asset: str, wallet: str, amount: Decimal, *, universal: bool, when: datetime, line: int
    ) -> list[Taken]:
        """Remove ``amount`` of ``asset`` sold from ``wallet``, as :meth:`LotBook.consume` with FIFO;
        returns the consumed pieces in order."""
        pool = self._pools.get(asset)
        holding = pool.wallets.get(wallet) if pool is not None else None
        if (
            amount <= 0
            or pool is None
            or holding is None
            or not self._covers(holding, wallet, amount)
            # held() rounded up: the book's walk or its hand-over runs out (amounts of over 28 digits)
            or amount > holding.units
        ):
            raise self.book().refusal(asset, wallet, amount, fifo, universal=universal, when=when, line=line)
        # The seller ends up with ``amount`` fewer units, whichever pieces go; every other wallet
        # gets back, by the hand-over, as many units as the sale took from it.
        holding.units = _sub(holding.units, amount)
        # From here the wallet holds ``amount`` exactly. Units and costs are added and subtracted
        # exactly, by operators in the exact context; a part's pro-rata cost is worked out in the
        # caller's context, as the book does it.
        rounded = getcontext()
        setcontext(EXACT)
        try:
            if universal:
                taken = self._take_pool(pool, amount, rounded)
            else:
                taken = self._take_own(holding, wallet, amount, rounded)
            for piece in taken:
                if piece[1] != wallet:
                    self._hand_over(pool, wallet, taken, rounded)
                    break
        finally:
            setcontext(rounded)
        return taken

    def _take_pool(self, pool: _Pool, amount: Decimal, rounded: Context) -> list[Taken]:
        """The oldest ``amount`` units of every wallet, taken out."""
        lots = pool.lots
        taken: list[Taken] = []
        left = amount
        while lots:
            lot = lots[0]
            pieces = lot.pieces
            for wallet in sorted(pieces) if len(pieces) > 1 else list(pieces):
                queue = pieces[wallet]
                while queue:
                    piece = queue[0]
                    units = piece[0]
                    if units <= left:  # all of it (min(left, units) is ``left`` on a tie)
                        del queue[0]
                        if units == left:
                            taken.append((lot, wallet, left, piece[1]))
                            return taken
                        taken.append((lot, wallet, units, piece[1]))
                        left -= units
                    else:
                        cost = rounded.divide(rounded.multiply(piece[1], left), units)
                        piece[0] = units - left
                        piece[1] -= cost
                        taken.append((lot, wallet, left, cost))
                        return taken
            lots.popleft()  # every piece of it is gone (a lot never gets pieces back)
        raise AssertionError("the exact units said the wallet holds the amount")

    def _take_own(self, holding: _Holding, wallet: str, amount: Decimal, rounded: Context) -> list[Taken]:
        """The oldest ``amount`` units of ``wallet``, taken out."""
        heap = holding.heap
        taken: list[Taken] = []
        left = amount
        while heap:
            lot = heap[0][1]
            queue = lot.pieces.get(wallet)
            if not queue:
                heapq.heappop(heap)
                lot.pieces.pop(wallet, None)
                continue
            piece = queue[0]
            units = piece[0]
            if units <= left:
                del queue[0]
                if units == left:
                    taken.append((lot, wallet, left, piece[1]))
                    return taken
                taken.append((lot, wallet, units, piece[1]))
                left -= units
            else:
                cost = rounded.divide(rounded.multiply(piece[1], left), units)
                piece[0] = units - left
                piece[1] -= cost
                taken.append((lot, wallet, left, cost))
                return taken
        raise AssertionError("the exact units said the wallet holds the amount")

    def _hand_over(  # noqa: PLR0915 (one hot loop: a helper would cost a call per piece)
        self, pool: _Pool, wallet: str, taken: list[Taken], rounded: Context
    ) -> None:
        """``wallet`` hands its oldest units to the wallet of each consumed piece of another wallet, as
        many as the piece (:meth:`LotBook._hand_over <trimtab.tax.lots.LotBook._hand_over>`), one
        after the other: a piece that straddles two of them is split for the first, its rest for the
        second. A piece handed whole is moved (the same record, a new place); a part is a new record.
        The other wallets' units do not change (they get back what the sale took from them)."""
        heap = pool.wallets[wallet].heap
        seq = self._seq
        lot: _Lot | None = None
        queue: list[Piece] = []  # the seller's pieces of ``lot``
        piece: Piece | None = None  # the one being handed (queue[0]); ``units``, ``cost``: what is left
        units = cost = ZERO
        target = wallet
        into_queue: list[Piece] = []  # the target's pieces of ``into_lot``
        into_lot: _Lot | None = None
        for _, to, amount, _ in taken:
            if to == wallet:
                continue
            if to != target:
                target, into_lot = to, None
            left = amount
            while True:
                if piece is None:
                    while not queue:  # the seller's oldest lot (it holds enough: see consume)
                        lot = heap[0][1]
                        queue = lot.pieces.get(wallet) or []
                        if not queue:
                            heapq.heappop(heap)
                            lot.pieces.pop(wallet, None)
                    piece = queue[0]
                    units, cost = piece[0], piece[1]
                if into_lot is not lot:
                    assert lot is not None
                    into_lot = lot
                    found = lot.pieces.get(target)
                    if found is None:
                        found = lot.pieces[target] = []
                        heapq.heappush(pool.wallets[target].heap, (lot.number, lot))
                    into_queue = found
                seq += 1
                if left >= units:  # the rest of the piece goes: the record moves
                    del queue[0]
                    piece[0], piece[1], piece[2] = units, cost, seq
                    into_queue.append(piece)
                    piece = None
                    if left == units:
                        break
                    left -= units
                else:
                    share = rounded.divide(rounded.multiply(cost, left), units)
                    into_queue.append([left, share, seq])
                    units -= left
                    cost -= share
                    break
        if piece is not None:  # what is left of it stays, in its place
            piece[0], piece[1] = units, cost
        self._seq = seq

    def _covers(self, holding: _Holding, wallet: str, amount: Decimal) -> bool:
        """Whether ``wallet`` holds ``amount``, as the book's ``_covers`` decides it."""
        units = holding.units
        if units:
            # The book's band is 10 ** (units.adjusted() - prec + 2) times the wallet's open lots;
            # here it is wider (times every piece ever made, at most 10 ** digits): inside it, held()
            # decides, as it would in the book's band; outside both, the exact units do.
            gap = _sub(units, amount)
            digits = self._seq.bit_length() // 3 + 1
            if gap and gap.adjusted() >= units.adjusted() - getcontext().prec + 2 + digits:
                return amount <= units
        return amount <= self._held(holding, wallet)

    @staticmethod
    def _held(holding: _Holding, wallet: str) -> Decimal:
        """The units of ``wallet``, added up as :meth:`LotBook.held` adds them (in their order)."""
        pieces = sorted(
            (piece for _, lot in holding.heap for piece in lot.pieces.get(wallet, ())),
            key=lambda piece: piece[2],
        )
        total = ZERO
        for piece in pieces:
            total += piece[0]
        return total

    def book(self) -> LotBook:
        """The open lots as a :class:`LotBook` (same ids, amounts, costs, wallets and places)."""
        book = LotBook()
        for asset, pool in self._pools.items():
            for wallet, holding in pool.wallets.items():
                book._wallet(asset, wallet)
                for _, lot in holding.heap:
                    for piece in lot.pieces.get(wallet, ()):
                        lot_of = Lot(lot.lot_id, asset, wallet, piece[0], piece[1], lot.acquired)
                        book._register(Entry(lot_of, piece[2], (lot.number,)))
        book._next_id = self._next_id
        book._seq = self._seq
        return book

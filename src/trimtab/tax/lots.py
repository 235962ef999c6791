"""A lot book: the open lots of every (asset, wallet), and the orders in which a sale consumes them.

Every acquisition becomes a :class:`~trimtab.tax.model.Lot` with the next id (``"1"``, ``"2"``, ...).
A sale consumes lots in an *order* (:data:`LotOrder`, :mod:`trimtab.tax.lot_orders`): :data:`fifo`
(acquisition time, then id), :data:`hifo` (highest unit cost first), :func:`min_tax`, :func:`by_key`
(any standing rule) or :func:`specific` (an explicit list of lot ids).

At size: the book keeps heaps of the open lots (:mod:`trimtab.tax.lot_index`), so a sale in one of
the standing orders (fifo, hifo, min-tax) costs the log of the lots held for each lot it touches,
not a sort of them all; other orders sort the candidates, as the rules are written. Both give the
same lots in the same order.

A partly consumed lot is split: the consumed piece and the rest keep the lot's id, and the cost is
shared pro rata to the amount. The rest keeps ``cost - piece cost`` computed exactly, so over a
lot's life the pieces' costs add up to its cost to the last digit.

Pools: a sale normally consumes lots of its own wallet only (per-wallet lots: US Treas.
Reg. §1.1012-1(j) from 2025, BMF 06.03.2025 Rz. 61-62 in Germany). With ``universal=True`` it may
consume the lots of any wallet holding the asset (the US "universal" approach before 2025). The units
still leave the *selling* wallet, so to keep every wallet's lots adding up to the units it holds, the
selling wallet hands as many of its own remaining units (its oldest first) to each wallet whose lot
was consumed: the units stay where they are, the basis moves. See :mod:`trimtab.tax.us` for why.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from trimtab.errors import TaxError
from trimtab.model.money import ZERO
from trimtab.tax.lot_index import Entry, Item, LotIndex, MinTaxIndex, id_key
from trimtab.tax.lot_orders import (
    LotOrder,
    StandingOrder,
    by_key,
    fifo,
    fifo_key,
    hifo,
    ids,
    lot_id_key,
    min_tax,
    min_tax_key,
    specific,
)
from trimtab.tax.lot_register import EXACT, LotRegister, Pair, _Wallet, lots_of, moved, place, where
from trimtab.tax.model import Lot
from trimtab.tax.normalize import Acquisition

# The orders live in lot_orders; they are re-exported here, where callers have always found them.
__all__ = [
    "LotBook",
    "LotOrder",
    "Oversold",
    "StandingOrder",
    "allocate",
    "by_key",
    "exact_sub",
    "fifo",
    "fifo_key",
    "hifo",
    "lot_id_key",
    "min_tax",
    "min_tax_key",
    "specific",
]


class Oversold(TaxError):
    """A sale of more units than the wallet holds: the history of how they got there is missing."""


def exact_sub(a: Decimal, b: Decimal) -> Decimal:
    """``a - b`` without rounding (addition and subtraction are exact at unlimited precision)."""
    return EXACT.subtract(a, b)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` pro rata to ``weights``; the last share is the exact rest, so the shares add up
    to ``total`` exactly.

    >>> allocate(Decimal(100), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('33.33333333333333333333333333'), Decimal('33.33333333333333333333333333'), Decimal('33.33333333333333333333333334')]
    """
    whole = sum(weights, ZERO)
    shares: list[Decimal] = []
    rest = total
    for i, weight in enumerate(weights):
        share = rest if i == len(weights) - 1 else total * weight / whole
        shares.append(share)
        rest = exact_sub(rest, share)
    return shares


class LotBook(LotRegister):
    """Open lots per asset and wallet. Lots are immutable; the book replaces them as they are split."""

    def copy(self) -> LotBook:
        """An independent copy (lots are immutable, so only the book's own records are copied)."""
        other = LotBook()
        for asset, held in self._assets.items():
            for wallet in held.wallets:
                other._wallet(asset, wallet)
                for entry in sorted(self._entries(asset, wallet), key=lambda entry: entry.seq):
                    assert entry.lot is not None
                    other._register(Entry(entry.lot, entry.seq, entry.idkey))
        other._next_id = self._next_id
        other._sub_ids = dict(self._sub_ids)
        other._seq = self._seq
        return other

    def add(self, acquisition: Acquisition) -> Lot:
        """A new lot for ``acquisition`` (its cost includes the fees), with the next id."""
        if acquisition.amount <= 0:
            raise TaxError(f"line {acquisition.line}: acquired amount must be > 0, got {acquisition.amount}")
        lot = Lot(
            str(self._next_id),
            acquisition.asset,
            acquisition.wallet,
            acquisition.amount,
            acquisition.cost,
            acquisition.time,
        )
        self._next_id += 1
        self._put(lot, (self._next_id - 1,))
        return lot

    def open_lots(self, asset: str | None = None, wallet: str | None = None) -> tuple[Lot, ...]:
        """The open lots (optionally of one asset and/or wallet), first in, first out. Read-only."""
        found = [
            entry for a in self._assets if asset is None or a == asset for entry in self._entries(a, wallet)
        ]
        found.sort(key=place)
        return tuple(entry.lot for entry in found if entry.lot is not None)

    def pick(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder = fifo,
        *,
        universal: bool = False,
        when: datetime | None = None,
        line: int = 0,
    ) -> list[Lot]:
        """The pieces a sale of ``amount`` would consume, without changing the book (a dry run).

        Each piece is a :class:`Lot` with the consumed amount and its pro-rata share of the cost (the
        whole rest of the cost when it takes the rest of the lot). Raises :class:`TaxError` when the
        wallet (or the specifically identified lots) hold less than ``amount``.
        """
        pairs, index = self._plan(asset, wallet, amount, order, universal, when, line)
        if index is not None:
            index.settle()
        return [piece for _, piece in pairs]

    def _plan(  # noqa: PLR0917 (private: the same arguments as pick, passed through)
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder,
        universal: bool,
        when: datetime | None,
        line: int,
    ) -> tuple[list[Pair], LotIndex | None]:
        """(open lot's entry, consumed piece of it) pairs for :meth:`pick`, and the index whose walk
        took them out (to :meth:`~LotIndex.settle` once the pieces are taken, or not)."""
        if amount <= 0:
            raise TaxError(f"selling {amount} {where(asset, wallet, when, line)}: amount must be > 0")
        if not self._covers(asset, wallet, amount):
            held = self.held(asset, wallet)
            raise Oversold(f"selling {amount} {where(asset, wallet, when, line)}: it holds only {held}")
        scope = None if universal else wallet
        index: LotIndex | None = None
        if isinstance(order, StandingOrder):
            index = self._index(asset, scope, order)
            if isinstance(index, MinTaxIndex):
                index.advance(order.disposed, lambda: self._entries(asset, scope))
                walk = index.walk_at(order.unit_price)
            else:
                walk = index.walk()
        else:
            candidates = sorted(self._entries(asset, scope), key=place)
            by_lot = {id(entry.lot): entry for entry in candidates}
            walk = (by_lot[id(lot)] for lot in order(tuple(lots_of(candidates))))
        pairs: list[Pair] = []
        left = amount
        for entry in walk:
            lot = entry.lot
            assert lot is not None
            take = min(left, lot.amount)
            cost = lot.cost if take == lot.amount else lot.cost * take / lot.amount
            pairs.append((entry, Lot(lot.lot_id, lot.asset, lot.wallet, take, cost, lot.acquired)))
            left = EXACT.subtract(left, take)
            if left == 0:
                break
        if left > 0:
            if index is not None:
                index.settle()
            ordered = order(tuple(lots_of(sorted(self._entries(asset, scope), key=place))))
            chosen = sum((lot.amount for lot in ordered), ZERO)
            raise TaxError(
                f"selling {amount} {where(asset, wallet, when, line)}: the chosen lots "
                f"{', '.join(ids(ordered)) or '(none)'} hold only {chosen}"
            )
        return pairs, index

    def consume(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder = fifo,
        *,
        universal: bool = False,
        when: datetime | None = None,
        line: int = 0,
    ) -> list[Lot]:
        """Remove ``amount`` of ``asset`` sold from ``wallet``; returns the consumed pieces (see
        :meth:`pick`). With ``universal``, lots of other wallets may be consumed and the selling wallet
        then hands its own oldest units to them (see the module docstring)."""
        pieces = self._take(*self._plan(asset, wallet, amount, order, universal, when, line))
        foreign = [piece for piece in pieces if piece.wallet != wallet]
        if foreign:
            self._hand_over(asset, wallet, foreign, when, line)
        self._settle(asset)
        return pieces

    def refusal(
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder,
        *,
        universal: bool,
        when: datetime,
        line: int,
    ) -> TaxError:
        """The error :meth:`consume` raises for this sale, its message word for word: a faster walk
        that cannot make a sale hands it here. The book is left as a refused sale leaves it."""
        try:
            self.consume(asset, wallet, amount, order, universal=universal, when=when, line=line)
        except TaxError as error:
            return error
        raise AssertionError(f"a walk refused a sale the book makes: {amount} {asset} from {wallet}")

    def _hand_over(
        self, asset: str, wallet: str, pieces: list[Lot], when: datetime | None, line: int
    ) -> None:
        """``wallet`` hands its oldest units to the wallet of each of ``pieces``, as many as the piece.

        As if each hand-over were a FIFO sale of its own, one after the other: a lot that straddles
        two of them is split for the first and its rest for the second, with the same arithmetic."""
        held = self._assets[asset]
        seller = held.wallets[wallet]
        walk = seller.lots.walk()
        # Inlined _put/_retire (a history hands over millions of pieces): each target wallet's
        # record and the other heaps over it (HIFO, min-tax) that a new lot goes into.
        targets: dict[str, tuple[_Wallet, list[Item], list[LotIndex]]] = {}
        seq = self._seq
        entry: Entry | None = None
        current: Lot | None = None  # the lot being handed; ``units`` and ``cost`` are what is left of it
        units = cost = ZERO
        for piece in pieces:
            left = piece.amount
            target = piece.wallet
            found = targets.get(target)
            if found is None:
                into = self._wallet(asset, target)
                heaps = [index for (scope, _), index in held.indexes.items() if scope in (None, target)]
                found = targets[target] = (into, into.lots.heap, heaps)
            into, heap, heaps = found
            while left:
                if current is None:
                    entry = next(walk, None)
                    if entry is None:  # only when held() rounds (amounts of over 28 digits)
                        self._seq = seq
                        seller.lots.settle()
                        raise Oversold(
                            f"selling {piece.amount} {where(asset, wallet, when, line)}: "
                            f"it holds only {self.held(asset, wallet)}"
                        )
                    current = entry.lot
                    assert current is not None
                    units, cost = current.amount, current.cost
                assert entry is not None
                whole = left >= units  # the rest of the lot goes
                take, share = (units, cost) if whole else (left, cost * left / units)
                seq += 1
                handed = Entry(
                    Lot(current.lot_id, asset, target, take, share, current.acquired), seq, entry.idkey
                )
                heapq.heappush(heap, (current.acquired, entry.idkey, target, seq, handed))
                into.live, into.units = into.live + 1, EXACT.add(into.units, take)
                held.live += 1
                for index in heaps:
                    index.push(handed)
                if whole:
                    left = EXACT.subtract(left, units)
                    entry.lot = None  # retired
                    seller.live -= 1
                    seller.units = EXACT.subtract(seller.units, current.amount)
                    held.live -= 1
                    entry = current = None
                else:
                    units, cost = EXACT.subtract(units, left), EXACT.subtract(cost, share)
                    left = ZERO
        self._seq = seq
        if entry is not None and current is not None:  # the rest keeps the lot's place
            self._shrink(entry, Lot(current.lot_id, asset, wallet, units, cost, current.acquired))
        seller.lots.settle()

    def transfer(
        self,
        asset: str,
        source: str,
        target: str,
        amount: Decimal,
        *,
        when: datetime | None = None,
        line: int = 0,
    ) -> list[Lot]:
        """Move ``amount`` between one's own wallets (not a disposal): the source gives up its oldest
        units, which keep their id, acquisition time and cost (a transfer is not a disposal in
        the US, Germany or the UK)."""
        pairs, index = self._plan(asset, source, amount, fifo, False, when, line)
        self._take(pairs, index)
        handed = [moved(piece, target) for _, piece in pairs]
        for (entry, _), lot in zip(pairs, handed, strict=True):
            self._put(lot, entry.idkey)
        self._settle(asset)
        return handed

    def adjust(
        self, lot: Lot, amount: Decimal, *, extra_cost: Decimal, acquired: datetime
    ) -> tuple[Lot, Lot | None]:
        """Split ``amount`` off the open ``lot`` as a new piece ``"<id>.<n>"`` whose cost is its share
        plus ``extra_cost`` and whose acquisition time is ``acquired`` (a US wash-sale replacement:
        disallowed loss added to the basis, holding period tacked on). Returns the new piece and the
        rest of ``lot`` (None when nothing is left)."""
        entry = next(entry for entry in self._entries(lot.asset, lot.wallet) if entry.lot is lot)
        share = lot.cost if amount == lot.amount else lot.cost * amount / lot.amount
        number = self._sub_ids.get(lot.lot_id, 0) + 1
        self._sub_ids[lot.lot_id] = number
        piece = replace(
            lot,
            lot_id=f"{lot.lot_id}.{number}",
            amount=amount,
            cost=exact_sub(share, -extra_cost),
            acquired=acquired,
        )
        rest = None if amount == lot.amount else self._rest(lot, amount, share)
        if rest is not None:
            self._shrink(entry, rest)
        else:
            self._retire(entry)
        # The piece takes the lot's place in the wallet (right after the rest).
        self._register(Entry(piece, entry.seq, id_key(piece.lot_id)))
        self._settle(lot.asset)
        return piece, rest

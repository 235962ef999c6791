"""A lot book: the open lots of every (asset, wallet), and the orders in which a sale consumes them.

Every acquisition becomes a :class:`~trimtab.tax.model.Lot` with the next id (``"1"``, ``"2"``, ...).
A sale consumes lots in an *order* (:data:`LotOrder`): :func:`fifo` (acquisition time, then id),
:func:`hifo` (highest unit cost first), :func:`by_key` (any standing rule) or :func:`specific` (an
explicit list of lot ids). "HIFO and LIFO are not separate methods: they are standing rules for making
a specific identification" (tax.md §1.3, IRS FAQ Q39-Q41).

A partly consumed lot is split: the consumed piece and the rest keep the lot's id, and the cost is
shared pro rata to the amount. The rest keeps ``cost - piece cost`` computed exactly, so over a
lot's life the pieces' costs add up to its cost to the last digit.

Pools (tax.md §7.3): a sale normally consumes lots of its own wallet only (per-wallet lots: US Treas.
Reg. §1.1012-1(j) from 2025, BMF 06.03.2025 Rz. 61-62 in Germany). With ``universal=True`` it may
consume the lots of any wallet holding the asset (the US "universal" approach before 2025). The units
still leave the *selling* wallet, so to keep every wallet's lots adding up to the units it holds, the
selling wallet hands as many of its own remaining units (its oldest first) to each wallet whose lot
was consumed: the units stay where they are, the basis moves. See :mod:`trimtab.tax.us` for why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from functools import lru_cache
from typing import Any

from trimtab.errors import TaxError
from trimtab.money import ZERO
from trimtab.tax.model import Lot
from trimtab.tax.normalize import Acquisition

_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)

LotOrder = Callable[[Sequence[Lot]], Sequence[Lot]]
"""Takes the candidate lots, returns the ones a sale may consume, in the order it consumes them."""


class Oversold(TaxError):
    """A sale of more units than the wallet holds: the history of how they got there is missing."""


def exact_sub(a: Decimal, b: Decimal) -> Decimal:
    """``a - b`` without rounding (addition and subtraction are exact at unlimited precision)."""
    with localcontext(_EXACT):
        return a - b


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


@lru_cache(maxsize=1 << 16)
def lot_id_key(lot_id: str) -> tuple[tuple[int, str], ...]:
    """Sort key of a lot id: ``"2" < "10" < "10.1"`` (numeric parts compare as numbers)."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in lot_id.split("."))


def fifo_key(lot: Lot) -> tuple[datetime, tuple[tuple[int, str], ...]]:
    return lot.acquired, lot_id_key(lot.lot_id)


def fifo(lots: Sequence[Lot]) -> list[Lot]:
    """First in, first out: by acquisition time, then lot id (tax.md §1.3: the original acquisition
    date counts, not the date the units came into the wallet)."""
    return sorted(lots, key=fifo_key)


def by_key(key: Callable[[Lot], Any]) -> LotOrder:
    """A standing order: lots by ``key`` ascending, ties first in, first out."""

    def order(lots: Sequence[Lot]) -> list[Lot]:
        return sorted(fifo(lots), key=key)

    return order


def _hifo_key(lot: Lot) -> Decimal:
    return -lot.unit_cost


hifo: LotOrder = by_key(_hifo_key)
"""Highest in, first out: highest unit cost (fees included) first, ties first in, first out."""


def specific(lot_ids: Sequence[str]) -> LotOrder:
    """Specific identification: only the listed lots, in the listed order. Every id must be open
    (pieces sharing an id after a split or a transfer are taken first in, first out)."""

    def order(lots: Sequence[Lot]) -> list[Lot]:
        chosen: list[Lot] = []
        for lot_id in lot_ids:
            matching = [lot for lot in fifo(lots) if lot.lot_id == lot_id]
            if not matching:
                raise TaxError(f"lot {lot_id} is not open here (open: {', '.join(_ids(lots)) or 'none'})")
            chosen.extend(matching)
        return chosen

    return order


def _ids(lots: Iterable[Lot]) -> list[str]:
    return sorted({lot.lot_id for lot in lots}, key=lot_id_key)


def _where(asset: str, wallet: str, when: datetime | None, line: int) -> str:
    at = f" at {when.isoformat()}" if when is not None else ""
    src = f" (line {line})" if line else ""
    return f"{asset} from wallet {wallet!r}{at}{src}"


class LotBook:
    """Open lots per asset and wallet. Lots are immutable; the book replaces them as they are split."""

    def __init__(self) -> None:
        self._lots: dict[str, dict[str, list[Lot]]] = {}
        self._next_id = 1
        self._sub_ids: dict[str, int] = {}

    def copy(self) -> LotBook:
        """An independent copy (lots are immutable, so the lists are all that is copied)."""
        other = LotBook()
        other._lots = {a: {w: list(lots) for w, lots in ws.items()} for a, ws in self._lots.items()}
        other._next_id = self._next_id
        other._sub_ids = dict(self._sub_ids)
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
        self._put(lot)
        return lot

    def _put(self, lot: Lot) -> None:
        self._lots.setdefault(lot.asset, {}).setdefault(lot.wallet, []).append(lot)

    def open_lots(self, asset: str | None = None, wallet: str | None = None) -> tuple[Lot, ...]:
        """The open lots (optionally of one asset and/or wallet), first in, first out. Read-only."""
        found = [
            lot
            for a, wallets in self._lots.items()
            if asset is None or a == asset
            for w, lots in wallets.items()
            if wallet is None or w == wallet
            for lot in lots
        ]
        return tuple(sorted(found, key=lambda lot: (lot.asset, *fifo_key(lot), lot.wallet)))

    def held(self, asset: str, wallet: str | None = None) -> Decimal:
        """Units of ``asset`` in ``wallet`` (every wallet when None)."""
        wallets = self._lots.get(asset, {})
        return sum((lot.amount for w, lots in wallets.items() if wallet in (None, w) for lot in lots), ZERO)

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
        return [piece for _, piece in self._plan(asset, wallet, amount, order, universal, when, line)]

    def _plan(  # noqa: PLR0917 (private: the same arguments as pick, passed through)
        self,
        asset: str,
        wallet: str,
        amount: Decimal,
        order: LotOrder,
        universal: bool,
        when: datetime | None,
        line: int,
    ) -> list[tuple[Lot, Lot]]:
        """(open lot, consumed piece of it) pairs for :meth:`pick`."""
        if amount <= 0:
            raise TaxError(f"selling {amount} {_where(asset, wallet, when, line)}: amount must be > 0")
        held = self.held(asset, wallet)
        if amount > held:
            raise Oversold(f"selling {amount} {_where(asset, wallet, when, line)}: it holds only {held}")
        ordered = order(self.open_lots(asset, None if universal else wallet))
        pairs: list[tuple[Lot, Lot]] = []
        left = amount
        for lot in ordered:
            if left == 0:
                break
            take = min(left, lot.amount)
            cost = lot.cost if take == lot.amount else lot.cost * take / lot.amount
            pairs.append((lot, replace(lot, amount=take, cost=cost)))
            left = exact_sub(left, take)
        if left > 0:
            chosen = sum((lot.amount for lot in ordered), ZERO)
            raise TaxError(
                f"selling {amount} {_where(asset, wallet, when, line)}: the chosen lots "
                f"{', '.join(_ids(ordered)) or '(none)'} hold only {chosen}"
            )
        return pairs

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
        pieces = self._take(self._plan(asset, wallet, amount, order, universal, when, line))
        for piece in pieces:
            if piece.wallet != wallet:
                handed = self._take(self._plan(asset, wallet, piece.amount, fifo, False, when, line))
                for lot in handed:
                    self._put(replace(lot, wallet=piece.wallet))
        return pieces

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
        units, which keep their id, acquisition time and cost (tax.md §2.5, §7.1)."""
        moved = [
            replace(lot, wallet=target)
            for lot in self._take(self._plan(asset, source, amount, fifo, False, when, line))
        ]
        for lot in moved:
            self._put(lot)
        return moved

    def adjust(
        self, lot: Lot, amount: Decimal, *, extra_cost: Decimal, acquired: datetime
    ) -> tuple[Lot, Lot | None]:
        """Split ``amount`` off the open ``lot`` as a new piece ``"<id>.<n>"`` whose cost is its share
        plus ``extra_cost`` and whose acquisition time is ``acquired`` (a US wash-sale replacement:
        disallowed loss added to the basis, holding period tacked on). Returns the new piece and the
        rest of ``lot`` (None when nothing is left)."""
        lots = self._lots[lot.asset][lot.wallet]
        index = next(i for i, open_lot in enumerate(lots) if open_lot is lot)
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
        lots[index : index + 1] = [piece] if rest is None else [rest, piece]
        return piece, rest

    @staticmethod
    def _rest(lot: Lot, amount: Decimal, cost: Decimal) -> Lot:
        return replace(lot, amount=exact_sub(lot.amount, amount), cost=exact_sub(lot.cost, cost))

    def _take(self, pairs: list[tuple[Lot, Lot]]) -> list[Lot]:
        """Take each planned piece out of the open lot it came from; returns the pieces."""
        for lot, piece in pairs:
            lots = self._lots[lot.asset][lot.wallet]
            index = next(i for i, open_lot in enumerate(lots) if open_lot is lot)
            if piece.amount == lot.amount:
                del lots[index]
            else:
                lots[index] = self._rest(lot, piece.amount, piece.cost)
        return [piece for _, piece in pairs]

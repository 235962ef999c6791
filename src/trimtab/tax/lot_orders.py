"""The orders in which a sale consumes lots: a :data:`LotOrder` takes the candidate lots and returns the
ones the sale may consume, in the order it consumes them.

- :data:`fifo` (acquisition time, then id), :data:`hifo` (highest unit cost first) and
  :func:`min_tax` (lowest after-tax cost first) are :class:`StandingOrder` objects: besides sorting a list, they tell
  :class:`~trimtab.tax.lots.LotBook` which of its heaps gives the same order without sorting every lot
  at each sale (:mod:`trimtab.tax.lot_index`);
- :func:`by_key` (any standing rule) and :func:`specific` (an explicit list of lot ids) are plain
  functions, which the book applies to the sorted list of candidates.

"HIFO and LIFO are not separate methods: they are standing rules for making a specific
identification" (IRS FAQ Q39-Q41 on virtual currency).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from trimtab.errors import TaxError
from trimtab.model.money import ZERO
from trimtab.tax.dates import local_date, us_long_term
from trimtab.tax.model import Lot

LotOrder = Callable[[Sequence[Lot]], Sequence[Lot]]
"""Takes the candidate lots, returns the ones a sale may consume, in the order it consumes them."""

MinTaxKey = tuple[int, Decimal, datetime, tuple[tuple[int, str], ...]]


@lru_cache(maxsize=1 << 16)
def lot_id_key(lot_id: str) -> tuple[tuple[int, str], ...]:
    """Sort key of a lot id: ``"2" < "10" < "10.1"`` (numeric parts compare as numbers)."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in lot_id.split("."))


def fifo_key(lot: Lot) -> tuple[datetime, tuple[tuple[int, str], ...]]:
    return lot.acquired, lot_id_key(lot.lot_id)


def _hifo_key(lot: Lot) -> Decimal:
    return -lot.unit_cost


def min_tax_key(lot: Lot, unit_price: Decimal, disposed: date, zone: ZoneInfo) -> MinTaxKey:
    """Sort key of the min-tax order (lowest after-tax cost per unit first): (0)
    short-term losses, (1) long-term losses, (2) long-term gains, (3) short-term gains; within a
    class the lowest gain per unit first (so the largest loss first), ties first in, first out. A
    lot with no gain at all is taxed nothing whatever its term: it goes with class (2). Long-term is
    the US holding period (more than a year, in local dates of ``zone``)."""
    gain = unit_price - lot.unit_cost
    long_term = us_long_term(local_date(lot.acquired, zone), disposed)
    if gain < 0:
        return (1 if long_term else 0, gain, *fifo_key(lot))
    rank = 2 if long_term or gain == 0 else 3
    return (rank, gain, *fifo_key(lot))


@dataclass(frozen=True, slots=True)
class StandingOrder:
    """FIFO, HIFO, or min-tax for a sale at ``unit_price`` (proceeds per unit, net of fees) on the
    local date ``disposed`` in ``zone``. Called with lots, it sorts them (ties first in, first out)."""

    kind: Literal["fifo", "hifo", "min-tax"]
    unit_price: Decimal = ZERO
    disposed: date = date.min
    zone: ZoneInfo | None = None

    def __call__(self, lots: Sequence[Lot]) -> list[Lot]:
        ordered = sorted(lots, key=fifo_key)
        if self.kind == "hifo":
            return sorted(ordered, key=_hifo_key)
        if self.kind == "min-tax":
            zone = self.zone if self.zone is not None else ZoneInfo("UTC")
            return sorted(lots, key=lambda lot: min_tax_key(lot, self.unit_price, self.disposed, zone))
        return ordered


fifo = StandingOrder("fifo")
"""First in, first out: by acquisition time, then lot id (IRS FAQ Q39-Q41: the original acquisition
date counts, not the date the units came into the wallet)."""

hifo = StandingOrder("hifo")
"""Highest in, first out: highest unit cost (fees included) first, ties first in, first out."""


def min_tax(unit_price: Decimal, disposed: date, zone: ZoneInfo) -> StandingOrder:
    """The min-tax order of a sale at ``unit_price`` per unit (net of fees) on local date ``disposed``."""
    return StandingOrder("min-tax", unit_price, disposed, zone)


def by_key(key: Callable[[Lot], Any]) -> LotOrder:
    """A standing order: lots by ``key`` ascending, ties first in, first out."""

    def order(lots: Sequence[Lot]) -> list[Lot]:
        return sorted(fifo(lots), key=key)

    return order


def specific(lot_ids: Sequence[str]) -> LotOrder:
    """Specific identification: only the listed lots, in the listed order. Every id must be open
    (pieces sharing an id after a split or a transfer are taken first in, first out)."""

    def order(lots: Sequence[Lot]) -> list[Lot]:
        chosen: list[Lot] = []
        for lot_id in lot_ids:
            matching = [lot for lot in fifo(lots) if lot.lot_id == lot_id]
            if not matching:
                raise TaxError(f"lot {lot_id} is not open here (open: {', '.join(ids(lots)) or 'none'})")
            chosen.extend(matching)
        return chosen

    return order


def ids(lots: Iterable[Lot]) -> list[str]:
    """The distinct ids of ``lots``, in id order."""
    return sorted({lot.lot_id for lot in lots}, key=lot_id_key)

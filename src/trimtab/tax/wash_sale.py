"""The US wash-sale rule (IRC §1091), built but switched off for crypto (see Status).

**Status.** §1091 covers "stock or securities"; crypto held as property (IRS Notice 2014-21) is
neither, so the rule does not apply to spot crypto in any year so far. Bills that would extend it
(S.2207 of 30 Jun 2025, H.R. 8899 of 19 May 2026, H.R. 9172 of 8 Jun 2026) had not passed as of the
latest sources (mid-2026). Claims that it has applied since 2025 are wrong. **Check congress.gov before
each tax year** and add the year to :data:`WASH_SALE_DEFAULT`. Tokenized securities are subject to it.

**The engine**, for when it is switched on (per year of the loss sale, or forced by the caller):

- a loss on a disposed lot piece is disallowed, in proportion to units, when units of the same asset
  (in any wallet) are acquired within 30 days before or after the sale date (a 61-day window, local
  dates); replacement units are used in acquisition order, each unit once;
- the disallowed loss is the disposal's ``adjustment`` (Form 8949 code W; positive, so
  ``gain = proceeds - cost + adjustment``); it is added to the replacement units' basis, and their
  holding period starts at the sold units' acquisition time (tacked on, §1223(3));
- the replacement units become their own lot piece ``"<id>.<n>"`` (:meth:`LotBook.adjust`); such a
  piece is never used as a replacement again;
- units bought in the same purchase as the units sold are not a replacement for them (Rev. Rul.
  56-602, from memory, to check);
- "substantially identical" is "the same asset symbol" (BTC vs WBTC is an open question).

Simplifications, to check with an adviser: units acquired before the sale count only while still held
at the sale; the tacked holding period starts at the sold units' acquisition time (it does not exclude
the days between the sale and a later repurchase).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from trimtab.tax.dates import local_date
from trimtab.tax.lots import LotBook, exact_sub, fifo
from trimtab.tax.model import Disposal, Lot

WINDOW = timedelta(days=30)

# Whether §1091 applies to spot crypto, by tax year: off for every year so far (see the module docstring).
# Years not listed default to off too; add a year here once its law is checked.
WASH_SALE_DEFAULT: dict[int, bool] = dict.fromkeys(range(2014, 2027), False)


def wash_sale_enabled(year: int, override: bool | None = None) -> bool:
    """Whether the wash-sale rule applies to crypto losses realized in ``year`` (``override`` wins)."""
    if override is not None:
        return override
    return WASH_SALE_DEFAULT.get(year, False)


def _base_id(lot_id: str) -> str:
    return lot_id.split(".", 1)[0]


@dataclass(slots=True)
class _Loss:
    """A disposed lot piece whose loss is not yet fully matched with replacement units."""

    rows: list[Disposal]  # the list its Disposal is in
    index: int  # of its Disposal in ``rows``
    asset: str
    disposed: date
    acquired: datetime  # of the sold units: tacked onto the replacement
    sold_ids: frozenset[str]  # purchases the sale consumed: not replacements (Rev. Rul. 56-602)
    units: Decimal  # units not yet matched
    loss: Decimal  # loss not yet disallowed, > 0


class WashSales:
    """Applies the rule while a report walks the history: call :meth:`sold` after each sale and
    :meth:`acquired` after each acquisition. Disposals are updated in the list :meth:`sold` got them in."""

    def __init__(self, book: LotBook, zone: ZoneInfo, enabled: Callable[[int], bool]) -> None:
        self._book = book
        self._zone = zone
        self._enabled = enabled
        self._pending: list[_Loss] = []

    def sold(self, disposals: list[Disposal], first: int, pieces: list[Lot]) -> None:
        """``disposals[first:]`` are the rows of the sale just made, one per piece in ``pieces``.
        Matches their losses with replacement units already held, and keeps the rest pending."""
        sold_ids = frozenset(_base_id(piece.lot_id) for piece in pieces)
        for index, piece in enumerate(pieces, start=first):
            row = disposals[index]
            if row.gain >= 0 or not self._enabled(row.disposed.year):
                continue
            loss = _Loss(
                disposals, index, row.asset, row.disposed, piece.acquired, sold_ids, row.amount, -row.gain
            )
            for lot in fifo(self._book.open_lots(row.asset)):
                if loss.units == 0:
                    break
                held_since = local_date(lot.acquired, self._zone)
                if (
                    "." not in lot.lot_id
                    and _base_id(lot.lot_id) not in sold_ids
                    and row.disposed - WINDOW <= held_since <= row.disposed
                ):
                    self._match(loss, lot)
            if loss.units > 0:
                self._pending.append(loss)

    def acquired(self, lot: Lot) -> None:
        """Matches a new lot with pending losses of the last 30 days, oldest sale first."""
        day = local_date(lot.acquired, self._zone)
        self._pending = [loss for loss in self._pending if day - loss.disposed <= WINDOW and loss.units > 0]
        rest: Lot | None = lot
        for loss in self._pending:
            if rest is None:
                break
            if loss.asset == lot.asset and _base_id(lot.lot_id) not in loss.sold_ids:
                rest = self._match(loss, rest)

    def _match(self, loss: _Loss, lot: Lot) -> Lot | None:
        """Disallows the part of ``loss`` that ``lot`` replaces; returns what is left of ``lot``."""
        units = min(loss.units, lot.amount)
        disallowed = loss.loss if units == loss.units else loss.loss * units / loss.units
        loss.units = exact_sub(loss.units, units)
        loss.loss = exact_sub(loss.loss, disallowed)
        row = loss.rows[loss.index]
        loss.rows[loss.index] = replace(row, adjustment=exact_sub(row.adjustment, -disallowed))
        _, rest = self._book.adjust(lot, units, extra_cost=disallowed, acquired=loss.acquired)
        return rest

"""US realized gains: short- and long-term disposals of one tax year (Form 8949 rows).

Rules (not tax advice):

- Gain = amount realized - adjusted basis. Basis includes the acquisition fees; proceeds are net of
  the disposal fees; crypto spent on a fee is itself a disposal (Treas. Reg. §1.1001-7(b)(1), done by
  :func:`trimtab.tax.normalize.normalize`).
- Long-term when held **more than one year**, counted in calendar dates in the taxpayer's time zone
  (IRS Pub. 544; :func:`trimtab.tax.dates.us_long_term`): a sale on the anniversary is short-term.
  A trade at 02:00 UTC on 1 January is still 31 December in New York: it belongs to the year before.
- Lot identification: specific identification, with FIFO by acquisition date as the default.
  ``"hifo"`` and ``"min-tax"`` are standing rules for making a specific identification (IRS FAQ
  Q39-Q41); they must be recorded no later than the sale (Treas. Reg. §1.1012-1(j)).
- **Pools.** From 1 January 2025 (local date of the disposal) lots are per wallet (Treas. Reg.
  §1.1012-1(j)). Before, one universal pool per asset across wallets: a sale may consume another
  wallet's lot. Rev. Proc. 2024-28 let the basis left on 1 Jan 2025 be allocated to wallets; this
  module's allocation is the bookkeeping of :class:`~trimtab.tax.lots.LotBook` (``universal=True``):
  each wallet keeps the units it really holds, and when a pre-2025 sale used another wallet's lot,
  the selling wallet handed its own oldest remaining units to that wallet in exchange (units stay,
  basis moves). The lots stand on 1 Jan 2025 where that left them, a rule fixed in advance and applied
  to every wallet; whether it qualifies as the Rev. Proc.'s allocation is for an adviser to confirm.
  A report without wash sales walks on :class:`~trimtab.tax.fifo_walk.FifoWalk` (FIFO) or
  :class:`~trimtab.tax.cost_walk.CostWalk` (HIFO, min-tax) instead: the same rule and arithmetic,
  kept for speed as lots with their pieces per wallet; with wash sales, on the book.
- Wash sales: off for crypto (:mod:`trimtab.tax.wash_sale`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from trimtab.collector import collector_paused
from trimtab.errors import TaxError
from trimtab.model.money import ZERO
from trimtab.tax.cost_rows import walk_events, walk_records
from trimtab.tax.cost_walk import CostWalk
from trimtab.tax.dates import DEFAULT_ZONES, local_date, us_long_term
from trimtab.tax.fifo_walk import FifoWalk
from trimtab.tax.lots import LotBook, LotOrder, allocate, fifo, hifo, min_tax
from trimtab.tax.model import Disposal, Lot, Term
from trimtab.tax.normalize import Acquisition, Record, TimeOrdered, in_time_order
from trimtab.tax.wash_sale import WASH_SALE_DEFAULT, WashSales, wash_sale_enabled

Method = Literal["fifo", "hifo", "min-tax"]
METHODS: tuple[Method, ...] = ("fifo", "hifo", "min-tax")
US_ZONE = ZoneInfo(DEFAULT_ZONES["us"])
Taken = tuple[Any, str, Decimal, Decimal]  # a walk's consumed piece: its lot, wallet, amount, cost
PER_WALLET_FROM = date(2025, 1, 1)  # Treas. Reg. §1.1012-1(j): acquisitions and dispositions from this day


@dataclass(frozen=True, slots=True)
class USReport:
    """The disposals of tax ``year`` and their totals by term (gains; a loss is negative).

    ``book`` holds the lots left open after *all* the records (later years included).
    """

    year: int
    method: Method
    wash_sale: bool  # whether the wash-sale rule was applied to ``year``
    disposals: tuple[Disposal, ...]
    short_term: Decimal
    long_term: Decimal
    book: LotBook = field(compare=False, repr=False)

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term


@dataclass(frozen=True, slots=True)
class SalePreview:
    """What a sale would realize, without making it: one row per lot piece, totals by term."""

    disposals: tuple[Disposal, ...]
    short_term: Decimal
    long_term: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term


def term_of(lot: Lot, disposed: date, zone: ZoneInfo = US_ZONE) -> Term:
    """SHORT or LONG for ``lot`` disposed of on the local date ``disposed`` (IRS Pub. 544)."""
    return Term.LONG if us_long_term(local_date(lot.acquired, zone), disposed) else Term.SHORT


def order_for(method: Method, unit_price: Decimal, disposed: date, zone: ZoneInfo = US_ZONE) -> LotOrder:
    """The lot order of ``method`` for a sale at ``unit_price`` (proceeds per unit, net of fees) on
    the local date ``disposed``."""
    if method == "fifo":
        return fifo
    if method == "hifo":
        return hifo
    if method == "min-tax":
        return min_tax(unit_price, disposed, zone)
    raise TaxError(f"unknown lot method {method!r} (expected one of {', '.join(METHODS)})")


def lot_order(
    method: Method, lots: Sequence[Lot], unit_price: Decimal, disposed: date, zone: ZoneInfo = US_ZONE
) -> list[Lot]:
    """``lots`` in the order ``method`` would consume them (read-only)."""
    return list(order_for(method, unit_price, disposed, zone)(lots))


def _rows(
    pieces: Sequence[Lot], wallet: str, proceeds: Decimal, disposed: date, zone: ZoneInfo
) -> list[Disposal]:
    """One Disposal per consumed piece; proceeds shared pro rata to units, the last piece the rest."""
    shares = allocate(proceeds, [piece.amount for piece in pieces])
    return [
        Disposal(
            asset=piece.asset,
            wallet=wallet,
            amount=piece.amount,
            acquired=local_date(piece.acquired, zone),
            disposed=disposed,
            proceeds=share,
            cost=piece.cost,
            term=term_of(piece, disposed, zone),
            lot_ids=(piece.lot_id,),
        )
        for piece, share in zip(pieces, shares, strict=True)
    ]


def _totals(rows: Iterable[Disposal]) -> tuple[Decimal, Decimal]:
    short = long = ZERO
    for row in rows:
        if row.term is Term.LONG:
            long += row.gain
        else:
            short += row.gain
    return short, long


def us_report(
    records: Iterable[Record],
    *,
    year: int,
    method: Method = "fifo",
    zone: ZoneInfo = US_ZONE,
    wash_sale: bool | None = None,
) -> USReport:
    """Realized gains of tax ``year`` from *all* ``records`` (earlier years build the lots).

    Records are taken in time order (same-time records keep their order, e.g. a swap's two legs).
    ``wash_sale`` None follows :data:`~trimtab.tax.wash_sale.WASH_SALE_DEFAULT` (off); True or False
    forces it for every year. Raises :class:`~trimtab.tax.lots.TaxError` on a sale of more than held.
    """
    return us_reports(records, years=(year,), method=method, zone=zone, wash_sale=wash_sale)[year]


def us_reports(
    records: Iterable[Record],
    *,
    years: Iterable[int],
    method: Method = "fifo",
    zone: ZoneInfo = US_ZONE,
    wash_sale: bool | None = None,
) -> dict[int, USReport]:
    """:func:`us_report` of each of ``years`` from one walk through the history (a backtest's every
    year at the cost of one); the reports share one ``book``, the lots left after all the records."""
    order_for(method, ZERO, date(2000, 1, 1), zone)  # reject an unknown method before any work
    # A walk makes millions of small containers and no reference cycles: the collector is paused.
    with collector_paused():
        if not _any_wash_sales(wash_sale):
            return _walk_reports(records, years, method, zone)
        return us_reports_on_book(records, years=years, method=method, zone=zone, wash_sale=wash_sale)


def us_reports_on_book(
    records: Iterable[Record],
    *,
    years: Iterable[int],
    method: Method = "fifo",
    zone: ZoneInfo = US_ZONE,
    wash_sale: bool | None = None,
) -> dict[int, USReport]:
    """:func:`us_reports` walked on a :class:`~trimtab.tax.lots.LotBook`, whatever the method (the
    general walk: FIFO without wash sales takes a faster one with the same results)."""
    order_for(method, ZERO, date(2000, 1, 1), zone)
    book = LotBook()
    by_year: dict[int, list[Disposal]] = {year: [] for year in years}
    wash = WashSales(book, zone, lambda y: wash_sale_enabled(y, wash_sale))
    for record in in_time_order(records):
        if isinstance(record, Acquisition):
            wash.acquired(book.add(record))
            continue
        disposed = local_date(record.time, zone)
        unit_price = record.proceeds / record.amount if record.amount > 0 else ZERO  # consume refuses <= 0
        order = order_for(method, unit_price, disposed, zone)
        pieces = book.consume(
            record.asset,
            record.wallet,
            record.amount,
            order,
            universal=disposed < PER_WALLET_FROM,
            when=record.time,
            line=record.line,
        )
        rows = by_year.get(disposed.year)
        if rows is None:  # a year not asked for: its rows only matter to a wash sale
            if not wash_sale_enabled(disposed.year, wash_sale):
                continue
            rows = []
        first = len(rows)
        rows.extend(_rows(pieces, record.wallet, record.proceeds, disposed, zone))
        wash.sold(rows, first, pieces)
    return {
        year: USReport(
            year, method, wash_sale_enabled(year, wash_sale), tuple(in_year), *_totals(in_year), book
        )
        for year, in_year in by_year.items()
    }


def _any_wash_sales(override: bool | None) -> bool:
    """Whether the wash-sale rule may apply to some year (forced on, or on by default in a year)."""
    return override is True or (override is None and any(WASH_SALE_DEFAULT.values()))


def _walk_reports(
    records: Iterable[Record], years: Iterable[int], method: Method, zone: ZoneInfo
) -> dict[int, USReport]:
    """:func:`us_reports` without wash sales, on :class:`~trimtab.tax.fifo_walk.FifoWalk` (FIFO) or
    :class:`~trimtab.tax.cost_walk.CostWalk` (the same rows and lots as the book's walk, at a
    fraction of its cost on a long history)."""
    by_year: dict[int, list[Disposal]] = {year: [] for year in years}
    if method != "fifo":
        cost_walk = CostWalk(method, zone)
        # Compiled (trimtab.tax.native); straight from the events when the records are still to be made.
        if isinstance(records, TimeOrdered) and records.events is not None:
            walk_events(cost_walk, records.events, records.currency, by_year, method, zone)
        else:
            walk_records(cost_walk, in_time_order(records), by_year, method, zone)
        book = cost_walk.book()
        cost_walk.release()
    else:
        fifo_walk = FifoWalk()
        _fifo_rows(fifo_walk, records, by_year, zone)
        book = fifo_walk.book()
    return {
        year: USReport(year, method, False, tuple(in_year), *_totals(in_year), book)
        for year, in_year in by_year.items()
    }


def _fifo_rows(
    walk: FifoWalk, records: Iterable[Record], by_year: dict[int, list[Disposal]], zone: ZoneInfo
) -> None:
    """:func:`_walk_reports`'s loop for FIFO (as :func:`~trimtab.tax.cost_rows.walk_records`)."""
    add = walk.add
    # A lot's local acquisition date and ids, shared by the rows of its pieces (bounded: recent lots).
    known: dict[str, tuple[date, tuple[str, ...]]] = {}
    for record in in_time_order(records):
        if isinstance(record, Acquisition):
            add(record)
            continue
        disposed = local_date(record.time, zone)
        universal = disposed < PER_WALLET_FROM
        taken = walk.consume(
            record.asset,
            record.wallet,
            record.amount,
            universal=universal,
            when=record.time,
            line=record.line,
        )
        rows = by_year.get(disposed.year)
        if rows is None:
            continue
        shares = allocate(record.proceeds, [amount for _, _, amount, _ in taken])
        for (lot, _, amount, cost), share in zip(taken, shares, strict=True):
            facts = known.get(lot.lot_id)
            if facts is None:
                if len(known) >= 1 << 14:
                    known.clear()
                facts = known[lot.lot_id] = (local_date(lot.acquired, zone), (lot.lot_id,))
            acquired, lot_ids = facts
            term = Term.LONG if us_long_term(acquired, disposed) else Term.SHORT
            rows.append(
                Disposal(
                    record.asset,
                    record.wallet,
                    amount,
                    acquired,
                    disposed,
                    share,
                    cost,
                    term,
                    None,
                    None,
                    lot_ids,
                )
            )


def preview_sale(  # noqa: PLR0917 (a sale's facts in their natural order)
    book: LotBook,
    asset: str,
    wallet: str,
    amount: Decimal,
    proceeds: Decimal,
    when: datetime,
    *,
    method: Method = "fifo",
    zone: ZoneInfo = US_ZONE,
) -> SalePreview:
    """Which lots a sale of ``amount`` for ``proceeds`` (net of fees) at ``when`` would consume, and
    the gain by term, without changing ``book``. Wash sales are not considered (off for crypto)."""
    disposed = local_date(when, zone)
    order = order_for(method, proceeds / amount if amount > 0 else ZERO, disposed, zone)
    pieces = book.pick(asset, wallet, amount, order, universal=disposed < PER_WALLET_FROM, when=when)
    rows = _rows(pieces, wallet, proceeds, disposed, zone)
    short, long = _totals(rows)
    return SalePreview(tuple(rows), short, long)

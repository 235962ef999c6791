"""The per-record loop of the US HIFO and min-tax reports' walk, compiled with the walk (:mod:`trimtab.tax.native`).

:func:`walk_records` is :func:`trimtab.tax.us._walk_reports`'s loop for a :class:`~trimtab.tax.cost_walk.CostWalk`:
each acquisition added, each sale consumed in the walk's order, and a sale of one of the years asked
for made into its rows, its proceeds shared pro rata to the pieces' units as
:func:`~trimtab.tax.lots.allocate` shares them (the same operations, in the same context, in the same
order: the rows are the same to the last digit). :func:`walk_events` is the same loop over the
history's events, each normalized as :func:`trimtab.tax.normalize.normalize` does it but without
making its records. Compiled, the loop's calls into the walk are C calls and its own arithmetic runs
without the interpreter's dispatch, which on a 1,000,000-event history is most of what the loop cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from trimtab.model.money import ZERO
from trimtab.tax.cost_walk import CostWalk
from trimtab.tax.dates import local_date, us_long_term
from trimtab.tax.lot_register import EXACT
from trimtab.tax.lots import hifo, min_tax
from trimtab.tax.model import Disposal, EventType, TaxEvent, Term
from trimtab.tax.normalize import Acquisition, Sale, fee_value

PER_WALLET_FROM: Final = date(2025, 1, 1)  # Treas. Reg. §1.1012-1(j): as trimtab.tax.us
_KNOWN_LIMIT: Final = 1 << 14


class _Seller:
    """Consumes sales on a walk and makes the rows of those in the years asked for."""

    def __init__(
        self, walk: CostWalk, by_year: dict[int, list[Disposal]], method: str, zone: ZoneInfo
    ) -> None:
        self.walk = walk
        self.by_year = by_year
        self.by_hifo = method == "hifo"
        self.zone = zone
        # A lot's local acquisition date and ids, shared by the rows of its pieces (bounded: recent lots).
        self.known: dict[str, tuple[date, tuple[str, ...]]] = {}

    def sell(  # noqa: PLR0917 (a Sale's fields, in their order)
        self, asset: str, wallet: str, amount: Decimal, proceeds: Decimal, when: datetime, line: int
    ) -> None:
        zone = self.zone
        disposed = local_date(when, zone)
        # (consume refuses an amount <= 0)
        order = hifo if self.by_hifo else min_tax(proceeds / amount if amount > 0 else ZERO, disposed, zone)
        taken = self.walk.consume(
            asset, wallet, amount, order, universal=disposed < PER_WALLET_FROM, when=when, line=line
        )
        rows = self.by_year.get(disposed.year)
        if rows is None:
            return
        # allocate(proceeds, units): the shares pro rata, the last one the exact rest.
        whole: Decimal = ZERO
        for piece in taken:
            whole = whole + piece[2]
        subtract = EXACT.subtract
        known = self.known
        rest = proceeds
        last = len(taken) - 1
        for i, (lot, _, units, cost) in enumerate(taken):
            share = rest if i == last else proceeds * units / whole
            rest = subtract(rest, share)
            assert lot is not None
            lot_id = lot.lot_id
            facts = known.get(lot_id)
            if facts is None:
                if len(known) >= _KNOWN_LIMIT:
                    known.clear()
                facts = known[lot_id] = (local_date(lot.acquired, zone), (lot_id,))
            acquired, lot_ids = facts
            term = Term.LONG if us_long_term(acquired, disposed) else Term.SHORT
            rows.append(
                Disposal(asset, wallet, units, acquired, disposed, share, cost, term, None, None, lot_ids)
            )


def walk_records(
    walk: CostWalk,
    records: Iterable[Acquisition | Sale],
    by_year: dict[int, list[Disposal]],
    method: str,
    zone: ZoneInfo,
) -> None:
    """Walk ``records`` (in time order) on ``walk`` of ``method`` (``"hifo"`` or ``"min-tax"``); the
    rows of a sale in one of ``by_year``'s years are appended to its list."""
    seller = _Seller(walk, by_year, method, zone)
    for record in records:
        if isinstance(record, Acquisition):
            walk.add(record)
        else:
            seller.sell(record.asset, record.wallet, record.amount, record.proceeds, record.time, record.line)


def walk_events(  # noqa: PLR0917 (walk_records' arguments, and the events' currency)
    walk: CostWalk,
    events: Sequence[TaxEvent],
    currency: str,
    by_year: dict[int, list[Disposal]],
    method: str,
    zone: ZoneInfo,
) -> None:
    """:func:`walk_records` of the records of ``events`` (in time order, priced in ``currency``), as
    :func:`trimtab.tax.normalize.normalize` makes them (the same values, in the same order)."""
    seller = _Seller(walk, by_year, method, zone)
    buy, sell = EventType.BUY, EventType.SELL
    for event in events:
        fee, fee_asset = event.fee, event.fee_asset
        if fee == 0 or not fee_asset:
            value = ZERO
        elif fee_asset == currency:
            value = fee
        else:
            value = fee_value(event, currency)  # the asset's own units, or the refusal
        asset, wallet, amount, when, line = (
            event.asset,
            event.wallet,
            event.amount,
            event.timestamp,
            event.line,
        )
        kind = event.type
        worth = amount * event.price  # TaxEvent.value
        if kind is buy:
            walk.acquire(asset, wallet, amount, worth + value, when, line)
        elif kind is sell:
            seller.sell(asset, wallet, amount, worth - value, when, line)
        else:
            seller.sell(asset, wallet, amount, worth, when, line)
            continue  # a fee row's own fee columns are not used
        if value and fee_asset != currency:
            seller.sell(fee_asset, wallet, fee, value, when, line)

"""From history rows to acquisitions and sales in the report currency, fees applied.

Every jurisdiction starts from the same two records:

- :class:`Acquisition`: units that came into a wallet and their cost, acquisition fees included;
- :class:`Sale`: units that left a wallet and the proceeds, disposal fees deducted.

Fees (``fee`` in ``fee_asset``, valued at the row's market price when it is a crypto):

- a buy's fee is added to the cost of what was bought; a sell's fee is deducted from its proceeds;
- a fee paid in a crypto is also a disposal of those units at their market value (US Treas. Reg.
  § 1.1001-7(b)(1)(ii), HMRC CRYPTO22100): one more :class:`Sale` right after the row, proceeds = value;
- a ``fee`` row (a fee paid on its own, e.g. a network fee) is a disposal of its units at market value.

A fee asset other than the report currency or the row's own asset has no price in the row: the
importer refuses it (write the fee as a ``fee`` row of that asset with its price instead).

>>> from datetime import UTC, datetime
>>> buy = TaxEvent(datetime(2024, 1, 2, tzinfo=UTC), "binance", EventType.BUY, "BTC", Decimal(1),
...                Decimal(40000), Decimal("0.001"), "BTC")
>>> [type(r).__name__ for r in normalize([buy], "USD")]
['Acquisition', 'Sale']
>>> normalize([buy], "USD")[0].cost
Decimal('40040.000')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from trimtab.model.money import ZERO
from trimtab.tax.model import EventType, TaxEvent


@dataclass(frozen=True, slots=True)
class Acquisition:
    asset: str
    wallet: str
    amount: Decimal
    cost: Decimal  # report currency, fees included
    time: datetime  # UTC
    line: int = 0


@dataclass(frozen=True, slots=True)
class Sale:
    """``fee`` is True for the disposal of units spent on a fee (a crypto fee or a ``fee`` row)."""

    asset: str
    wallet: str
    amount: Decimal
    proceeds: Decimal  # report currency, fees deducted
    time: datetime  # UTC
    line: int = 0
    fee: bool = False


Record = Acquisition | Sale


def fee_value(event: TaxEvent, report_currency: str) -> Decimal:
    """The event's fee in the report currency (0 when there is none)."""
    if event.fee == 0 or not event.fee_asset:
        return ZERO
    if event.fee_asset == report_currency:
        return event.fee
    if event.fee_asset == event.asset:
        return event.fee * event.price
    raise ValueError(
        f"line {event.line}: fee in {event.fee_asset} has no price (only {report_currency} or "
        f"{event.asset} can be valued from this row; write the fee as its own 'fee' row)"
    )


def normalize(events: Iterable[TaxEvent], report_currency: str) -> list[Record]:
    """Acquisitions and sales in time order (rows with the same timestamp keep their order)."""
    return list(records_in_time_order(events, report_currency))


class TimeOrdered(Iterable[Record]):
    """Records known to be in time order (same-time records in their order): a report walks them as
    they come, without sorting them or holding them all (see :func:`in_time_order`). ``events`` and
    ``currency``, when given, are what the records are made from (:func:`records_in_time_order`): a
    walk may take them instead, to make no records (:func:`trimtab.tax.cost_rows.walk_events`)."""

    def __init__(
        self, records: Iterator[Record], events: Sequence[TaxEvent] | None = None, currency: str = ""
    ) -> None:
        self._records = records
        self.events = events
        self.currency = currency

    def __iter__(self) -> Iterator[Record]:
        return self._records


def in_time_order(records: Iterable[Record]) -> Iterable[Record]:
    """``records`` by time, same-time records in their order: as they are when they are
    :class:`TimeOrdered`, else sorted (one sort, which finds a list already in order at once)."""
    if isinstance(records, TimeOrdered):
        return records
    return sorted(records, key=_time)


def records_in_time_order(events: Iterable[TaxEvent], report_currency: str) -> TimeOrdered:
    """The records of ``events`` in time order, made one by one as a report walks them (see
    :func:`normalize`). The events are sorted once, unless they are in time order already."""
    ordered = events if isinstance(events, list) else list(events)
    if any(later.timestamp < earlier.timestamp for earlier, later in pairwise(ordered)):
        ordered = sorted(ordered, key=_timestamp)  # stable: same-time rows keep their order
    return TimeOrdered(_records(ordered, report_currency), ordered, report_currency)


def _time(record: Record) -> datetime:
    return record.time


def _timestamp(event: TaxEvent) -> datetime:
    return event.timestamp


def _records(events: Iterable[TaxEvent], report_currency: str) -> Iterator[Record]:
    for event in events:
        value = fee_value(event, report_currency)
        if event.type is EventType.BUY:
            yield Acquisition(
                event.asset, event.wallet, event.amount, event.value + value, event.timestamp, event.line
            )
        elif event.type is EventType.SELL:
            yield Sale(
                event.asset, event.wallet, event.amount, event.value - value, event.timestamp, event.line
            )
        else:
            yield Sale(
                event.asset, event.wallet, event.amount, event.value, event.timestamp, event.line, fee=True
            )
            continue  # a fee row's own fee columns are not used
        if value and event.fee_asset != report_currency:
            yield Sale(event.fee_asset, event.wallet, event.fee, value, event.timestamp, event.line, fee=True)


def wallet_holdings(events: Iterable[TaxEvent], currency: str, wallet: str) -> dict[str, Decimal]:
    """Units of each asset ``events`` (priced in ``currency``) leave in ``wallet``, fee units included."""
    return holdings(record for record in normalize(events, currency) if record.wallet == wallet)


def holdings(records: Iterable[Record]) -> dict[str, Decimal]:
    """Units of each asset the records leave (acquired minus disposed of, fee units included)."""
    held: dict[str, Decimal] = {}
    for record in records:
        amount = record.amount if isinstance(record, Acquisition) else -record.amount
        held[record.asset] = held.get(record.asset, ZERO) + amount
    return held

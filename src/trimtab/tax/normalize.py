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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trimtab.money import ZERO
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
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1].timestamp, pair[0]))
    records: list[Record] = []
    for _, event in ordered:
        value = fee_value(event, report_currency)
        if event.type is EventType.BUY:
            records.append(
                Acquisition(
                    event.asset, event.wallet, event.amount, event.value + value, event.timestamp, event.line
                )
            )
        elif event.type is EventType.SELL:
            records.append(
                Sale(
                    event.asset, event.wallet, event.amount, event.value - value, event.timestamp, event.line
                )
            )
        else:
            records.append(
                Sale(
                    event.asset,
                    event.wallet,
                    event.amount,
                    event.value,
                    event.timestamp,
                    event.line,
                    fee=True,
                )
            )
            continue  # a fee row's own fee columns are not used
        if value and event.fee_asset != report_currency:
            records.append(
                Sale(event.fee_asset, event.wallet, event.fee, value, event.timestamp, event.line, fee=True)
            )
    return records


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

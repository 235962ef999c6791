"""The tax records every jurisdiction shares: events in, lots held, disposals out.

Money here is always in the jurisdiction's report currency (USD, EUR or GBP), as Decimal. Times are
timezone-aware UTC; the local date a rule counts in (the taxpayer's calendar day) is derived per
jurisdiction by :func:`trimtab.tax.dates.local_date`.

- :class:`TaxEvent` is one row of history: a buy, a sell or a fee, in one wallet. A swap is a sell and a
  buy at the same timestamp. ``price`` is the market value of one unit in the report currency;
  ``fee`` is charged in ``fee_asset`` (the report currency, or a crypto valued at its market price).
- :class:`Lot` is what an acquisition leaves in a wallet: an amount and its cost (fees included).
- :class:`Disposal` is one matched piece of a disposal: amount, when it was acquired and disposed of,
  proceeds, cost and gain, plus the jurisdiction's classification (US ``term``, German ``taxable``,
  UK ``rule``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class EventType(StrEnum):
    BUY = "buy"
    SELL = "sell"
    FEE = "fee"  # a fee paid on its own: a disposal of ``amount`` of ``asset`` for nothing


class Term(StrEnum):
    """US holding-period class."""

    SHORT = "short"
    LONG = "long"


class MatchRule(StrEnum):
    """UK share-matching rule that matched a disposal (TCGA 1992 s105, s106A, s104)."""

    SAME_DAY = "same-day"
    THIRTY_DAY = "30-day"
    POOL = "pool"


@dataclass(frozen=True, slots=True)
class TaxEvent:
    """One row of history. ``amount`` > 0 always; ``line`` is where it came from (file line, 0 if none)."""

    timestamp: datetime  # UTC, aware
    wallet: str
    type: EventType
    asset: str
    amount: Decimal
    price: Decimal  # report currency per unit of ``asset``
    fee: Decimal = Decimal(0)
    fee_asset: str = ""  # "" when there is no fee
    line: int = 0

    @property
    def value(self) -> Decimal:
        """``amount x price``: what the units were worth at the event."""
        return self.amount * self.price


def _event_maker() -> Callable[
    [datetime, str, EventType, str, Decimal, Decimal, Decimal, str, int], TaxEvent
]:
    new = object.__new__
    slot = TaxEvent.__dict__
    timestamp, wallet, kind, asset = (slot[name].__set__ for name in ("timestamp", "wallet", "type", "asset"))
    amount, price, fee, fee_asset, line = (
        slot[name].__set__ for name in ("amount", "price", "fee", "fee_asset", "line")
    )

    def make(  # noqa: PLR0917 (TaxEvent's fields, in their order)
        t: datetime, w: str, k: EventType, a: str, n: Decimal, p: Decimal, f: Decimal, fa: str, ln: int
    ) -> TaxEvent:
        event = new(TaxEvent)
        timestamp(event, t)
        wallet(event, w)
        kind(event, k)
        asset(event, a)
        amount(event, n)
        price(event, p)
        fee(event, f)
        fee_asset(event, fa)
        line(event, ln)
        return event

    return make


make_event = _event_maker()
"""``TaxEvent(...)`` of all nine fields, the same object at half the cost: the slots are set
directly, not through the frozen dataclass's ``__init__`` (which calls ``object.__setattr__`` per
field; it checks nothing else). For readers of a long history (a ledger, a CSV of a million rows)."""


@dataclass(frozen=True, slots=True)
class Lot:
    """Units of one asset in one wallet acquired together. ``cost`` includes the acquisition fees.

    ``acquired`` is the UTC time the units were acquired (for a wash-sale replacement, the tacked-on
    time of the lot it replaced); ``lot_id`` is stable across partial disposals (e.g. ``"3"`` or ``"3.1"``).
    """

    lot_id: str
    asset: str
    wallet: str
    amount: Decimal
    cost: Decimal
    acquired: datetime

    @property
    def unit_cost(self) -> Decimal:
        return self.cost / self.amount if self.amount else Decimal(0)


@dataclass(frozen=True, slots=True)
class Disposal:
    """One row of a realized-gains report.

    ``acquired`` is a local date, or None when several acquisition dates are pooled ("VARIOUS" on Form
    8949, or the UK section 104 pool). ``gain = proceeds - cost`` (proceeds net of disposal fees).
    Exactly one of ``term`` (US), ``taxable`` (Germany), ``rule`` (UK) is set. ``lot_ids`` names the
    lots the disposal consumed; ``adjustment`` is a US wash-sale disallowed loss (code W), else 0.
    """

    asset: str
    wallet: str
    amount: Decimal
    acquired: date | None
    disposed: date
    proceeds: Decimal
    cost: Decimal
    term: Term | None = None
    taxable: bool | None = None
    rule: MatchRule | None = None
    lot_ids: tuple[str, ...] = ()
    adjustment: Decimal = Decimal(0)

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost + self.adjustment


def priced_trade(  # noqa: PLR0917 (an event's facts in their natural order)
    when: datetime,
    wallet: str,
    kind: EventType,
    asset: str,
    amount: Decimal,
    price: Decimal,
    *,
    fee_rate: Decimal,
    currency: str,
) -> TaxEvent:
    """A buy or sell of ``amount`` at ``price`` (report currency) whose fee, ``fee_rate`` of its value,
    is paid in the report ``currency``: a trade the bot is about to make, priced for an estimate."""
    fee = amount * price * fee_rate
    return TaxEvent(when, wallet, kind, asset, amount, price, fee, currency if fee else "")

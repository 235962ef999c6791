"""The whole tax history of a ledger: imported events plus the bot's own fills, as TaxEvents.

:func:`all_events` is what ``trimtab tax report`` computes from: the history imported with ``trimtab
tax import`` and every fill the bot recorded, in time order, priced in the report currency.

Imported events keep the currency they were imported in. Those in the report currency are used as
they are; those in USD are converted with the rates file (its rate is report-currency units per USD,
USDT counted as USD, of the event's date in the taxpayer's time zone: the price, and a fee paid in
USD), and without a rates file they are an error (the report would be wrong without them). Events in
another currency cannot be converted and are left out (:func:`ledger_history` counts them for a
warning).

``before`` (a report's horizon, :meth:`trimtab.tax.jurisdiction.TaxRules.horizon`) leaves out every
event from it on: they cannot change that report, so a rate is never demanded for them. Everything up
to it is kept, years before the report included: earlier acquisitions are the lots and pools the
year's sales are matched with.

How a fill becomes events (:func:`fill_events`):

- Only fills of **live** runs count (a dry run places nothing), and only runs on the config's
  exchange: the wallet is the exchange name (``paper``, ``binance``), so paper fills never mix with
  a real account's. A run's status does not matter: a fill of a run that failed later still happened.
- A fill of ``BASE/QUOTE`` is a ``buy`` or ``sell`` of ``amount`` BASE at ``price x rate``, where the
  rate turns one unit of QUOTE into the report currency on the fill's date (in the taxpayer's time
  zone: a report's; UTC where none is given): 1 when QUOTE *is* the
  report currency; else the rate of the user's rates file (:mod:`trimtab.tax.rates`, daily
  QUOTE->report-currency rates; written for USDT, it is used for whatever the bot's quote is);
  without a rates file, 1 for a USD report quoted in a USD stablecoin (USDT, USDC, FDUSD: the
  documented default USDT = USD); any other case needs a rates file (a one-line ConfigError).
- **The quote is cash** (a documented simplification): USDT is not tracked as a crypto lot. Buying
  BTC with USDT is a buy of BTC only, not also a disposal of USDT, and USDT's own small moves against
  the report currency are not taxed. Check with an adviser whether that holds for you (in Germany
  and the UK, swapping a stablecoin for a crypto is a disposal of the stablecoin).
- A fee in BASE stays a crypto fee (``fee_asset`` BASE: added to the cost or deducted from the
  proceeds, and the fee units are themselves disposed of, see :mod:`trimtab.tax.normalize`). A fee in
  QUOTE (or the report currency) becomes a fee in the report currency at the same rate. A fee in a
  third asset (BNB on Binance) becomes its own ``fee`` event of that asset, valued at its price in
  the run's ``before`` snapshot; a fee with no such price is a :class:`~trimtab.tax.lots.TaxError`.

- A fill of a **cross pair** (``ETH/BTC`` where the portfolio's quote is USDT: neither side is the
  quote) is a swap: a disposal of the asset paid and an acquisition of the asset received (BUY
  ETH/BTC: BTC disposed of, ETH acquired; SELL: the reverse), disposal first, at the same time. Both
  are valued at what the pair's quote asset was worth in the run's ``before`` snapshot: BTC at its
  snapshot price x rate, ETH at the fill price x that (the BTC given for one ETH), so the disposal's
  proceeds are the acquisition's cost and the swap realises exactly the gain of the BTC disposed of.
  When the snapshot has no price for the pair's quote asset, the base's is used instead (BTC = ETH's
  price / fill price); with neither, it is a :class:`~trimtab.tax.lots.TaxError`. A fee in the asset
  received (as every venue charges it on a cross pair) is a crypto fee of the acquisition (added to its
  cost, its units disposed of), a fee in the asset paid one of the disposal, a fee in the portfolio's
  quote a report-currency fee of the acquisition, a fee in a third asset its own ``fee`` event.

Backtest fills are not in the ledger; :func:`fill_events` takes any fill, for a caller that has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.collector import collector_paused
from trimtab.errors import MissingRates, TaxError
from trimtab.model.assets import USD_QUOTES
from trimtab.model.money import ONE
from trimtab.model.orders import Fill, Side
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.rates import RateTable

if TYPE_CHECKING:  # a type only: the ledger stores tax events, so it sits above tax
    from trimtab.ledger.store import LedgerStore


def quote_rate(
    quote: str,
    report_currency: str,
    day: date,
    rates: RateTable | None,
    *,
    priced: str = "the bot's fills are quoted in",
) -> Decimal:
    """Units of ``report_currency`` per unit of ``quote`` on ``day`` (see the module docstring).

    ``rates`` None means no rates file was given. Raises ConfigError when one is needed (its message
    says what is ``priced`` in ``quote``, and the day), or when the file has no rate on or before ``day``.
    """
    if quote == report_currency:
        return ONE
    if rates is not None:
        return rates.rate_on(day)
    if report_currency == "USD" and quote in USD_QUOTES:
        return ONE
    raise MissingRates(priced, quote=quote, currency=report_currency, day=day)


def fill_events(
    symbol: str,
    side: Side,
    fill: Fill,
    prices: Mapping[str, Decimal],
    *,
    rates: RateTable | None,
    report_currency: str,
    wallet: str,
    zone: tzinfo = UTC,
    portfolio_quote: str = "",
) -> list[TaxEvent]:
    """The events of one fill of ``symbol`` (``BASE/QUOTE``): the trade, and a ``fee`` event when the
    fee is paid in a third asset. ``prices`` are last prices in the portfolio's quote (for that third
    asset); the rate is that of the fill's date in ``zone`` (the taxpayer's). ``portfolio_quote`` ("":
    the symbol's own QUOTE) is the run's quote: a symbol quoted in another asset is a cross fill, two
    trades (see the module docstring)."""
    base, _, quote = symbol.partition("/")
    if fill.amount <= 0:
        return []
    rate = quote_rate(
        portfolio_quote or quote, report_currency, fill.timestamp.astimezone(zone).date(), rates
    )
    if portfolio_quote and quote != portfolio_quote:
        return _cross_fill_events(symbol, side, fill, prices, rate, report_currency, wallet, portfolio_quote)
    kind = EventType.BUY if side is Side.BUY else EventType.SELL
    trade = TaxEvent(fill.timestamp, wallet, kind, base, fill.amount, fill.price * rate)
    if fill.fee <= 0:
        return [trade]
    if fill.fee_asset == base:
        return [replace(trade, fee=fill.fee, fee_asset=base)]
    if fill.fee_asset == quote:
        return [replace(trade, fee=fill.fee * rate, fee_asset=report_currency)]
    if fill.fee_asset == report_currency:
        return [replace(trade, fee=fill.fee, fee_asset=report_currency)]
    return [trade, _fee_event(symbol, fill, prices, rate, wallet)]


def _fee_event(
    symbol: str, fill: Fill, prices: Mapping[str, Decimal], rate: Decimal, wallet: str
) -> TaxEvent:
    """The ``fee`` event of a fee paid in a third asset, valued at its snapshot price x ``rate``."""
    price = prices.get(fill.fee_asset)
    if price is None:
        raise TaxError(
            f"the {symbol} fill at {fill.timestamp.isoformat()} paid a fee of {fill.fee} "
            f"{fill.fee_asset}, which has no price in its run's snapshot to value it at"
        )
    return TaxEvent(fill.timestamp, wallet, EventType.FEE, fill.fee_asset, fill.fee, price * rate)


def _cross_fill_events(  # noqa: PLR0917 (fill_events' facts, passed on)
    symbol: str,
    side: Side,
    fill: Fill,
    prices: Mapping[str, Decimal],
    rate: Decimal,
    report_currency: str,
    wallet: str,
    portfolio_quote: str,
) -> list[TaxEvent]:
    """A cross fill's disposal and acquisition (and a third asset's ``fee`` event), valued at the pair
    quote asset's snapshot price x ``rate`` (the portfolio quote's); see the module docstring."""
    base, _, paid_in = symbol.partition("/")
    unit = prices.get(paid_in)
    if unit is None and base in prices and fill.price > 0:
        unit = prices[base] / fill.price
    if unit is None:
        raise TaxError(
            f"the {symbol} fill at {fill.timestamp.isoformat()} swapped {base} for {paid_in}, neither of "
            f"which has a price in its run's snapshot to value it at"
        )
    worth = unit * rate  # one unit of the pair's quote asset, in the report currency
    at = fill.timestamp
    base_leg = TaxEvent(at, wallet, EventType.BUY, base, fill.amount, fill.price * worth)
    other_leg = TaxEvent(at, wallet, EventType.SELL, paid_in, fill.amount * fill.price, worth)
    if side is Side.BUY:
        disposal, acquisition = other_leg, base_leg
    else:
        disposal = replace(base_leg, type=EventType.SELL)
        acquisition = replace(other_leg, type=EventType.BUY)
    if fill.fee <= 0:
        return [disposal, acquisition]
    if fill.fee_asset == acquisition.asset:
        return [disposal, replace(acquisition, fee=fill.fee, fee_asset=acquisition.asset)]
    if fill.fee_asset == disposal.asset:
        return [replace(disposal, fee=fill.fee, fee_asset=disposal.asset), acquisition]
    if fill.fee_asset in {portfolio_quote, report_currency}:
        fee = fill.fee * rate if fill.fee_asset == portfolio_quote else fill.fee
        return [disposal, replace(acquisition, fee=fee, fee_asset=report_currency)]
    return [disposal, acquisition, _fee_event(symbol, fill, prices, rate, wallet)]


def bot_fills_as_events(
    store: LedgerStore,
    *,
    rates: RateTable | None,
    report_currency: str,
    wallet: str,
    before: datetime | None = None,
    zone: tzinfo = UTC,
) -> list[TaxEvent]:
    """Every fill of the live runs on venue ``wallet`` (before ``before``) as events of that wallet, in
    time order, converted at the rates of their dates in ``zone``."""
    return [
        event
        for recorded in store.live_fills(wallet)
        if before is None or recorded.fill.timestamp < before
        for event in fill_events(
            recorded.symbol,
            recorded.side,
            recorded.fill,
            recorded.prices,
            rates=rates,
            report_currency=report_currency,
            wallet=wallet,
            zone=zone,
            portfolio_quote=recorded.quote,
        )
    ]


def in_currency(
    event: TaxEvent, currency: str, report_currency: str, rates: RateTable | None, zone: tzinfo = UTC
) -> TaxEvent:
    """An imported ``event`` priced in ``currency`` re-priced in ``report_currency`` (price, and a fee
    paid in ``currency``) at the rate of its date in ``zone``; ConfigError when no rate is available."""
    if currency == report_currency:
        return event
    rate = quote_rate(
        currency,
        report_currency,
        event.timestamp.astimezone(zone).date(),
        rates,
        priced="imported history is priced in",
    )
    fee, fee_asset = event.fee, event.fee_asset
    if fee_asset == currency:
        fee, fee_asset = fee * rate, report_currency
    return replace(event, price=event.price * rate, fee=fee, fee_asset=fee_asset)


@dataclass(frozen=True, slots=True)
class LedgerHistory:
    """The events a report computes from, and how many imported events were left out, by currency."""

    events: list[TaxEvent]
    left_out: dict[str, int]


def convertible(currency: str, report_currency: str) -> bool:
    """Whether events imported in ``currency`` can enter a ``report_currency`` report: those priced
    in it, and those in USD (with a rates file, which :func:`in_currency` demands when it is missing)."""
    return currency in (report_currency, "USD")


def ledger_history(
    store: LedgerStore,
    *,
    rates: RateTable | None,
    report_currency: str,
    wallet: str,
    before: datetime | None = None,
    zone: tzinfo = UTC,
) -> LedgerHistory:
    """:func:`all_events`, with the count of imported events (before ``before``) it had to leave out.

    At size (a million events) the events are the report's largest holding, so they are read once,
    already in time order and cut at ``before`` by the database, into the list returned: a part
    (a currency's events, the fills) is converted in place, and parts are merged only when there is
    more than one."""
    with collector_paused():  # a million events and no cycles (trimtab.collector)
        return _ledger_history(store, rates, report_currency, wallet, before, zone)


def _ledger_history(  # noqa: PLR0917 (ledger_history's arguments, passed on)
    store: LedgerStore,
    rates: RateTable | None,
    report_currency: str,
    wallet: str,
    before: datetime | None,
    zone: tzinfo,
) -> LedgerHistory:
    imported: dict[str, list[TaxEvent]] = {}
    left_out: dict[str, int] = {}
    counts = store.tax_event_counts(before=before)
    # USD before the report's own currency: a missing rates file fails at its first event, before
    # a million events of the report's currency are read for nothing.
    for currency in sorted(counts, key=lambda currency: (currency == report_currency, currency)):
        if not convertible(currency, report_currency):
            left_out[currency] = counts[currency]
            continue
        events = store.tax_events(currency, before=before)
        if currency != report_currency:
            for index, event in enumerate(events):
                events[index] = in_currency(event, currency, report_currency, rates, zone)
        imported[currency] = events
    parts = [imported[currency] for currency in sorted(imported)]  # a tie: by currency, as always
    parts.append(
        bot_fills_as_events(
            store, rates=rates, report_currency=report_currency, wallet=wallet, before=before, zone=zone
        )
    )
    return LedgerHistory(_in_time_order([part for part in parts if part]), left_out)


def _in_time_order(parts: list[list[TaxEvent]]) -> list[TaxEvent]:
    """The parts (each in time order) as one list by time; on a tie, an earlier part's events first."""
    if not parts:
        return []
    merged = parts[0]
    if len(parts) > 1:
        for part in parts[1:]:
            merged.extend(part)
            part.clear()
        merged.sort(key=_time)  # stable, and runs already in order are merged, not sorted again
    return merged


def _time(event: TaxEvent) -> datetime:
    return event.timestamp


def all_events(
    store: LedgerStore,
    *,
    rates: RateTable | None,
    report_currency: str,
    wallet: str,
    before: datetime | None = None,
    zone: tzinfo = UTC,
) -> list[TaxEvent]:
    """The imported history (in ``report_currency``, or USD converted with ``rates``) and the bot's
    fills on ``wallet``, before ``before``, by time (on a tie, imported events first); rates are
    those of each event's date in ``zone``, the taxpayer's."""
    return ledger_history(
        store, rates=rates, report_currency=report_currency, wallet=wallet, before=before, zone=zone
    ).events

"""The whole tax history of a ledger: imported events plus the bot's own fills, as TaxEvents.

:func:`all_events` is what ``trimtab tax report`` computes from: the history imported with ``trimtab
tax import`` (priced in the report currency) and every fill the bot recorded, in time order.

How a fill becomes events (:func:`fill_events`):

- Only fills of **live** runs count (a dry run places nothing), and only runs on the config's
  exchange: the wallet is the exchange name (``paper``, ``binance``), so paper fills never mix with
  a real account's. A run's status does not matter: a fill of a run that failed later still happened.
- A fill of ``BASE/QUOTE`` is a ``buy`` or ``sell`` of ``amount`` BASE at ``price x rate``, where the
  rate turns one unit of QUOTE into the report currency on the fill's UTC date: 1 when QUOTE *is* the
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

Backtest fills are not in the ledger; :func:`fill_events` takes any fill, for a caller that has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal

from trimtab.errors import ConfigError, TaxError
from trimtab.ledger.store import LedgerStore
from trimtab.money import ONE
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.rates import RateTable
from trimtab.venues.binance_defaults import USD_QUOTES
from trimtab.venues.port import Fill, Side


def quote_rate(quote: str, report_currency: str, day: date, rates: RateTable | None) -> Decimal:
    """Units of ``report_currency`` per unit of ``quote`` on ``day`` (see the module docstring).

    ``rates`` None means no rates file was given. Raises ConfigError when one is needed, or when the
    file has no rate on or before ``day``.
    """
    if quote == report_currency:
        return ONE
    if rates is not None:
        return rates.rate_on(day)
    if report_currency == "USD" and quote in USD_QUOTES:
        return ONE
    raise ConfigError(
        "command line",
        "--rates",
        f"the bot's fills are quoted in {quote}; a {report_currency} report needs daily "
        f"{quote}->{report_currency} rates: give a CSV of date,rate with --rates",
    )


def fill_events(
    symbol: str,
    side: Side,
    fill: Fill,
    prices: Mapping[str, Decimal],
    *,
    rates: RateTable | None,
    report_currency: str,
    wallet: str,
) -> list[TaxEvent]:
    """The events of one fill of ``symbol`` (``BASE/QUOTE``): the trade, and a ``fee`` event when the
    fee is paid in a third asset. ``prices`` are last prices in QUOTE (for that third asset)."""
    base, _, quote = symbol.partition("/")
    if fill.amount <= 0:
        return []
    rate = quote_rate(quote, report_currency, fill.timestamp.date(), rates)
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
    price = prices.get(fill.fee_asset)
    if price is None:
        raise TaxError(
            f"the {symbol} fill at {fill.timestamp.isoformat()} paid a fee of {fill.fee} "
            f"{fill.fee_asset}, which has no price in its run's snapshot to value it at"
        )
    fee = TaxEvent(fill.timestamp, wallet, EventType.FEE, fill.fee_asset, fill.fee, price * rate)
    return [trade, fee]


def bot_fills_as_events(
    store: LedgerStore, *, rates: RateTable | None, report_currency: str, wallet: str
) -> list[TaxEvent]:
    """Every fill of the live runs on venue ``wallet`` as events of that wallet, in time order."""
    return [
        event
        for recorded in store.live_fills(wallet)
        for event in fill_events(
            recorded.symbol,
            recorded.side,
            recorded.fill,
            recorded.prices,
            rates=rates,
            report_currency=report_currency,
            wallet=wallet,
        )
    ]


def all_events(
    store: LedgerStore, *, rates: RateTable | None, report_currency: str, wallet: str
) -> list[TaxEvent]:
    """The imported history priced in ``report_currency`` and the bot's fills on ``wallet``, by time
    (on a tie, imported events first)."""
    imported = store.tax_events(report_currency)
    fills = bot_fills_as_events(store, rates=rates, report_currency=report_currency, wallet=wallet)
    return sorted([*imported, *fills], key=lambda event: event.timestamp)

"""Reading ccxt's answers: where ccxt's floats become exact Decimals, and its dicts trimtab's types.

Every number crosses as :func:`dec` (``Decimal(repr(x))`` via :func:`trimtab.model.money.to_decimal`: exact for
the shortest decimal of the float, which is what the exchange sent as a string). Anything that does not
look like the answer expected raises ValueError, KeyError, TypeError and the like;
:class:`~trimtab.venues.ccxt_venue.CcxtVenue` turns those into "malformed ... response"
(:class:`~trimtab.errors.TemporaryVenueError`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt  # type: ignore[import-untyped]  # ccxt ships no type hints

from trimtab.errors import FatalVenueError
from trimtab.model.markets import TRADING, MarketRules
from trimtab.model.money import ZERO, to_decimal
from trimtab.model.orders import Fill, OrderStatus, Side
from trimtab.model.portfolio import Balance
from trimtab.model.tickers import Ticker, change_percent
from trimtab.venues.exchange_traits import ExchangeTraits

ORDER_STATUSES = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.CLOSED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


def dec(value: object) -> Decimal:
    """A ccxt number (float, int, str; None for "nothing") as an exact, finite Decimal: ``5.0`` -> ``5``."""
    if value is None:
        return ZERO
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # ccxt parses "5.00000000" to 5.0; Decimal("5.0") would print as 5.0
    number = to_decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def dec_or_none(value: object) -> Decimal | None:
    return None if value is None else dec(value)


def positive_or_none(value: object) -> Decimal | None:
    """A ccxt maximum: None when the exchange gives none (or 0, which some exchanges use for "none")."""
    number = dec_or_none(value)
    return number if number is not None and number > 0 else None


def is_spot(market: Mapping[str, Any]) -> bool:
    # ``active`` None means the exchange does not say: treat as tradable and let the venue refuse.
    return bool(market.get("spot")) and market.get("active") is not False


def precision_step(value: object, *, precision_mode: object, exchange: str) -> Decimal | None:
    """A precision as a step: as is in TICK_SIZE mode (Binance), ``10**-n`` in DECIMAL_PLACES mode."""
    number = dec_or_none(value)
    if number is None or precision_mode == ccxt.TICK_SIZE:
        return number
    if precision_mode == ccxt.DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(number))
    raise FatalVenueError(
        f"{exchange}: precision mode {precision_mode} (significant digits) is not supported"
    )


def market_rules(
    market: Mapping[str, Any], asset: str, quote: str, *, precision_mode: object, exchange: str
) -> MarketRules | None:
    """MarketRules from ccxt's precision and limits; None when the market has no lot step."""
    precision, limits = market.get("precision") or {}, market.get("limits") or {}
    step = precision_step(precision.get("amount"), precision_mode=precision_mode, exchange=exchange)
    if step is None or step <= 0:
        return None  # nothing an order amount could be rounded to
    return MarketRules(
        base=asset,
        quote=quote,
        amount_step=step,
        min_amount=dec((limits.get("amount") or {}).get("min")),
        min_notional=dec((limits.get("cost") or {}).get("min")),
        price_tick=precision_step(precision.get("price"), precision_mode=precision_mode, exchange=exchange)
        or ZERO,
        max_amount=positive_or_none((limits.get("amount") or {}).get("max")),
        max_notional=positive_or_none((limits.get("cost") or {}).get("max")),
        status=market_status(market),
    )


def cross_market_rules(
    markets: Mapping[str, Any], assets: Set[str], *, precision_mode: object, exchange: str
) -> dict[str, MarketRules]:
    """The rules of every spot market of ccxt's ``markets`` between two of ``assets`` (ETH/BTC), active
    or not (the status says), by symbol; a market without a lot step is left out."""
    rules: dict[str, MarketRules] = {}
    for symbol, market in sorted(markets.items()):
        if not isinstance(market, Mapping) or not market.get("spot"):
            continue
        base, quote = market.get("base"), market.get("quote")
        if base in assets and quote in assets and base != quote and symbol == f"{base}/{quote}":
            found = market_rules(
                market, str(base), str(quote), precision_mode=precision_mode, exchange=exchange
            )
            if found is not None:
                rules[symbol] = found
    return rules


def balances_of(answer: Any, traits: ExchangeTraits) -> dict[str, Balance]:
    """Free and total balance of every asset with a non-zero total in a ``fetch_balance`` answer of an
    exchange with ``traits``. ccxt turns a garbled 200 into empty dicts, which must not read as an empty account:
    an answer that does not look like a balance raises ValueError."""
    if not _looks_like_balance(answer, traits):
        raise ValueError("not a balance")
    balances: dict[str, Balance] = {}
    for asset, total_raw in answer["total"].items():
        free = dec(answer["free"].get(asset))
        total = dec(total_raw) if total_raw is not None else free + dec(answer["used"].get(asset))
        if total > 0:
            balances[str(asset)] = Balance(free=free, total=total)
    return balances


def _looks_like_balance(answer: Any, traits: ExchangeTraits) -> bool:
    info = answer.get("info") if isinstance(answer, Mapping) else None
    if not isinstance(info, Mapping) or not info or not traits.looks_like_balance_info(info):
        return False
    return all(isinstance(answer.get(key), Mapping) for key in ("free", "used", "total"))


def fill_of(trade: Mapping[str, Any], side: Side, symbol: str, order: Mapping[str, Any]) -> Fill:
    """One of ``order``'s ``trade`` as a Fill; the fee asset, when the trade names none, is the asset
    received (the base of a buy, the quote of a sell)."""
    fee = trade.get("fee") or {}
    base, _, quote = symbol.partition("/")
    stamp = trade.get("timestamp") or order.get("lastTradeTimestamp") or order.get("timestamp")
    return Fill(
        price=dec(trade["price"]),
        amount=dec(trade["amount"]),
        fee=dec(fee.get("cost")),
        fee_asset=str(fee.get("currency") or (base if side is Side.BUY else quote)),
        timestamp=datetime.fromtimestamp(int(stamp) / 1000, UTC) if stamp else datetime.now(UTC),
    )


#: Binance's symbol statuses (ccxt's ``info.status``) as :attr:`MarketRules.status`; an inactive market
#: with another status (or none) counts as halted.
_STATUSES = {"BREAK": "break", "HALT": "halted", "DELISTED": "delisted", "END_OF_DAY": "halted"}


def market_status(market: Mapping[str, Any]) -> str:
    """What ``market`` says of itself: ``trading`` unless ccxt marks it inactive, then ``break``,
    ``halted`` or ``delisted`` by the exchange's own status (``info.status``)."""
    if market.get("active") is not False:
        return TRADING
    info = market.get("info")
    status = str(info.get("status", "")).upper() if isinstance(info, Mapping) else ""
    return _STATUSES.get(status, "halted")


def last_price(ticker: Mapping[str, Any]) -> Decimal | None:
    """A ccxt ticker's ``last`` price, None unless it is a positive number."""
    last = dec_or_none(ticker.get("last"))
    return last if last is not None and last > 0 else None


def ticker_of(ticker: Mapping[str, Any]) -> Ticker | None:
    """A ccxt ticker as a :class:`Ticker` (None without a positive last price): its ``timestamp``
    (milliseconds) as the time, its ``percentage`` as the 24-hour change, else the change from ``open``."""
    last = last_price(ticker)
    if last is None:
        return None
    stamp = ticker.get("timestamp")
    when = datetime.fromtimestamp(int(stamp) / 1000, UTC) if stamp else None
    percentage = dec_or_none(ticker.get("percentage"))
    if percentage is None:
        opened = dec_or_none(ticker.get("open"))
        percentage = change_percent(last, opened) if opened is not None else None
    return Ticker(last, when, percentage)

"""The paper fill model: how an immediate-or-cancel limit order meets one market at one moment.

One model, shared by the paper venue (:mod:`trimtab.venues.paper`), the backtest
(:mod:`trimtab.backtest.venue`) and the planner's property tests: Binance's filters in Binance's order,
the fill at the last price (± slippage, never beyond the limit, ``fill_ratio`` of it floored to the
step) and the fee in the asset received. A market is any pair, ``BTC/USDT`` as well as ``ETH/BTC``:
a fill moves the two assets of its pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.errors import InsufficientFunds, OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.money import ONE, ZERO, ceil_to_step, floor_to_step, fmt, is_on_step
from trimtab.model.orders import Fill, OrderRequest, OrderResult, OrderStatus, Side

if TYPE_CHECKING:
    from trimtab.venues.paper import PaperSettings

_BPS = Decimal(10000)


@dataclass(frozen=True, slots=True)
class IocMarket:
    """One market at one moment, as an immediate-or-cancel order meets it: its rules, the last price,
    the fee and slippage of the venue's ``settings``, and the time a fill is stamped with."""

    base: str
    quote: str
    rules: MarketRules
    last: Decimal
    settings: PaperSettings
    at: datetime


def match_order(
    request: OrderRequest,
    market: IocMarket,
    balances: Mapping[str, Decimal],
    order_id: str,
    *,
    price: Decimal | None = None,
) -> tuple[OrderResult, dict[str, Decimal]]:
    """The one fill model, shared by the paper venue, the backtest and the planner's property tests:
    check ``request`` against Binance's filters and the free ``balances``, fill it at the last price
    (± slippage, never beyond the limit, ``fill_ratio`` of it floored to the step) and charge the fee
    in the asset received.

    An explicit ``price`` replaces the last price as the fill price, as is (even off the tick grid):
    the tests fill plans at their limits (the worst fills they allow) or at the exact last price. It
    must be positive and no worse than the limit, else ValueError.

    Returns the order and the balance changes; raises OrderRejected or InsufficientFunds.
    """
    rules, settings = market.rules, market.settings
    check_filters(request, rules)
    # Binance locks the full limit value of a buy; the fee comes out of what is received, not on top.
    asset, needed = (
        (market.quote, request.amount * request.limit_price)
        if request.side is Side.BUY
        else (market.base, request.amount)
    )
    free = balances.get(asset, ZERO)
    if needed > free:
        raise InsufficientFunds(
            "Account has insufficient balance for requested action. "
            f"({request.symbol} {request.side.value} needs {fmt(needed)} {asset}, {fmt(free)} free)"
        )
    if price is None:
        price = fill_price(request, market.last, rules.price_tick, settings.slippage_bps)
    else:
        _require_within_limit(request, price)
    filled = ZERO
    fills: tuple[Fill, ...] = ()
    deltas: dict[str, Decimal] = {}
    if price is not None:
        filled = floor_to_step(request.amount * settings.fill_ratio, rules.amount_step)
        if filled > 0:
            proceeds = filled * price
            if request.side is Side.BUY:
                fee, fee_asset = filled * settings.fee_rate, market.base
                deltas = {market.base: filled - fee, market.quote: -proceeds}
            else:
                fee, fee_asset = proceeds * settings.fee_rate, market.quote
                deltas = {market.base: -filled, market.quote: proceeds - fee}
            fills = (Fill(price=price, amount=filled, fee=fee, fee_asset=fee_asset, timestamp=market.at),)
        else:
            filled = ZERO
    order = OrderResult(
        client_order_id=request.client_order_id,
        exchange_order_id=order_id,
        symbol=request.symbol,
        side=request.side,
        amount=request.amount,
        limit_price=request.limit_price,
        status=OrderStatus.CLOSED if filled == request.amount else OrderStatus.EXPIRED,
        filled=filled,
        fills=fills,
    )
    return order, deltas


def _require_within_limit(request: OrderRequest, price: Decimal) -> None:
    worse = price > request.limit_price if request.side is Side.BUY else price < request.limit_price
    if worse or price <= 0:
        raise ValueError(
            f"{request.symbol} {request.side.value}: fill price {fmt(price)} breaks the limit "
            f"{fmt(request.limit_price)}"
        )


def check_filters(request: OrderRequest, rules: MarketRules) -> None:
    """Raise OrderRejected naming the first Binance filter ``request`` fails: LOT_SIZE, PRICE_FILTER, NOTIONAL."""
    amount, limit = request.amount, request.limit_price
    if amount < rules.min_amount or amount <= 0:
        _filter_failure(
            "LOT_SIZE", f"amount {fmt(amount)} is below the minimum {fmt(rules.min_amount)}", rules
        )
    if not is_on_step(amount, rules.amount_step):
        _filter_failure(
            "LOT_SIZE", f"amount {fmt(amount)} is not a multiple of {fmt(rules.amount_step)}", rules
        )
    if rules.max_amount is not None and amount > rules.max_amount:
        _filter_failure(
            "LOT_SIZE", f"amount {fmt(amount)} is above the maximum {fmt(rules.max_amount)}", rules
        )
    if limit <= 0:
        _filter_failure("PRICE_FILTER", f"limit price {fmt(limit)} is not positive", rules)
    if not is_on_step(limit, rules.price_tick):
        _filter_failure(
            "PRICE_FILTER", f"limit price {fmt(limit)} is not a multiple of {fmt(rules.price_tick)}", rules
        )
    if amount * limit < rules.min_notional:
        notional = fmt(amount * limit)
        _filter_failure(
            "NOTIONAL", f"amount x limit = {notional} is below the minimum {fmt(rules.min_notional)}", rules
        )
    if rules.max_notional is not None and amount * limit > rules.max_notional:
        notional = fmt(amount * limit)
        _filter_failure(
            "NOTIONAL", f"amount x limit = {notional} is above the maximum {fmt(rules.max_notional)}", rules
        )


def _filter_failure(name: str, detail: str, rules: MarketRules) -> None:
    raise OrderRejected(f"Filter failure: {name} ({rules.symbol}: {detail})")


def fill_price(request: OrderRequest, last: Decimal, tick: Decimal, slippage_bps: Decimal) -> Decimal | None:
    """The price an IOC limit order fills at against ``last``, or None when the limit is not marketable.

    Slippage moves the price against the taker and the result is rounded to the tick the same way (a
    trade prints on the price grid); it is then capped at the limit, so it is never worse than asked.
    """
    slip = slippage_bps / _BPS
    if request.side is Side.BUY:
        if request.limit_price < last:
            return None
        return min(request.limit_price, ceil_to_step(last * (ONE + slip), tick))
    if request.limit_price > last:
        return None
    return max(request.limit_price, floor_to_step(last * (ONE - slip), tick))

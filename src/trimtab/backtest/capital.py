"""The smallest starting capital a backtest can work with.

A capital too small for the minimum trade (``rebalancing.min_trade_usd``) or, with ``--market-rules``,
for a market's minimum order buys nothing of some asset at the start, and then at no rebalance either:
the backtest would report rebalances in which nothing is ever bought. It is refused instead, with the
smallest capital that buys every targeted asset.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal

from trimtab.errors import ParameterError
from trimtab.limits import bound
from trimtab.model.markets import MarketRules
from trimtab.model.money import HUNDRED, ONE, ZERO
from trimtab.planning.constraints import smallest_order

# Room for the fee reserve and the rounding of amounts to the lot step: the planner sizes the buys
# to the cash after a worst-case fee, so the smallest capital that works is a little above the bare sum.
MARGIN = Decimal("1.02")


def smallest_capital(
    unbought: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    markets: Mapping[str, MarketRules],
    *,
    min_trade_value: Decimal,
    fee_rate: Decimal,
) -> Decimal:
    """The capital whose share ``unbought[asset]`` (percent) of each asset reaches its smallest trade,
    rounded up to two significant digits."""
    need = ZERO
    for asset, weight in unbought.items():
        rules = markets[asset]
        smallest = (
            smallest_order(rules, prices[asset]) * prices[asset]
            if rules.min_notional or rules.min_amount
            else ZERO
        )
        floor = max(min_trade_value, smallest)
        need = max(need, floor * HUNDRED / weight * (ONE + fee_rate) * MARGIN)
    if need <= 0:
        return need
    exponent = need.adjusted() - 1  # two significant digits
    return (need.scaleb(-exponent).to_integral_value(rounding=ROUND_CEILING)).scaleb(exponent)


def refuse_small_capital(
    initial: Decimal, quote: str, unbought: Mapping[str, Decimal], need: Decimal
) -> ParameterError:
    """The one-line error for a capital that bought nothing of ``unbought``."""
    assets = ", ".join(sorted(unbought))
    return ParameterError(
        "initial",
        f"{bound(initial)} {quote} is too little to buy {assets} at the start (each trade must reach the "
        f"minimum trade value and the market minimums); start with at least {bound(need)} {quote}",
    )


def check_starting_capital(
    targets: Mapping[str, Decimal],
    balances: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    markets: Mapping[str, MarketRules],
    *,
    initial: Decimal,
    quote: str,
    min_trade_value: Decimal,
    fee_rate: Decimal,
) -> None:
    """Raise :func:`refuse_small_capital`'s error when the first purchase left nothing in ``balances`` of
    an asset of ``prices`` (the assets held, at the first close) with a positive target."""
    unbought = {a: targets[a] for a in prices if targets.get(a, ZERO) > 0 and not balances.get(a)}
    if unbought:
        need = smallest_capital(unbought, prices, markets, min_trade_value=min_trade_value, fee_rate=fee_rate)
        raise refuse_small_capital(initial, quote, unbought, need)

"""The cross pairs a rebalance may route through, as edges from an asset the quote-only plan sells to
one it buys, each with its limit price and its cost per unit of value moved.

An edge is one order on a cross market ``B/C`` (both non-quote assets): a SELL of ``B`` for ``C`` when
the quote-only plan sells ``B`` and buys ``C``, a BUY of ``B`` paid with ``C`` when it sells ``C`` and
buys ``B``. Only direct edges are useful: a route through an asset that stays put costs two cross
trades, more than the two quote trades it would replace.

The cost of a trade is its fee rate plus a spread allowance, the price lost to the spread and the book
against the last price (:data:`QUOTE_SPREAD_ALLOWANCE`, :data:`CROSS_SPREAD_EXTRA`), plus, on a cross
pair, how much worse its own price is than the one the two quote prices imply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.limits import MAX_PRICE, MIN_PRICE
from trimtab.model.markets import MarketRules
from trimtab.model.money import ONE, ZERO
from trimtab.model.orders import Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.constraints import buy_limit_price, sell_limit_price

#: The spread allowance of a trade against the portfolio quote: 0.02 % of its value, about half the
#: quoted spread plus the book walked by an order of a retail rebalance on a liquid ``X/USDT`` market.
QUOTE_SPREAD_ALLOWANCE = Decimal("0.0002")

#: What a cross pair's spread costs beyond a quote market's: 0.05 % of the value. Cross books
#: (``ETH/BTC``) are thinner and wider; with this allowance one cross trade (fee + 0.07 %) replaces two
#: quote trades (2 x (fee + 0.02 %)) whenever the fee is above 0.03 %, which every exchange charges.
CROSS_SPREAD_EXTRA = Decimal("0.0005")

#: A cross price further than 1 % from the price its two quote prices imply is stale or broken: the
#: pair is not used (a stale price would set a limit that either never fills or gives value away).
MAX_CROSS_DEVIATION = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CrossEdge:
    """One possible cross leg: trade ``rules.base`` on ``side`` of the pair ``rules`` at ``limit``.

    ``giver`` pays, ``taker`` receives. ``price`` is the pair's last price (taker-or-giver per base, in
    ``rules.quote``); ``base_price``/``pair_quote_price`` are the two assets' prices in the portfolio
    quote. ``cost`` is the fee plus the spread allowance and any unfavourable deviation of ``price``
    from the implied price, per unit of value moved.
    """

    rules: MarketRules
    side: Side
    price: Decimal
    limit: Decimal
    base_price: Decimal
    pair_quote_price: Decimal
    cost: Decimal

    @property
    def giver(self) -> str:
        return self.rules.quote if self.side is Side.BUY else self.rules.base

    @property
    def taker(self) -> str:
        return self.rules.base if self.side is Side.BUY else self.rules.quote

    @property
    def implied_rate(self) -> Decimal:
        """The pair's price over the implied one: above 1 the base is dear on the pair."""
        return self.price * self.pair_quote_price / self.base_price


def quote_trade_cost(fee_rate: Decimal) -> Decimal:
    """The cost of one trade against the portfolio quote, per unit of value."""
    return fee_rate + QUOTE_SPREAD_ALLOWANCE


def cross_edges(
    snapshot: Snapshot,
    sold: Mapping[str, Decimal],
    bought: Mapping[str, Decimal],
    slippage_percent: Decimal,
) -> list[CrossEdge]:
    """The cross legs worth considering, sorted by symbol: pairs between an asset in ``sold`` and one in
    ``bought`` (the quote-only plan's sells and buys) that trade now, have a sane price, touch no frozen
    asset, and cost less than the two quote trades they replace."""
    quote_cost = quote_trade_cost(snapshot.fee_rate)
    edges: list[CrossEdge] = []
    for symbol in sorted(snapshot.pairs):
        rules = snapshot.pairs[symbol]
        base, pair_quote = rules.base, rules.quote
        if rules.symbol != symbol:
            continue
        if base in sold and pair_quote in bought:
            side = Side.SELL
        elif pair_quote in sold and base in bought:
            side = Side.BUY
        else:
            continue
        price = snapshot.pair_prices.get(symbol)
        base_price, quote_price = snapshot.prices.get(base), snapshot.prices.get(pair_quote)
        if price is None or base_price is None or quote_price is None or not _usable(snapshot, rules):
            continue
        if not (MIN_PRICE <= price <= MAX_PRICE and base_price > 0 and quote_price > 0):
            continue
        rate = price * quote_price / base_price
        if abs(rate - ONE) > MAX_CROSS_DEVIATION:
            continue
        if side is Side.BUY:
            limit = buy_limit_price(price, slippage_percent, rules.price_tick)
            worse = rate - ONE  # paying more than the implied price
        else:
            limit = sell_limit_price(price, slippage_percent, rules.price_tick)
            worse = ONE - rate  # receiving less than the implied price
        cost = snapshot.fee_rate + QUOTE_SPREAD_ALLOWANCE + CROSS_SPREAD_EXTRA + max(worse, ZERO)
        if limit <= 0 or cost >= 2 * quote_cost:
            continue
        edges.append(CrossEdge(rules, side, price, limit, base_price, quote_price, cost))
    return edges


def _usable(snapshot: Snapshot, rules: MarketRules) -> bool:
    """A cross market the router may trade on: well-formed, trading, between two non-quote assets
    that no guard froze."""
    assets = (rules.base, rules.quote)
    return (
        rules.trading
        and snapshot.quote not in assets
        and rules.base != rules.quote
        and not any(a in snapshot.frozen for a in assets)
        and rules.amount_step > 0
        and rules.price_tick >= 0
    )

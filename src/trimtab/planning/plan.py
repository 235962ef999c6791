"""The plan a planner produces: orders in execution order, and the trades it could not make."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from trimtab.model.orders import Side


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """One order of a plan.

    ``amount`` is on the market's step grid; ``limit_price`` bounds the fill (a sell never fills
    below it, a buy never above it) and is on the market's price grid; ``value`` is
    ``amount * reference_price`` where ``reference_price`` is the last price the plan was made at.
    ``leg`` is the 0-based position of the order in the plan.
    """

    leg: int
    asset: str
    symbol: str
    side: Side
    amount: Decimal
    limit_price: Decimal
    reference_price: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class SkippedTrade:
    """A trade towards the target that the planner did not make, and why (one human-readable line)."""

    asset: str
    side: Side
    value: Decimal
    reason: str


def spends_quote(order: PlannedOrder, quote: str) -> bool:
    """Whether ``order`` pays with the portfolio ``quote``: a buy on an ``ASSET/<quote>`` market. Every
    other order (a sell for the quote, any order on a cross pair such as ``ETH/BTC``) is a *first-leg*
    order: the executor places those first and re-plans the quote buys from what they really left."""
    return order.side is Side.BUY and order.symbol.endswith(f"/{quote}")


@dataclass(frozen=True)
class Plan:
    """Cross-pair legs first (with ``rebalancing.routing: cheapest``), then sells, then buys;
    ``total_value`` is the portfolio value the plan was made at.

    ``estimated_fees`` is what this plan's orders pay at the fee rate, in the portfolio quote (each
    order's ``value x fee_rate``); ``quote_route_fees`` is what the quote-only route would pay for the
    same rebalance (set when routing is ``cheapest``, else None), so a run can report what routing saved.
    """

    orders: tuple[PlannedOrder, ...]
    skipped: tuple[SkippedTrade, ...] = field(default_factory=tuple)
    total_value: Decimal = Decimal(0)
    estimated_fees: Decimal = Decimal(0)
    quote_route_fees: Decimal | None = None

    def first_leg(self, quote: str) -> tuple[PlannedOrder, ...]:
        """The orders that do not spend the portfolio ``quote`` (see :func:`spends_quote`), in order."""
        return tuple(o for o in self.orders if not spends_quote(o, quote))

    @property
    def sells(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.orders if o.side is Side.SELL)

    @property
    def buys(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.orders if o.side is Side.BUY)

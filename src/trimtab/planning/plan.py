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


@dataclass(frozen=True)
class Plan:
    """Sells first, then buys; ``total_value`` is the portfolio value the plan was made at."""

    orders: tuple[PlannedOrder, ...]
    skipped: tuple[SkippedTrade, ...] = field(default_factory=tuple)
    total_value: Decimal = Decimal(0)

    @property
    def sells(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.orders if o.side is Side.SELL)

    @property
    def buys(self) -> tuple[PlannedOrder, ...]:
        return tuple(o for o in self.orders if o.side is Side.BUY)

"""The planner's settings: how it turns the gaps to the target weights into orders.

:class:`PlannerSettings` is built from the config's ``rebalancing:`` section (and by the executor and the
backtester with some of its switches turned); :mod:`trimtab.planning.planner` and the modules it calls
read it. Checked when built, so a planner never sees a value outside its range.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trimtab.model.money import HUNDRED, ZERO
from trimtab.planning.options import RebalanceTo, Routing, Sells


@dataclass(frozen=True)
class PlannerSettings:
    """How the planner turns target gaps into orders.

    ``min_trade_value`` is in the quote currency (config ``min_trade_usd``): smaller trades are skipped.
    ``max_trade_percent`` caps each order at that share of the portfolio value, in (0, 100]; larger
    trades are split. ``slippage_percent`` sets the limit price: ``last x (1 -/+ slippage / 100)`` for
    sells/buys. ``sell_unlisted`` sells held assets that have no target instead of leaving them alone.
    ``allow_sells=False`` plans the buys only: the executor uses it to re-plan the buy leg from the real
    proceeds once the sells have filled (gaps on the sell side are then left alone, not reported again).
    ``buys_with_sells=False`` leaves the buys out of a plan that has sells (a plan without sells keeps
    its buys). The executor places a plan's buys only when it has no sells, and otherwise re-plans them
    from what the sells really left, so a caller that neither shows nor journals the plan it executes
    (the backtester) need not work them out twice; the orders placed are the same.
    """

    min_trade_value: Decimal
    max_trade_percent: Decimal
    slippage_percent: Decimal
    sell_unlisted: bool = False
    allow_sells: bool = True
    buys_with_sells: bool = True
    routing: Routing = Routing.QUOTE
    rebalance_to: RebalanceTo = RebalanceTo.TARGET
    sells: Sells = Sells.ALLOWED
    band_percent: Decimal | None = None

    def __post_init__(self) -> None:
        if self.min_trade_value < 0:
            raise ValueError("min_trade_value must be >= 0")
        if not ZERO < self.max_trade_percent <= HUNDRED:
            raise ValueError("max_trade_percent must be in (0, 100]")
        if not ZERO <= self.slippage_percent < HUNDRED:
            raise ValueError("slippage_percent must be in [0, 100)")
        if self.band_percent is not None and not ZERO < self.band_percent < HUNDRED:
            raise ValueError("band_percent must be in (0, 100)")
        banded = self.rebalance_to is not RebalanceTo.TARGET or self.sells is Sells.ONLY_PAST_BAND
        if banded and self.band_percent is None:
            raise ValueError(f"rebalance_to {self.rebalance_to} / sells {self.sells} need band_percent")

"""The strategy a config describes, as the domain's objects: its rebalancing policy (with the rebalance
window on top), its target weights and the planner's settings. The live bot and the backtester build
them here, from the same validated config.
"""

from __future__ import annotations

from datetime import timedelta

from trimtab.config.models import Config, Strategy, UnlistedAssets
from trimtab.planning.planner import PlannerSettings
from trimtab.policy import (
    CalendarPolicy,
    HybridPolicy,
    Policy,
    RebalanceWindow,
    ThresholdPolicy,
    WindowedPolicy,
)
from trimtab.weights import InverseVolatility, StaticWeights, TargetWeights

# threshold watches continuously: it is checked every hour
THRESHOLD_CHECK_INTERVAL = timedelta(hours=1)


def build_policy(config: Config) -> Policy:
    """The rebalancing policy the config describes, with its rebalance window on top."""
    rules = config.rebalancing
    interval = timedelta(hours=float(rules.check_interval_hours))
    # threshold watches continuously (hourly checks); hybrid checks only every check_interval_hours.
    threshold = ThresholdPolicy(
        rules.threshold_percent, rules.relative_threshold_percent, check_interval=THRESHOLD_CHECK_INTERVAL
    )
    policy: Policy
    if rules.strategy is Strategy.CALENDAR:
        schedule = rules.schedule
        assert schedule is not None  # the config validator requires it
        policy = CalendarPolicy(schedule.interval, schedule.time, schedule.weekday, schedule.day_of_month)
    elif rules.strategy is Strategy.HYBRID:
        policy = HybridPolicy(threshold, interval)
    else:
        policy = threshold
    window = config.window
    if window is not None:
        start, end = window.hours_utc
        policy = WindowedPolicy(policy, RebalanceWindow(window.weekdays, start, end))
    return policy


def build_weights(config: Config) -> TargetWeights:
    """Static target weights, or the dynamic method the config names."""
    portfolio = config.portfolio
    if portfolio.target_weights is not None:
        return StaticWeights(portfolio.target_weights)
    dynamic = portfolio.dynamic_weights
    assert dynamic is not None  # the config validator requires one of the two
    return InverseVolatility(
        assets=tuple(a for a in dynamic.assets if a != config.quote),
        lookback_days=dynamic.lookback_days,
        cash_asset=config.quote if dynamic.cash_weight else None,
        cash_weight=dynamic.cash_weight,
        min_weight=dynamic.min_weight,
        max_weight=dynamic.max_weight,
    )


def planner_settings(config: Config) -> PlannerSettings:
    rebalancing = config.rebalancing
    return PlannerSettings(
        min_trade_value=rebalancing.min_trade_usd,
        max_trade_percent=config.risk.max_single_trade_percent,
        slippage_percent=config.risk.slippage_tolerance,
        sell_unlisted=config.portfolio.unlisted_assets is UnlistedAssets.SELL,
        routing=rebalancing.routing,
        rebalance_to=rebalancing.rebalance_to,
        sells=rebalancing.sells,
        # The band an asset must be past to be traded (band_edge, halfway, only_past_band): the
        # threshold, also under a calendar policy (where it decides nothing else).
        band_percent=rebalancing.threshold_percent,
    )

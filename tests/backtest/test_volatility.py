"""The backtest's vectorised inverse volatility against the live Decimal path it stands in for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import BacktestRun, BacktestSettings, run_backtest
from trimtab.backtest.volatility import RollingVolatility, daily_rows, target_slack, window_volatility
from trimtab.errors import PlanningError
from trimtab.planning.planner import PlannerSettings
from trimtab.policy import CalendarPolicy, HybridPolicy, Interval, Policy, ThresholdPolicy
from trimtab.weights import InverseVolatility
from trimtab.weights.inverse_volatility import log_return_volatility

D = Decimal
ASSETS = ("BTC", "ETH", "BNB", "XRP", "ADA", "DOGE", "LINK", "LTC")
NO_LIMITS = PlannerSettings(min_trade_value=D(0), max_trade_percent=D(100), slippage_percent=D(0))
GRID = D("0.0001")  # the weights' grid: the documented tolerance is one step of it


class LiveOnly:
    """Inverse volatility exactly as the live bot asks it (closes in, weights out): not an
    InverseVolatility, so the engine cannot take its vectorised path."""

    def __init__(self, weights: InverseVolatility) -> None:
        self.inner = weights

    @property
    def lookback_days(self) -> int:
        return self.inner.lookback_days

    @property
    def assets(self) -> tuple[str, ...]:
        return self.inner.assets

    def targets(self, closes: Mapping[str, Sequence[Decimal]]) -> dict[str, Decimal]:
        return self.inner.targets(closes)


def live_closes(
    history: PriceFrame, assets: Sequence[str], last: int, count: int
) -> dict[str, list[Decimal]]:
    """What the engine hands the live path: the last ``count`` daily closes up to row ``last``."""
    rows = daily_rows(history)
    rows = rows[rows <= last][-count:]
    return {
        a: [D(repr(float(v))) for v in history.closes[rows, history.assets.index(a)] if not np.isnan(v)]
        for a in assets
    }


def hourly_walk(days: int, assets: Sequence[str], seed: int = 1) -> PriceFrame:
    """A seeded hourly random walk (about 80 % a year), the first asset listing 10 days late."""
    rng = np.random.default_rng(seed)
    hours = days * 24
    times = np.datetime64("2023-01-01T01:00", "s") + np.arange(hours) * np.timedelta64(3600, "s")
    steps = rng.normal(0.0, 0.8 / np.sqrt(8760), size=(hours, len(assets)))
    closes = np.array([100.0 + 10 * i for i in range(len(assets))]) * np.exp(np.cumsum(steps, axis=0))
    closes[: 10 * 24, 0] = np.nan
    return PriceFrame("walk.csv", times, tuple(assets), closes, "1h")


def test_window_volatility_matches_the_live_formula_on_real_closes() -> None:
    whole = load_price_frame()
    closes = whole.select(ASSETS, date(2021, 1, 1), date(2025, 6, 30)).closes
    lookback = 30
    fast = window_volatility(closes, lookback)
    assert fast.shape == (len(closes) - lookback, len(ASSETS))
    for window in range(0, len(fast), 7):
        for column in range(len(ASSETS)):
            prices = [D(repr(float(v))) for v in closes[window : window + lookback + 1, column]]
            assert fast[window, column] == pytest.approx(log_return_volatility(prices), rel=1e-12)


def test_window_volatility_is_nan_where_a_close_is_missing() -> None:
    closes = np.array([[1.0, 2.0], [1.1, np.nan], [1.2, 2.2], [1.0, 2.1], [1.3, 2.0]])
    fast = window_volatility(closes, 2)
    assert np.isnan(fast[:2, 1]).all()
    assert not np.isnan(fast[2, 1])
    assert not np.isnan(fast[:, 0]).any()


@pytest.mark.parametrize(
    "weights",
    [
        InverseVolatility(ASSETS, 30),
        InverseVolatility(ASSETS, 7, cash_asset="USDT", cash_weight=D(10), min_weight=D(5), max_weight=D(20)),
        InverseVolatility(ASSETS[:3], 90, min_weight=D(30)),
    ],
    ids=["plain", "cash-and-caps", "floor-binds"],
)
def test_rolling_targets_equal_the_live_targets_at_every_day(weights: InverseVolatility) -> None:
    history = load_price_frame().select(ASSETS, date(2021, 1, 1), None)
    rolling = RollingVolatility(weights, history, ASSETS)
    needed = weights.lookback_days + 1
    served = differ = 0
    for last in range(0, len(history.times), 3):
        fast = rolling.targets(last)
        if fast is None:  # too early: the live path says why
            with pytest.raises(PlanningError, match=f"needs {needed} daily closes"):
                weights.targets(live_closes(history, ASSETS, last, needed))
            continue
        served += 1
        live = weights.targets(live_closes(history, ASSETS, last, needed))
        assert list(fast) == list(live)
        assert sum(fast.values()) == 100
        steps = [abs(fast[a] - live[a]) for a in live]
        assert max(steps) <= GRID, (last, fast, live)
        differ += fast != live
    assert served > 400
    assert differ <= served // 100


def test_a_window_with_a_missing_or_flat_close_is_left_to_the_live_path() -> None:
    walk = hourly_walk(60, ("AAA", "BBB"))
    closes = walk.closes.copy()
    closes[40 * 24 : 45 * 24, 1] = closes[40 * 24, 1]  # BBB does not move for five days
    flat = PriceFrame("flat.csv", walk.times, walk.assets, closes, "1h")
    weights = InverseVolatility(("AAA", "BBB"), 3)
    rolling = RollingVolatility(weights, flat, ("AAA", "BBB"))
    first_day = 10 * 24 + 23  # AAA's first daily close is at the end of day 11
    assert rolling.targets(first_day + 2 * 24) is None  # three closes only
    assert rolling.targets(first_day + 3 * 24) is not None
    assert rolling.targets(44 * 24) is None  # the window of a flat BBB
    with pytest.raises(PlanningError, match="did not move"):
        weights.targets(live_closes(flat, ("AAA", "BBB"), 44 * 24, 4))
    assert RollingVolatility(weights, flat, ("AAA",)).targets(50 * 24) is None  # BBB not held


def replay(
    frame: PriceFrame, policy: Policy, weights: object, history: PriceFrame | None = None
) -> BacktestRun:
    return run_backtest(
        frame,
        policy=policy,
        weights=weights,  # type: ignore[arg-type]  # InverseVolatility or LiveOnly
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D("0.001")),
        history=history,
    )


@pytest.mark.parametrize(
    "policy",
    [
        HybridPolicy(ThresholdPolicy(D(2)), check_interval=timedelta(hours=24)),
        ThresholdPolicy(D(3)),
        CalendarPolicy(Interval.WEEKLY, weekday=2),
    ],
    ids=["hybrid-daily", "threshold-hourly", "weekly"],
)
def test_a_backtest_makes_the_same_trades_as_asking_the_live_weights(policy: Policy) -> None:
    assets = ("AAA", "BBB", "CCC", "DDD")
    history = hourly_walk(70, assets)
    period = history.select(assets, date(2023, 1, 27), None)
    weights = InverseVolatility(assets, 14, cash_asset="USDT", cash_weight=D(5), max_weight=D(40))
    fast = replay(period, policy, weights, history)
    live = replay(period, policy, LiveOnly(weights), history)
    assert len(fast.rebalance_bars) > 3
    assert fast.rebalance_bars == live.rebalance_bars
    assert fast.trades == live.trades
    assert np.array_equal(fast.equity, live.equity)


def test_a_backtest_on_real_daily_closes_makes_the_same_trades_both_ways() -> None:
    whole = load_price_frame()
    period = whole.select(ASSETS, date(2023, 1, 1), date(2024, 3, 31))
    weights = InverseVolatility(ASSETS, 30, min_weight=D(5), max_weight=D(25))
    policy = HybridPolicy(ThresholdPolicy(D(5)), check_interval=timedelta(days=1))
    fast = replay(period, policy, weights, whole)
    live = replay(period, policy, LiveOnly(weights), whole)
    assert len(fast.rebalance_bars) > 5
    assert fast.trades == live.trades


@pytest.mark.parametrize(
    "weights",
    [
        InverseVolatility(ASSETS, 30),
        InverseVolatility(
            ASSETS, 14, cash_asset="USDT", cash_weight=D(10), min_weight=D(6), max_weight=D(15)
        ),
    ],
    ids=["plain", "cash-and-caps"],
)
def test_screen_targets_are_within_the_slack_of_the_decimal_targets(weights: InverseVolatility) -> None:
    history = load_price_frame().select(ASSETS, date(2021, 1, 1), None)
    rolling = RollingVolatility(weights, history, ASSETS)
    names = (*ASSETS, "USDT")
    lasts = np.arange(0, len(history.times), 5, dtype=np.int64)
    floats = rolling.screen_targets(lasts, names)
    assert floats is not None
    checked = 0
    for row, last in zip(floats, lasts, strict=True):
        exact = rolling.targets(int(last))
        if exact is None:
            assert np.isnan(row).all()
            continue
        checked += 1
        expected = np.array([float(exact.get(name, 0)) for name in names])
        assert np.abs(row - expected).max() <= target_slack(len(names))
    assert checked > 100
    if weights.cash_asset is not None:  # a cash target the backtest does not hold: no screen
        assert rolling.screen_targets(lasts, (*ASSETS, "USDC")) is None

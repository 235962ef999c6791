"""The drift screen: the backtest asks the policy only where it may fire, and decides exactly the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from trimtab.backtest.data import PriceFrame, load_price_frame, parse_price_frame
from trimtab.backtest.engine import BacktestRun, BacktestSettings, run_backtest
from trimtab.backtest.screen import DriftBand, DriftScreen, drift_band
from trimtab.planning.planner import PlannerSettings
from trimtab.policy import CalendarPolicy, HybridPolicy, Interval, Policy, ThresholdPolicy
from trimtab.weights import StaticWeights

D = Decimal
ASSETS = ("BTC", "ETH", "BNB", "XRP", "ADA")
WEIGHTS = StaticWeights({"BTC": D(30), "ETH": D(25), "BNB": D(20), "XRP": D(10), "ADA": D(10), "USDT": D(5)})
PLANNER = PlannerSettings(min_trade_value=D(0), max_trade_percent=D(100), slippage_percent=D(0))
SETTINGS = BacktestSettings(fee_rate=D("0.001"))


def daily() -> PriceFrame:
    return load_price_frame().select(ASSETS, start=date(2021, 1, 1), end=date(2024, 12, 31))


def hourly() -> PriceFrame:
    """A deterministic random walk of three assets over 120 days of hourly bars."""
    rng = np.random.default_rng(7)
    start = np.datetime64("2024-01-01T00:00")
    rows = ["datetime_utc,AAA,BBB,CCC"]
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, size=(24 * 120, 3)), axis=0))
    for i, row in enumerate(prices):
        stamp = str(start + np.timedelta64(i, "h")).replace("T", " ")
        rows.append(stamp + "," + ",".join(f"{p:.6f}" for p in row))
    return parse_price_frame("\n".join(rows) + "\n", "walk.csv")


def same_run(a: BacktestRun, b: BacktestRun) -> None:
    assert a.rebalance_bars == b.rebalance_bars
    assert a.trades == b.trades
    assert np.array_equal(a.equity, b.equity)


@pytest.mark.parametrize(
    "policy",
    [
        ThresholdPolicy(D(5), check_interval=timedelta(days=1)),
        ThresholdPolicy(D("2.5"), relative_percent=D(20), check_interval=timedelta(days=1)),
        HybridPolicy(ThresholdPolicy(D(3)), check_interval=timedelta(days=3)),
        HybridPolicy(ThresholdPolicy(D(8)), check_interval=timedelta(hours=36)),  # rounds up to 2 daily bars
    ],
    ids=["threshold-5", "relative-20", "hybrid-3d", "hybrid-36h"],
)
def test_screened_and_unscreened_daily_backtests_make_the_same_trades(policy: Policy) -> None:
    frame = daily()
    screened = run_backtest(frame, policy=policy, weights=WEIGHTS, planner=PLANNER, settings=SETTINGS)
    every_check = run_backtest(
        frame, policy=policy, weights=WEIGHTS, planner=PLANNER, settings=SETTINGS, screen=False
    )
    assert len(screened.rebalance_bars) > 3  # the comparison covers real rebalances
    same_run(screened, every_check)


def test_screened_and_unscreened_hourly_backtests_make_the_same_trades() -> None:
    frame = hourly()
    weights = StaticWeights({"AAA": D(40), "BBB": D(30), "CCC": D(30)})
    policy = HybridPolicy(ThresholdPolicy(D(2)), check_interval=timedelta(hours=5))
    screened = run_backtest(frame, policy=policy, weights=weights, planner=PLANNER, settings=SETTINGS)
    every_check = run_backtest(
        frame, policy=policy, weights=weights, planner=PLANNER, settings=SETTINGS, screen=False
    )
    assert len(screened.rebalance_bars) > 5
    same_run(screened, every_check)


def test_a_drift_exactly_on_the_band_still_rebalances() -> None:
    # 50/50 bought at 100 without fees or slippage: 50 AAA + 5,000 USDT. At 150 AAA is 7,500 of 12,500 =
    # exactly 60 %, 10 points off: the band is "10 or more", so the policy fires, and the screen must not
    # hide that bar behind float rounding.
    frame = parse_price_frame("date,AAA\n2024-01-01,100\n2024-01-02,120\n2024-01-03,150\n", "edge.csv")
    weights = StaticWeights({"AAA": D(50), "USDT": D(50)})
    run = run_backtest(
        frame,
        policy=ThresholdPolicy(D(10), check_interval=timedelta(days=1)),
        weights=weights,
        planner=PLANNER,
        settings=BacktestSettings(fee_rate=D(0)),
    )
    assert run.rebalance_bars == (0, 2)


@dataclass(frozen=True)
class CountingHybrid(HybridPolicy):
    asked: list[int] = field(default_factory=list)

    def decide(self, now, weights, targets, last_rebalance):  # type: ignore[no-untyped-def]
        self.asked.append(1)
        return super().decide(now, weights, targets, last_rebalance)


def test_the_policy_is_asked_only_near_its_band() -> None:
    frame = daily()
    policy = CountingHybrid(ThresholdPolicy(D(10)), check_interval=timedelta(days=1))
    run = run_backtest(frame, policy=policy, weights=WEIGHTS, planner=PLANNER, settings=SETTINGS)
    checks = len(frame.times) - 1
    # Each rebalance is one question; a question that says "no" only comes from a drift within a hair of
    # the band, which on real prices does not happen at all.
    assert len(policy.asked) == len(run.rebalance_bars) - 1
    assert len(policy.asked) < checks / 10


def test_policies_that_are_not_drift_bands_are_not_screened() -> None:
    assert drift_band(CalendarPolicy(Interval.WEEKLY, weekday=0)) is None
    band = drift_band(HybridPolicy(ThresholdPolicy(D(4), relative_percent=D(25)), timedelta(hours=6)))
    assert band == DriftBand(D(4), D(25), timedelta(hours=6))


def test_a_target_the_frame_does_not_hold_leaves_every_check_to_the_policy() -> None:
    closes = np.array([[100.0], [101.0], [102.0]])
    band = DriftBand(D(50), None, timedelta(days=1))
    checks = np.arange(1, 3, dtype=np.int64)
    inside = DriftScreen(band, closes, checks, ("AAA", "USDT"), {"AAA": D(50), "USDT": D(50)})
    outside = DriftScreen(band, closes, checks, ("AAA", "USDT"), {"AAA": D(50), "ZZZ": D(50)})
    held = np.array([50.0])
    assert inside.next_candidate(0, held, 5000.0) == 2  # nothing near the band: past the last check
    assert outside.next_candidate(0, held, 5000.0) == 0

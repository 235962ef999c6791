"""The crash guard in a backtest: an asset that fell more than ``crash_percent`` over 24 hours of bars
is not bought at that rebalance and stays held back until it has gone ``RESUME_DAYS`` days without such
a fall (the backtest's stand-in for the owner's resume); without the guard it is bought at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from trimtab.backtest.crash_guard import RESUME_DAYS, CrashGuard
from trimtab.backtest.data import PriceFrame, parse_price_frame
from trimtab.backtest.engine import BacktestSettings, run_backtest
from trimtab.model.orders import Side
from trimtab.planning.planner import PlannerSettings
from trimtab.policy import CalendarPolicy, Interval
from trimtab.weights import StaticWeights

D = Decimal
HALF_HALF = StaticWeights({"AAA": D(50), "USDT": D(50)})
NO_LIMITS = PlannerSettings(min_trade_value=D(0), max_trade_percent=D(100), slippage_percent=D("0.5"))
#: AAA halves on day 2, then stands still.
PRICES = [100, 100, 50, 50, 50, 50, 50, 50]


def frame(prices: list[float], hours: int = 24) -> PriceFrame:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    stamp = "%Y-%m-%d" if hours == 24 else "%Y-%m-%d %H:%M"
    rows = ["date,AAA"] + [
        f"{(start + timedelta(hours=hours * i)).strftime(stamp)},{p}" for i, p in enumerate(prices)
    ]
    return parse_price_frame("\n".join(rows) + "\n", "test.csv")


def buy_days(crash_percent: Decimal | None) -> list[date]:
    run = run_backtest(
        frame(PRICES),
        policy=CalendarPolicy(Interval.DAILY),
        weights=HALF_HALF,
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D(0), crash_percent=crash_percent),
    )
    return sorted({t.time.date() for t in run.trades if t.side is Side.BUY and t.symbol == "AAA/USDT"})


def test_without_the_guard_the_crashed_asset_is_bought_back_at_once() -> None:
    assert buy_days(None)[1] == date(2024, 1, 4)  # the row dated 01-03 closes at 01-04 00:00


def test_a_crashed_asset_is_held_back_until_it_has_gone_resume_days_without_a_fall() -> None:
    days = buy_days(D(30))
    assert days[0] == date(2024, 1, 2)  # the first purchase, at the first close
    assert days[1] == date(2024, 1, 4) + timedelta(days=RESUME_DAYS)
    assert buy_days(D(60)) == buy_days(None)  # a 50 % fall is not past a 60 % guard


def test_the_change_is_measured_against_the_bar_24_hours_earlier() -> None:
    hourly = frame([100.0] * 24 + [65.0] + [65.0] * 30, hours=1)
    guard = CrashGuard(("AAA",), hourly.times.astype(np.int64), hourly.closes, D(30))
    assert np.isnan(guard.change[:24, 0]).all()  # no bar a day before them
    assert guard.change[24, 0] == pytest.approx(-35.0)
    assert guard.crashed[24:48, 0].all()  # every bar whose day-ago bar was still at 100
    assert not guard.crashed[49:, 0].any()
    held = guard.frozen(30)
    assert list(held) == ["AAA"]
    assert held["AAA"].startswith("AAA fell 35 % in 24 h, more than guards.crash_percent (30 %)")

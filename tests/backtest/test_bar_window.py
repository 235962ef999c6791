"""The rebalance window on bar closes: a daily close stands for its day; a window no close is in stops the run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources

import numpy as np
import pytest

from trimtab.backtest.bar_window import admitted, policy_on_bars, window_at_daily_closes
from trimtab.backtest.data import load_price_frame, parse_price_frame
from trimtab.backtest.study import run_study
from trimtab.config import Config, config_from_mapping
from trimtab.config.load import parse_yaml
from trimtab.errors import ConfigError
from trimtab.policy import RebalanceWindow, WindowedPolicy
from trimtab.policy.threshold import ThresholdPolicy

MON_FRI_8_20 = RebalanceWindow(frozenset(range(5)), 8, 20)


def init_config() -> Config:
    """The config `trimtab init` writes, as it writes it."""
    text = resources.files("trimtab.examples").joinpath("trimtab.yaml").read_text(encoding="utf-8")
    return config_from_mapping(parse_yaml(text, "trimtab.yaml"), "trimtab.yaml")


def test_midnight_closes_stand_for_the_day_before_them() -> None:
    # The Monday candle closes at 00:00 UTC Tuesday: a Mon-Fri window admits the closes of Tue .. Sat.
    window = window_at_daily_closes(MON_FRI_8_20, close_second=0)
    assert (window.days, window.start_hour, window.end_hour) == (frozenset({1, 2, 3, 4, 5}), 0, 1)
    sunday_only = window_at_daily_closes(RebalanceWindow(frozenset({6}), 23, 24), close_second=0)
    assert sunday_only.days == frozenset({0})  # Sunday's candle closes on Monday


def test_closes_at_another_hour_cover_the_24_hours_before_them() -> None:
    # Closes at 22:00 UTC (a New York close): the bar closing Monday 22:00 spans Sun 22:00 .. Mon 22:00.
    monday_morning = RebalanceWindow(frozenset({0}), 8, 12)
    window = window_at_daily_closes(monday_morning, close_second=22 * 3600)
    assert (window.days, window.start_hour) == (frozenset({0}), 22)
    late_monday = RebalanceWindow(frozenset({0}), 22, 24)  # only after Monday's close: Tuesday's bar
    assert window_at_daily_closes(late_monday, close_second=22 * 3600).days == frozenset({1})


def test_hourly_closes_are_judged_as_they_are() -> None:
    times = np.arange(np.datetime64("2024-01-01T00", "h"), np.datetime64("2024-01-08T00", "h")).astype(
        "datetime64[s]"
    )
    inside = times[admitted(MON_FRI_8_20, times)]
    assert len(inside) == 5 * 12  # 08:00 .. 19:00 closes, Monday (2024-01-01) .. Friday
    assert all(MON_FRI_8_20.contains(t.item().replace(tzinfo=UTC)) for t in inside)


def test_the_init_config_rebalances_on_the_bundled_daily_closes() -> None:
    config = init_config()
    study = run_study(config, load_price_frame(), source="trimtab.yaml", start=date(2021, 1, 1))
    rebalances = study.strategy.rebalance_bars[1:]
    assert len(rebalances) >= 10
    assert study.strategy_metrics.final_value != study.hold_metrics.final_value
    for bar in rebalances:
        close = study.frame.times[bar].item()
        assert isinstance(close, datetime)
        candle_day = close - timedelta(days=1)
        assert (close.hour, candle_day.weekday()) < (1, 5)  # at 00:00, closing a Mon .. Fri candle
    assert study.warnings == ()


def test_a_period_without_a_close_in_the_window_stops_before_computing() -> None:
    config = init_config()
    # Saturday 2024-01-06 .. Sunday 2024-01-07: the closes of Friday's (the first bar) and Saturday's candle
    with pytest.raises(ConfigError) as caught:
        run_study(
            config, load_price_frame(), source="trimtab.yaml", start=date(2024, 1, 6), end=date(2024, 1, 7)
        )
    # The domain names the period; the command line its flags (tests/cli/test_backtest_prices.py).
    assert str(caught.value) == (
        "trimtab.yaml: period: the config's rebalance_window (Mon-Fri 08:00-20:00 UTC) holds none of "
        "the 1 daily bar closes after the first (2024-01-07 00:00 .. 2024-01-07 00:00 UTC), so the strategy "
        "could never rebalance; choose a period of a week or more, or widen the window"
    )


def test_hourly_bars_keep_the_window_as_it_is() -> None:
    rows = [f"{(datetime(2024, 1, 6) + timedelta(hours=h)):%Y-%m-%d %H:%M},{100 + h}" for h in range(48)]
    frame = parse_price_frame("datetime_utc,BTC\n" + "\n".join(rows) + "\n", "weekend.csv")
    policy = WindowedPolicy(ThresholdPolicy(Decimal(5)), MON_FRI_8_20)
    with pytest.raises(ConfigError, match=r"holds none of the 47 hourly bar closes after the first"):
        policy_on_bars(policy, frame, "weekend.csv")  # closes Sat 02:00 .. Mon 00:00: all outside
    monday = parse_price_frame(
        "datetime_utc,BTC\n" + "\n".join(f"2024-01-08 {h:02d}:00,1" for h in range(10)) + "\n", "monday.csv"
    )
    on_bars = policy_on_bars(policy, monday, "monday.csv")
    assert isinstance(on_bars, WindowedPolicy)
    assert on_bars.window == MON_FRI_8_20


def test_a_config_without_a_window_is_left_alone() -> None:
    config = config_from_mapping({"portfolio": {"target_weights": {"BTC": 50, "ETH": 50}}}, "c.yaml")
    study = run_study(
        config, load_price_frame(), source="c.yaml", start=date(2024, 1, 6), end=date(2024, 1, 7)
    )
    assert len(study.frame.times) == 2

"""A backtest study, and the cache that lets a sweep's studies share their buy-and-hold runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from trimtab.backtest.data import load_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.study import Study, StudyCache, run_study, study_price_file
from trimtab.config import Config, config_from_mapping
from trimtab.errors import ConfigError

D = Decimal
YEAR_2023 = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}


def config(threshold: int) -> Config:
    return config_from_mapping(
        {
            "portfolio": {"target_weights": {"BTC": 50, "ETH": 40, "USDT": 10}},
            "rebalancing": {"strategy": "threshold", "threshold_percent": threshold, "min_trade_usd": 10},
        },
        "test",
    )


def same(shared: Study, alone: Study) -> bool:
    """Every figure equal, bit for bit."""
    return (
        shared.strategy_metrics == alone.strategy_metrics
        and shared.hold_metrics == alone.hold_metrics
        and shared.premium == alone.premium
        and shared.theoretical_premium == alone.theoretical_premium
        and np.array_equal(shared.hold.equity, alone.hold.equity)
        and np.array_equal(shared.strategy.equity, alone.strategy.equity)
    )


def test_studies_sharing_a_cache_get_exactly_what_each_computes_alone() -> None:
    frame = load_price_frame()
    cache = StudyCache(frame)
    for threshold in (5, 10):
        for fee in (D(0), D("0.001")):
            settings = BacktestSettings(fee_rate=fee)
            variant = config(threshold)
            alone = run_study(variant, frame, source="test", settings=settings, **YEAR_2023)
            shared = run_study(variant, frame, source="test", settings=settings, cache=cache, **YEAR_2023)
            assert same(shared, alone), (threshold, fee)
    # buy-and-hold does not depend on the policy: one run per fee rate, not per study
    assert len(cache.holds) == 2
    assert len(cache.selected) == 1


def test_a_cache_keeps_its_newest_entries_and_serves_one_frame_only() -> None:
    frame = load_price_frame()
    cache = StudyCache(frame, size=2)
    for fee in ("0", "0.001", "0.002"):
        run_study(
            config(5),
            frame,
            source="test",
            settings=BacktestSettings(fee_rate=D(fee)),
            cache=cache,
            **YEAR_2023,
        )
    assert len(cache.holds) == 2
    other = frame.select(["BTC", "ETH"], date(2022, 1, 1), date(2023, 12, 31))
    with pytest.raises(ValueError, match="another price frame"):
        run_study(config(5), other, source="test", cache=cache, **YEAR_2023)


# -- a study of a price file: the period's rows only, the whole file's results and messages -------------


def hourly_file(path: Path, *, bad_line: int | None = None) -> Path:
    """400 days of hourly closes from 2023-01-01 of AAA and BBB (a seeded random walk) and CCC, listed on
    2024-01-15; ``bad_line`` holds a number numpy cannot read."""
    rng = np.random.default_rng(7)
    hours = 400 * 24
    walks = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (hours, 3)), axis=0))
    listed = 379 * 24
    rows = ["datetime_utc,AAA,BBB,CCC"]
    for i in range(hours):
        stamp = (datetime(2023, 1, 1) + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M")
        a, b, c = (f"{v:.4f}" for v in walks[i])
        rows.append(f"{stamp},{'1.2.3' if i + 2 == bad_line else a},{b},{c if i >= listed else ''}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def file_config(weights: str) -> Config:
    portfolio = (
        {"dynamic_weights": {"method": "inverse_volatility", "assets": ["AAA", "BBB"], "lookback_days": 30}}
        if weights == "inverse volatility"
        else {"target_weights": {"AAA": 60, "BBB": 40}}
    )
    rules = {"strategy": "hybrid", "threshold_percent": 3, "check_interval_hours": 24, "min_trade_usd": 0}
    return config_from_mapping({"portfolio": portfolio, "rebalancing": rules}, "test")


@pytest.mark.parametrize("weights", ["fixed", "inverse volatility"])
def test_a_study_of_a_file_reads_only_the_period_and_gives_the_whole_files_results(
    weights: str, tmp_path: Path
) -> None:
    path = hourly_file(tmp_path / "prices.csv", bad_line=100)  # 2023-01-05: long before the period
    period = {"start": date(2023, 9, 1), "end": date(2023, 11, 30)}
    with pytest.raises(ConfigError, match="line 100"):
        load_price_frame(path)  # the whole file is refused: the study cannot have read that row
    studied = study_price_file(
        file_config(weights), path, source="test", settings=BacktestSettings(), **period
    )
    clean = hourly_file(tmp_path / "clean.csv")
    whole = run_study(file_config(weights), load_price_frame(clean), source="test", **period)
    assert same(studied, whole)
    assert len(studied.strategy.rebalance_bars) > 1  # it did trade


def test_a_period_the_read_rows_cannot_answer_gets_the_whole_files_message(tmp_path: Path) -> None:
    path = hourly_file(tmp_path / "prices.csv")
    late = config_from_mapping(
        {"portfolio": {"target_weights": {"AAA": 50, "CCC": 50}}, "rebalancing": {"strategy": "threshold"}},
        "test",
    )
    period = {"start": None, "end": date(2023, 6, 30)}  # CCC is listed in 2024
    with pytest.raises(ConfigError) as whole:
        run_study(late, load_price_frame(path), source="test", settings=BacktestSettings(), **period)
    with pytest.raises(ConfigError) as studied:
        study_price_file(late, path, source="test", settings=BacktestSettings(), **period)
    assert str(studied.value) == str(whole.value)
    assert "2024-01-15" in str(whole.value)

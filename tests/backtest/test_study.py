"""A backtest study, and the cache that lets a sweep's studies share their buy-and-hold runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from trimtab.backtest.data import load_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.study import Study, StudyCache, run_study
from trimtab.config import Config, config_from_mapping

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

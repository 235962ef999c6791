"""The backtest agrees with bt's semantics at fee 0, with the seed's example risk (slippage 0.5 %) too.

The reference is bt's model written out exactly: fractional amounts, no fees, the portfolio bought at the
target weights at the first close and rebalanced to them at the close of the first bar of every month
(bt's ``RunMonthly``, never the last bar), marked at every close. trimtab replays its live planner and
executor: with a slippage tolerance every buy is sized for ``last x 1.005`` but fills at the close, and
the top-up passes spend the cash that leaves (before them: ~5e-3 of every buy stayed in cash, 2.8e-3 of
the final value over 7 months).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from numpy.typing import NDArray

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import BacktestSettings, run_backtest
from trimtab.config.load import config_from_mapping
from trimtab.config.strategy import build_policy, build_weights, planner_settings

ASSETS = ("BTC", "ETH", "SOL", "BNB", "XRP")
START, END = date(2023, 1, 1), date(2023, 9, 30)  # 9 months, 8 rebalances after the first buy
INITIAL = 10000.0


def month_starts(frame: PriceFrame) -> list[int]:
    """bt's ``RunMonthly`` bars: the first bar, then the first bar of each new month but the last bar."""
    months = frame.times.astype("datetime64[M]")
    changes = (np.flatnonzero(months[1:] != months[:-1]) + 1).tolist()
    return [0, *(b for b in changes if b != len(frame.times) - 1)]


def reference(frame: PriceFrame, weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """bt's equity curve: rebalanced to ``weights`` (fractions, no cash) on the month starts, no fees."""
    closes = np.asarray(frame.closes, dtype=np.float64)
    equity = np.empty(len(frame.times))
    held = np.zeros(len(frame.assets))
    value = INITIAL
    rebalances = set(month_starts(frame))
    for bar in range(len(frame.times)):
        if bar in rebalances:
            value = float(held @ closes[bar]) if bar else INITIAL
            held = value * weights / closes[bar]
        equity[bar] = held @ closes[bar]
    return equity


@pytest.mark.parametrize("slippage", [0, 0.5])
def test_monthly_rebalancing_agrees_with_bt_to_1e_6_at_fee_0(slippage: float) -> None:
    frame = load_price_frame().select(ASSETS, START, END)
    targets = {"BTC": 35, "ETH": 25, "SOL": 15, "BNB": 15, "XRP": 10}
    config = config_from_mapping(
        {
            "portfolio": {"target_weights": targets},
            "rebalancing": {
                "strategy": "calendar",
                "schedule": {"interval": "monthly", "day": 1, "time": "00:00"},
                "min_trade_usd": 0,
            },
            "risk": {"slippage_tolerance": slippage},
            "exchange": {"fee_rate": "0"},
        },
        "test",
    )
    run = run_backtest(
        frame,
        policy=build_policy(config),
        weights=build_weights(config),
        planner=planner_settings(config),
        settings=BacktestSettings(initial=Decimal(10000), fee_rate=Decimal(0)),
    )
    assert list(run.rebalance_bars) == month_starts(frame)
    assert len(run.rebalance_bars) >= 8
    expected = reference(frame, np.array([targets[a] / 100 for a in frame.assets]))
    gap = np.max(np.abs(run.equity - expected) / expected)
    assert gap < 1e-6
    assert run.weights[-1, -1] < 1e-6, "no cash left behind"

"""The backtester and the sweep honour ``rebalancing.rebalance_to``: trading past-band assets only to
the band's edge (or halfway) trades less than trading them to target, over the same history."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from configs import yaml_config
from typer.testing import CliRunner

from trimtab.backtest.sweep import run_sweep
from trimtab.backtest.sweep_grid import SweepGrid, parse_grid
from trimtab.cli.main import app
from trimtab.config import config_from_mapping
from trimtab.planning.options import RebalanceTo

D = Decimal
PORTFOLIO = {"portfolio": {"target_weights": {"BTC": 50, "ETH": 40, "USDT": 10}}}
YEAR_2023 = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}


def test_the_sweep_compares_the_three_destinations_and_band_edge_trades_least() -> None:
    config = config_from_mapping(PORTFOLIO, "test")
    grid = SweepGrid(
        thresholds=(D(2),),
        intervals=(),
        calendars=(),
        weights=("static",),
        fee_rates=(D("0.001"),),
        rebalance_to=tuple(RebalanceTo),
    )
    sweep = run_sweep(config, grid, workers=1, **YEAR_2023)
    by = {r.point.rebalance_to: r.strategy for r in sweep.runs}
    assert set(by) == set(RebalanceTo)
    assert {r.label for r in sweep.runs} == {
        "threshold 2pt, to target", "threshold 2pt, to band_edge", "threshold 2pt, to halfway"
    }  # fmt: skip
    edge, half, target = by[RebalanceTo.BAND_EDGE], by[RebalanceTo.HALFWAY], by[RebalanceTo.TARGET]
    assert 0 < edge.turnover < half.turnover < target.turnover
    assert edge.fees < target.fees


def test_the_grid_flag_names_the_destinations() -> None:
    grid = parse_grid(
        thresholds="5",
        intervals="",
        calendars="",
        weights=None,
        fee_rates="0",
        rebalance_to="band_edge,target",
    )
    assert grid.rebalance_to == (RebalanceTo.BAND_EDGE, RebalanceTo.TARGET)
    assert (
        parse_grid(thresholds="5", intervals="", calendars="", weights=None, fee_rates="0").rebalance_to
        is None
    )


def test_sweep_rebalance_to_flag_in_json_and_a_bad_value(write_config: Callable[..., Path]) -> None:
    config = yaml_config(
        weights={"BTC": 50, "ETH": 40, "USDT": 10},
        rebalancing={"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 10},
        data_dir=None,
        exchange=None,
    )
    path = str(write_config(config))
    runner = CliRunner()
    args = ["sweep", "-c", path, "--start", "2023-01-01", "--end", "2023-06-30", "--thresholds", "5",
            "--intervals", "", "--calendars", "", "--weights", "static", "--fee-rates", "0.001", "--workers", "1"]  # fmt: skip
    result = runner.invoke(app, [*args, "--rebalance-to", "target,band_edge", "--json"])
    assert result.exit_code == 0, result.stderr
    runs = json.loads(result.stdout)["runs"]
    assert sorted(r["parameters"]["rebalance_to"] for r in runs) == ["band_edge", "target"]
    result = runner.invoke(app, [*args, "--rebalance-to", "edge"])
    assert result.exit_code != 0
    assert "--rebalance-to" in result.stderr
    assert "Traceback" not in result.stderr

"""`trimtab sweep`: many strategies of one portfolio over one history, in parallel, ranked."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sweep_configs import CONFIG, PORTFOLIO
from typer.testing import CliRunner

from trimtab.backtest import sweep as sweeping
from trimtab.backtest import sweep_grid
from trimtab.backtest.data import load_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.study import run_study
from trimtab.backtest.sweep import Sweep, run_sweep
from trimtab.backtest.sweep_grid import SweepGrid
from trimtab.cli.main import app
from trimtab.config import Strategy, config_from_mapping
from trimtab.policy import Interval

D = Decimal
YEAR_2023 = {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def ranking(sweep: Sweep) -> list[tuple[str, Decimal, float, int, float]]:
    return [
        (r.label, r.point.fee_rate, r.strategy.final_value, r.strategy.rebalances, r.premium)
        for r in sweep.runs
    ]


def test_one_worker_and_two_workers_rank_the_same_runs_the_same() -> None:
    config = config_from_mapping(PORTFOLIO, "test")
    grid = SweepGrid(
        thresholds=(D(5), D(10)),
        intervals=(),
        calendars=(),
        weights=("static",),
        fee_rates=(D(0), D("0.0025")),
    )
    seen: list[str] = []
    alone = run_sweep(config, grid, workers=1, on_result=lambda run: seen.append(run.label), **YEAR_2023)
    pooled = run_sweep(config, grid, workers=2, **YEAR_2023)
    assert len(alone.runs) == 4
    assert sorted(seen) == sorted(r.label for r in alone.runs)  # every run reported as it completed
    assert ranking(pooled) == ranking(alone)
    values = [r.strategy.final_value for r in alone.runs]
    assert values == sorted(values, reverse=True)
    assert (alone.start, alone.end, alone.bars) == ("2023-01-01T00:00:00Z", "2023-12-31T00:00:00Z", 365)


def test_a_higher_fee_never_raises_a_runs_final_value() -> None:
    # Calendar runs trade on the same bars at every fee, so a higher fee can only cost. Threshold and hybrid
    # runs are path-dependent: fees shift the weights, which can move or skip a band crossing (in 2023,
    # hybrid 2pt/168h rebalances 10 times without fees and 9 times at 0.1%, and ends higher at 0.1%), so
    # for them this checks only the runs whose number of rebalances the fee did not change.
    config = config_from_mapping(PORTFOLIO, "test")
    grid = SweepGrid(
        thresholds=(D(2), D(10)),
        intervals=(D(168),),
        calendars=(Interval.WEEKLY, Interval.MONTHLY),
        weights=("static",),
        fee_rates=(D(0), D("0.001"), D("0.0025"), D("0.01")),
    )
    runs = run_sweep(config, grid, workers=1, **YEAR_2023).runs
    by_label: dict[str, list[tuple[Decimal, float, int]]] = {}
    for run in runs:
        by_label.setdefault(run.label, []).append(
            (run.point.fee_rate, run.strategy.final_value, run.strategy.rebalances)
        )
    assert len(by_label) == 6
    checked = 0
    for label, results in by_label.items():
        results.sort()
        if label.startswith("calendar"):
            assert len({count for _, _, count in results}) == 1, label
        if len({count for _, _, count in results}) == 1:
            values = [value for _, value, _ in results]
            assert all(a > b for a, b in itertools.pairwise(values)), label
            checked += 1
    assert checked >= 5


def test_inverse_volatility_reads_its_look_back_from_before_the_start() -> None:
    config = config_from_mapping(PORTFOLIO, "test")
    point = sweep_grid.SweepPoint(Strategy.THRESHOLD, sweep_grid.INVERSE_VOLATILITY, D(0), D(5))
    variant = config_from_mapping(sweep_grid.variant_mapping(config, point), "test")
    assert variant.portfolio.dynamic_weights is not None
    assert variant.portfolio.dynamic_weights.cash_weight == 10  # the quote's target weight
    sweep = run_sweep(config, [point], workers=1, start=date(2023, 1, 1), end=date(2023, 12, 31))
    # the same variant through `trimtab backtest`'s own study, which reads the look-back before --start
    study = run_study(
        variant,
        load_price_frame(),
        source="test",
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
        settings=BacktestSettings(fee_rate=D(0), quote=variant.quote),
    )
    assert sweep.runs[0].strategy == study.strategy_metrics


def test_too_little_look_back_for_inverse_volatility_says_to_start_later() -> None:
    config = config_from_mapping(PORTFOLIO, "test")
    grid = SweepGrid(thresholds=(D(5),), intervals=(), calendars=(), fee_rates=(D(0),))
    with pytest.raises(
        sweeping.SweepFailed, match=r"needs 31 daily closes of BTC, got \d+ before the start"
    ) as caught:
        run_sweep(config, grid, workers=1, start=date(2017, 8, 20), end=date(2017, 12, 31))
    assert caught.value.exit_code == 2


def test_sweep_json_ranks_every_run(write_config: Callable[..., Path]) -> None:
    code, out, err = invoke(
        "sweep", "-c", str(write_config(CONFIG)), "--start", "2023-01-01", "--end", "2023-12-31",
        "--thresholds", "5", "--intervals", "24", "--calendars", "monthly", "--fee-rates", "0,0.001",
        "--workers", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert set(report) >= {"runs", "buy_and_hold"}
    runs = report["runs"]
    assert len(runs) == 3 * 2 * 2  # threshold, hybrid, calendar x static, inverse vol x two fees
    assert [r["rank"] for r in runs] == list(range(1, 13))
    values = [Decimal(r["strategy"]["final_value"]) for r in runs]
    assert values == sorted(values, reverse=True)
    first = runs[0]
    assert set(first) == {"rank", "label", "parameters", "strategy", "buy_and_hold", "premium"}
    assert set(first["parameters"]) == {
        "strategy", "threshold_percent", "check_interval_hours", "calendar", "weights", "fee_rate", "rebalance_to"
    }  # fmt: skip
    for side in ("strategy", "buy_and_hold"):
        assert {"final_value", "cagr", "max_drawdown", "rebalances", "fees"} <= set(first[side])
    assert isinstance(first["premium"], str)  # decimal strings, never floats (README "JSON output")
    assert first["parameters"]["fee_rate"] in {"0", "0.001"}
    assert {r["parameters"]["weights"] for r in runs} == {"static", "inverse_volatility"}
    assert {r["label"] for r in runs} >= {"threshold 5pt", "hybrid 5pt/24h", "calendar monthly, inverse vol"}
    assert report["buy_and_hold"]["rebalances"] == 0
    assert report["buy_and_hold"]["fee_rate"] == "0.001"  # the config's exchange.fee_rate
    assert report["period"]["start"].startswith("2023-01-01")


def test_sweep_report_has_the_heatmap_and_the_table(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    html = tmp_path / "out" / "sweep.html"
    code, out, err = invoke(
        "sweep", "-c", str(write_config(CONFIG)), "--start", "2023-01-01", "--end", "2023-06-30",
        "--thresholds", "5,10", "--intervals", "", "--calendars", "quarterly", "--weights", "static",
        "--fee-rates", "0,0.001", "--workers", "1", "--top", "3", "--report", str(html),
    )  # fmt: skip
    assert code == 0, err
    assert "calendar quarterly" in out or "threshold 5pt" in out
    assert "The best 3 of 6 runs" in out
    text = html.read_text(encoding="utf-8")
    assert '"type":"heatmap"' in text
    assert "Premium: threshold, static weights" in text
    assert "Ranked by final value" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--thresholds", "5,abc"), "--thresholds: expected comma-separated numbers, got 'abc'"),
        (("--fee-rates", "0.2"), "--fee-rates: expected fractions >= 0 and < 0.1, got 0.2"),
        (("--calendars", "hourly"), "--calendars: expected some of daily, weekly, monthly, quarterly"),
        (("--thresholds", "", "--calendars", ""), "the grid is empty"),
        (("--weights", "inverse_volatility", "--start", "2010-01-01"), "before the start; start later"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    write_config: Callable[..., Path], args: tuple[str, ...], message: str
) -> None:
    code, _, err = invoke("sweep", "-c", str(write_config(CONFIG)), "--weights", "static", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_static_weights_need_target_weights(write_config: Callable[..., Path]) -> None:
    config = write_config("portfolio:\n  dynamic_weights: {method: inverse_volatility, assets: [BTC, ETH]}\n")
    code, _, err = invoke("sweep", "-c", str(config), "--weights", "static")
    assert code == 2
    assert "static needs portfolio.target_weights" in err

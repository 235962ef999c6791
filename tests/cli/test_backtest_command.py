"""`trimtab backtest` from the command line: JSON shape, report, trades, clear errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from trimtab.cli import app

CONFIG = """
portfolio:
  target_weights: {BTC: 50, ETH: 40, USDT: 10}
rebalancing: {strategy: calendar, schedule: {interval: monthly, day: 1}}
"""
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_backtest_json_has_both_sides_and_the_premium(write_config: Callable[..., Path]) -> None:
    code, out, err = invoke(
        "backtest", "-c", str(write_config(CONFIG)), "--start", "2022-01-01", "--end", "2023-12-31", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    for side in ("strategy", "buy_and_hold"):
        assert set(report[side]) >= {
            "final_value",
            "cagr",
            "volatility",
            "sharpe",
            "max_drawdown",
            "turnover",
            "fees",
            "rebalances",
        }
    assert report["strategy"]["rebalances"] == 23  # monthly on the 1st: Feb 2022 .. Dec 2023
    assert report["buy_and_hold"]["rebalances"] == 0
    assert report["strategy"]["fees"] > report["buy_and_hold"]["fees"] > 0
    assert isinstance(report["premium"], float)
    assert isinstance(report["theoretical_premium"], float)
    assert report["start"].startswith("2022-01-01")


def test_backtest_writes_the_report_and_the_trades(write_config: Callable[..., Path], tmp_path: Path) -> None:
    html, trades = tmp_path / "out" / "report.html", tmp_path / "trades.csv"
    args = (
        "backtest",
        "-c",
        str(write_config(CONFIG)),
        "--start",
        "2023-01-01",
        "--report",
        str(html),
        "--trades",
        str(trades),
    )
    code, out, err = invoke(*args)
    assert code == 0, err
    assert "Rebalancing premium" in out
    text = html.read_text(encoding="utf-8")
    assert "plotly" in text
    assert "Equity (log scale)" in text
    rows = list(csv.DictReader(trades.open(encoding="utf-8")))
    assert rows[0]["side"] == "buy"
    assert {r["symbol"] for r in rows} == {"BTC/USDT", "ETH/USDT"}


def test_a_start_before_an_asset_listed_says_when_to_start(write_config: Callable[..., Path]) -> None:
    config = write_config("portfolio:\n  target_weights: {BTC: 50, SOL: 50}\n")
    code, _, err = invoke("backtest", "-c", str(config), "--start", "2019-01-01")
    assert code == 2
    assert "SOL has no price before 2020-08-12" in err
    assert "start on or after 2020-08-12" in err


def test_bad_flags_are_exit_2(write_config: Callable[..., Path]) -> None:
    config = str(write_config(CONFIG))
    assert invoke("backtest", "-c", config, "--start", "yesterday")[0] == 2
    assert invoke("backtest", "-c", config, "--fee-rate", "-1")[0] == 2
    code, _, err = invoke("backtest", "-c", config, "--prices", "/nonexistent.csv")
    assert code == 2
    assert "/nonexistent.csv" in err


def test_a_window_that_holds_no_bar_close_is_a_warning(write_config: Callable[..., Path]) -> None:
    # Daily closes are at 00:00 UTC; a 08-20 window never contains one, so nothing is ever rebalanced.
    config = write_config(
        "portfolio:\n  target_weights: {BTC: 50, ETH: 50}\n"
        "rebalancing: {strategy: threshold, threshold_percent: 5}\n"
        "rebalance_window: {hours_utc: [8, 20]}\n"
    )
    code, out, err = invoke(
        "backtest", "-c", str(config), "--start", "2023-01-01", "--end", "2023-06-30", "--json"
    )
    assert code == 0, err
    assert "holds none of the 1d bar closes" in err
    report = json.loads(out)
    assert report["strategy"]["rebalances"] == 0
    assert report["warnings"] == [line for line in report["warnings"] if "rebalance_window" in line]
    assert len(report["warnings"]) == 1

"""A new user's first backtest: the `trimtab init` config on the bundled data, price files in other
shapes, a window no close is in, and --start/--end outside the data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()
SWEEP_ONE = (
    "--thresholds",
    "5",
    "--intervals",
    "",
    "--calendars",
    "",
    "--weights",
    "static",
    "--fee-rates",
    "0",
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def init_config(tmp_path: Path) -> str:
    """The config `trimtab init` writes, written by `trimtab init`."""
    path = tmp_path / "trimtab.yaml"
    code, _, err = invoke("init", "-c", str(path))
    assert code == 0, err
    return str(path)


def test_the_init_config_backtests_on_the_bundled_daily_data(init_config: str) -> None:
    code, out, err = invoke("backtest", "-c", init_config, "--json")
    assert code == 0, err
    assert err == ""  # no warning: the window holds the closes of its weekdays' candles
    report = json.loads(out)
    assert report["warnings"] == []
    assert int(report["strategy"]["rebalances"]) > 10
    assert report["strategy"]["final_value"] != report["buy_and_hold"]["final_value"]
    assert report["start"].startswith("2020-08-12")  # no --start: from the first close of SOL, listed last


def test_the_init_config_sweeps_with_rebalances(init_config: str) -> None:
    code, out, err = invoke("sweep", "-c", init_config, "--start", "2023-01-01", *SWEEP_ONE, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert int(report["runs"][0]["strategy"]["rebalances"]) > 0
    assert report["warnings"] == []


@pytest.mark.parametrize("command", ["backtest", "sweep"])
@pytest.mark.parametrize("as_json", [False, True])
def test_a_period_no_close_of_the_window_is_in_stops_with_the_fix(
    init_config: str, command: str, as_json: bool
) -> None:
    extra = SWEEP_ONE if command == "sweep" else ()
    json_flag = ("--json",) if as_json else ()
    code, out, err = invoke(
        command, "-c", init_config, "--start", "2024-01-06", "--end", "2024-01-07", *extra, *json_flag
    )
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "rebalance_window (Mon-Fri 08:00-20:00 UTC) holds none of the 1 daily bar closes" in lines[0]
    assert "choose a period of a week or more, or widen the window" in lines[0]
    assert lines[0].startswith(f"error: {init_config}: --start/--end: the config's rebalance_window ")


def test_an_end_past_the_data_is_a_warning(init_config: str) -> None:
    code, out, err = invoke(
        "backtest", "-c", init_config, "--start", "2025-06-01", "--end", "2030-01-01", "--json"
    )
    assert code == 0, err
    warning = (
        "--end 2030-01-01 is after the prices in bundled daily_close_usd.csv, whose last bar closes on "
        "2026-01-06: the run ends on 2026-01-06"
    )
    assert json.loads(out)["warnings"] == [warning]
    assert err.strip() == f"warning: {warning}"
    assert json.loads(out)["end"].startswith("2026-01-06")


def test_a_start_before_the_data_is_a_warning_in_sweep_too(init_config: str, tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text(ccxt_shaped(days=40), encoding="utf-8")
    args = ("-c", init_config, "--prices", str(prices), "--start", "2019-01-01")
    code, out, err = invoke("sweep", *args, *SWEEP_ONE, "--json")
    assert code == 0, err
    warning = (
        f"--start 2019-01-01 is before the prices in {prices}, whose first bar closes on 2024-01-02: "
        "the run starts on 2024-01-02"
    )
    assert json.loads(out)["warnings"] == [warning]
    assert warning in err
    code, out, err = invoke("backtest", *args)
    assert code == 0, err
    assert warning in err
    assert "2024-01-02 .. 2024-02-10" in out


def ccxt_shaped(days: int) -> str:
    """Daily closes of the init config's assets as a script writing ccxt's fetch_ohlcv times would."""
    lines = ["timestamp,BTC,ETH,SOL,BNB"]
    for day in range(days):
        opened = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day)
        wave = 1 + 0.2 * ((-1) ** day)
        lines.append(f"{int(opened.timestamp()) * 1000},{40000 * wave},{2000 / wave},{100 * wave:g},{300}")
    return "\n".join(lines) + "\n"


def test_a_ccxt_shaped_file_backtests_like_the_same_closes_written_as_dates(
    init_config: str, tmp_path: Path
) -> None:
    epoch = tmp_path / "epoch.csv"
    epoch.write_text(ccxt_shaped(days=40), encoding="utf-8")
    dated = tmp_path / "dated.csv"
    rows = ccxt_shaped(days=40).splitlines()
    dated.write_text(
        "\n".join(
            ["date" + rows[0][len("timestamp") :]]
            + [
                f"{datetime.fromtimestamp(int(r.split(',')[0]) // 1000, UTC):%Y-%m-%d}{r[r.index(',') :]}"
                for r in rows[1:]
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    reports = []
    for path in (epoch, dated):
        code, out, err = invoke("backtest", "-c", init_config, "--prices", str(path), "--json")
        assert code == 0, err
        reports.append(json.loads(out))
    assert reports[0] == reports[1]
    assert int(reports[0]["strategy"]["rebalances"]) > 0


def test_a_bad_stamp_in_a_prices_file_is_one_line_naming_it(init_config: str, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(ccxt_shaped(days=40).replace("\n1704499200000,", "\n1704499200,"), encoding="utf-8")
    code, _, err = invoke("backtest", "-c", init_config, "--prices", str(path))
    assert code == 2
    assert err.strip().startswith(
        f"error: {path}: line 7: column timestamp: expected a time epoch milliseconds like line 2"
    )
    assert err.strip().endswith("got '1704499200'")


def test_without_a_start_dynamic_weights_start_when_their_look_back_has_closes(tmp_path: Path) -> None:
    config = tmp_path / "dynamic.yaml"
    config.write_text(
        "portfolio:\n  dynamic_weights: {method: inverse_volatility, assets: [BTC, ETH, SOL], lookback_days: 30}\n"
        "rebalancing: {strategy: calendar, schedule: {interval: monthly, day: 1}}\n",
        encoding="utf-8",
    )
    code, out, err = invoke("backtest", "-c", str(config), "--json")
    assert code == 0, err
    assert json.loads(out)["start"].startswith("2020-09-11")  # SOL's first close 2020-08-12, + 30 days


def test_a_sweep_without_a_start_runs_every_variant_over_one_period(init_config: str) -> None:
    # static and inverse volatility (30-day look-back) variants: all start when the look-back can
    code, out, err = invoke(
        "sweep", "-c", init_config, "--thresholds", "5", "--intervals", "", "--calendars", "",
        "--fee-rates", "0", "--workers", "1", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert {run["parameters"]["weights"] for run in report["runs"]} == {"static", "inverse_volatility"}
    assert report["period"]["start"].startswith("2020-09-11")

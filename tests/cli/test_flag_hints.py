"""The layers below the command line name a parameter in their own words; the command line prints its flag.

Each case: the error as the domain or the application says it (no flag in it), and the exact line a user sees.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from configs import yaml_config
from typer.testing import CliRunner

from trimtab.app.demo_files import DemoFolder
from trimtab.backtest.sweep_grid import parse_grid
from trimtab.cli.flag_hints import FLAGS, error_line, spell
from trimtab.cli.main import app
from trimtab.errors import ConfigError, Mention, ParameterError
from trimtab.ledger.store import LedgerStore

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stderr


def test_a_mention_is_spelled_as_its_flag_with_its_value_and_where_it_came_from() -> None:
    assert spell(Mention("allow_duplicates")) == "--allow-duplicates"
    assert spell(Mention("currency", "GBP")) == "--currency GBP"
    assert spell(Mention("period", leads=True)) == "command line: --start/--end"
    assert spell(Mention("not_in_the_table")) == "--not-in-the-table"
    assert all(flag.startswith(("--", "`trimtab ")) for flag in FLAGS.values())


def test_a_parameter_error_names_no_flag_below_the_command_line() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_grid(thresholds="5,abc", intervals="", calendars="", weights=None, fee_rates="0")
    assert str(caught.value) == "thresholds: expected comma-separated numbers, got 'abc'"
    assert (caught.value.source, caught.value.key) == ("", "thresholds")
    assert (
        error_line(caught.value) == "command line: --thresholds: expected comma-separated numbers, got 'abc'"
    )


def test_a_file_error_mentioning_a_parameter_is_spelled_by_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        DemoFolder.claim(tmp_path, "portfolio: {}\n")
    assert "--" not in str(caught.value)
    assert str(caught.value).endswith("so it is left alone; move it away or choose another dir")
    assert error_line(caught.value).endswith("so it is left alone; move it away or choose another --dir")


def test_the_kill_switch_says_which_command_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("trimtab.yaml").write_text(yaml_config(), encoding="utf-8")
    assert invoke("rebalance")[0] == 0
    ledger = LedgerStore.open("sqlite:///data/ledger.db")
    for _ in range(3):
        now = datetime.now(UTC)
        run = ledger.start_run(
            command="rebalance", venue="paper", mode="live", forced=False, started_at=now, config_digest="x"
        )
        ledger.finish_run(run, "failed", now, error="Filter failure: NOTIONAL")
    ledger.close()
    expected = (
        "error: kill switch: the last 3 runs failed (latest: Filter failure: NOTIONAL); fix the cause, then run "
        "`trimtab rebalance --override-kill-switch` once\n"
    )
    assert invoke("rebalance") == (1, expected)
    assert invoke("run", "--max-runs", "1") == (1, expected)


def test_backtest_parameter_errors_name_their_flags(tmp_path: Path) -> None:
    config = tmp_path / "trimtab.yaml"
    config.write_text(yaml_config(weights={"BTC": 50, "ETH": 50}), encoding="utf-8")
    c = str(config)
    period = ("--start", "2024-01-01", "--end", "2024-03-01")
    assert invoke(
        "backtest", "-c", c, "--jurisdiction", "uk", "--start", "2019-01-01", "--end", "2019-12-31"
    ) == (
        2,
        "error: command line: --start: UK tax figures start with tax year 2020/21 (the annual exempt amounts "
        "known here); start on or after 2020-04-06\n",
    )
    assert invoke("backtest", "-c", c, "--start", "2024-01-03", "--end", "2024-01-03") == (
        2,
        f"error: {c}: --start/--end: the period holds fewer than two bars\n",
    )
    assert invoke("backtest", "-c", c, *period, "--initial", "1") == (
        2,
        "error: command line: --initial: 1 USDT is too little to buy BTC, ETH at the start (each trade must "
        "reach the minimum trade value and the market minimums); start with at least 41 USDT\n",
    )
    assert invoke("backtest", "-c", c, *period, "--report", str(tmp_path)) == (
        2,
        f"error: {tmp_path}: --report: cannot write the report (Is a directory)\n",
    )
    assert invoke("sweep", "-c", c, *period, "--fee-rates", "0.2") == (
        2,
        "error: command line: --fee-rates: expected fractions >= 0 and < 0.1, got 0.2\n",
    )

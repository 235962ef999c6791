"""The Taxes section's scenario, checked beyond what its printed output shows: a new user's folder after
the Quick start (`trimtab init`, a forced rebalance: the ledger holds the bot's USDT fills, made after
every year reported) plus the README's own files (history.csv priced in USD, daily USD rates).

tests/docs runs the README's commands as written; these tests check the figures behind them: the USD
history is converted at the day's rate (not dropped), and the later USDT fills need no rate."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from readme_examples import read_script
from typer.testing import CliRunner

from trimtab.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def run(command: str) -> tuple[int, str, str]:
    args = shlex.split(command)
    result = runner.invoke(app, args[1:], env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert run("trimtab init")[0] == 0
    code, _, err = run("trimtab rebalance --force")
    assert code == 0, err
    for step in read_script(README).steps:
        if step.kind == "file" and step.command in {"history.csv", "usd-eur.csv", "usd-gbp.csv"}:
            (tmp_path / step.command).write_text(step.text, encoding="utf-8")
    return tmp_path


def test_a_german_report_converts_the_usd_history_at_the_days_rate(folder: Path) -> None:
    assert run("trimtab tax import history.csv")[0] == 0
    code, out, err = run("trimtab tax report -j de --year 2025 --rates usd-eur.csv --json")
    assert code == 0, err
    assert "left out" not in err  # the USD history is converted, not dropped
    eth = next(row for row in json.loads(out)["disposals"] if row["asset"] == "ETH")
    assert eth["proceeds"] == "3877.233885"  # 4045.95 USD x 0.9583 (the rate of 20 Feb 2025)


def test_a_uk_report_of_the_usd_file_matches_both_sales(folder: Path) -> None:
    code, out, err = run(
        "trimtab tax report -j uk --year 2024 --transactions history.csv --currency USD --rates usd-gbp.csv --json"
    )
    assert code == 0, err
    assert {row["asset"] for row in json.loads(out)["disposals"]} == {"BTC", "ETH"}  # both in 2024/25


def test_the_uk_report_of_a_usd_file_read_as_gbp_says_which_currency_to_give(folder: Path) -> None:
    code, _, err = run("trimtab tax report -j uk --year 2024 --transactions history.csv")
    assert code == 2
    assert "--currency USD" in err


def test_without_its_rates_the_german_report_names_the_usd_history_not_the_later_fills(folder: Path) -> None:
    assert run("trimtab tax import history.csv")[0] == 0
    code, _, err = run("trimtab tax report -j de --year 2025")
    assert code == 2
    assert "imported history is priced in USD (the first on 2023-06-01)" in err
    assert "a EUR report needs daily USD->EUR rates" in err
    code, _, err = run("trimtab tax report -j de --year 2022")  # before every USD event: no rate needed
    assert code == 0, err

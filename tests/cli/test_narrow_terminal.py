"""Every command's tables at 80 and 60 columns, as real processes with COLUMNS set: no number is cut, no column
is lost. The same numbers as at 200 columns appear whole, and every column's header is there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from configs import yaml_config

pytestmark = pytest.mark.slow  # one real process per command and width
NOW = datetime.now(UTC)
CONFIG = yaml_config(
    risk={"max_single_trade_percent": 100, "slippage_tolerance": 0.5},
    exchange={
        "name": "paper",
        "balances": {"BTC": "0.3", "ETH": 2, "SOL": 10, "BNB": 1, "USDT": 1000},
        "prices": {"BTC": 60000, "ETH": 3000, "SOL": 150, "BNB": 600},
        "fee_rate": "0.001",
    },
    tax={"jurisdiction": "us"},
)


def days_ago(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT12:00:00Z")


HISTORY = (
    "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
    f"{days_ago(400)},paper,buy,ETH,2,2000.123456,1.5,USD\n"
    f"{days_ago(60)},paper,buy,BTC,0.3,80000.5,12.25,USD\n"
    f"{days_ago(50)},paper,buy,SOL,10,210.75,,\n"
    f"{days_ago(30)},paper,sell,SOL,2.5,190.125,0.75,USD\n"
)

# A number as the tables print it: digits with thousands separators, a decimal part, a sign, a percent.
NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.\d+)?%?")
CUT_NUMBER = re.compile(r"\d[.,]?…")


def trimtab_command() -> list[str]:
    executable = Path(sys.executable).parent / "trimtab"
    if executable.exists():
        return [str(executable)]
    found = shutil.which("trimtab")
    return [found] if found else [sys.executable, "-m", "trimtab"]


def run(folder: Path, columns: int, *args: str) -> str:
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50"}
    result = subprocess.run(
        [*trimtab_command(), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A drifted paper portfolio with one rebalance in its ledger and an imported trade history."""
    path = tmp_path_factory.mktemp("narrow")
    (path / "trimtab.yaml").write_text(CONFIG, encoding="utf-8")
    (path / "history.csv").write_text(HISTORY, encoding="utf-8")
    run(path, 200, "tax", "import", "history.csv")
    run(path, 200, "rebalance", "--force")
    return path


COMMANDS = {
    "status": ["status"],
    "plan": ["plan", "--force"],
    "history": ["history"],
    "history --run": ["history", "--run", "1"],
    "backtest": ["backtest", "--start", "2024-01-01", "--end", "2024-12-31"],
    "backtest --tax": ["backtest", "--start", "2024-01-01", "--end", "2024-12-31", "--tax", "us"],
    "tax report": ["tax", "report", "-j", "us", "--year", str(NOW.year), "--transactions", "history.csv"],
    "tax harvest": ["tax", "harvest"],
}


def headers_of(wide: str) -> list[str]:
    """The words of the header lines of the wide output's tables (lines between a title and its rule)."""
    lines = wide.splitlines()
    words: list[str] = []
    for index, line in enumerate(lines[1:], start=1):
        if (set(line.strip()) <= set("━─┡┩╇┼┳┏┓┃╋ ") and "━" in line) or "─" * 5 in line:
            words += re.findall(r"[A-Za-z][A-Za-z()%]*", lines[index - 1])
    return words


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("columns", [80, 60])
def test_tables_keep_every_number_and_column_when_narrow(folder: Path, name: str, columns: int) -> None:
    args = COMMANDS[name]
    wide = run(folder, 200, *args)
    narrow = run(folder, columns, *args)
    assert not CUT_NUMBER.search(narrow), f"a number is cut at {columns} columns:\n{narrow}"
    table_lines = [line for line in narrow.splitlines() if set(line) & set("│┃─━")]
    assert all(len(line) <= columns for line in table_lines), f"a table is wider than {columns}:\n{narrow}"
    missing = sorted(set(NUMBER.findall(wide)) - set(NUMBER.findall(narrow)))
    assert not missing, f"numbers lost at {columns} columns: {missing}\n{narrow}"
    narrow_words = set(re.findall(r"[A-Za-z][A-Za-z()%]*", narrow))
    lost = sorted(set(headers_of(wide)) - narrow_words)
    assert not lost, f"header words lost at {columns} columns: {lost}\n{narrow}"

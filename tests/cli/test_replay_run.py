"""``trimtab run`` as a real process on a replayed market: a monthly calendar rebalances once per replayed
month, the ledger records market times, and the end of the price data ends the loop with exit code 0."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from configs import MONTHLY, yaml_config

pytestmark = pytest.mark.slow

# about 116 market days per wall second: a month passes in about a quarter of a second
FAST = 10_000_000


def trimtab(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trimtab", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_config(folder: Path, start: str) -> Path:
    path = folder / "cfg.yaml"
    path.write_text(
        yaml_config(
            weights={"BTC": 50, "ETH": 30, "USDT": 20},
            rebalancing=MONTHLY,
            exchange={
                "name": "paper",
                "balances": {"USDT": 10000},
                "replay": {"start": start, "speed": FAST},
            },
        )
    )
    return path


def test_run_rebalances_once_per_replayed_month(tmp_path: Path) -> None:
    config = write_config(tmp_path, "2024-01-01")
    done = trimtab("run", "-c", config, "--max-runs", "3", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    runs = [e for e in events if e["event"] == "run"]
    assert [(e["status"], e["rebalance"]) for e in runs] == [("completed", True)] * 3
    assert [e["next_check"][:10] for e in events if e["event"] == "sleep"] == ["2024-02-01", "2024-03-01"]
    history = trimtab("history", "-c", config, "--json")
    assert history.returncode == 0, history.stderr
    started = sorted(datetime.fromisoformat(r["started_at"]) for r in json.loads(history.stdout)["runs"])
    assert [(s.year, s.month) for s in started] == [(2024, 1), (2024, 2), (2024, 3)]


def test_the_end_of_the_price_data_stops_run_with_exit_code_0(tmp_path: Path) -> None:
    config = write_config(tmp_path, "2025-12-15")
    done = trimtab("run", "-c", config)  # no --max-runs: the data's end stops it
    assert done.returncode == 0, done.stderr
    assert "replay over:" in done.stdout
    assert "the replay reached the end of its price data" in " ".join(done.stdout.split())
    assert "Stopped after" in done.stdout

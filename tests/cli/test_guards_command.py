"""``trimtab guards``: list the assets the crash guard holds back and resume one; and how a run a guard
stopped reads on the command line (one line, exit code 1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from configs import PAPER, yaml_config
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()

#: A replay from 2022-11-10: SOL closed at 14.08 on 2022-11-09, 42 % below the close a day before.
FTX = yaml_config(
    weights={"BTC": 40, "SOL": 30, "USDT": 30},
    exchange={"name": "paper", "balances": {"USDT": 10000}, "replay": {"start": "2022-11-10", "speed": 1}},
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_a_crash_hold_is_listed_and_resumed(write_config: Callable[..., Path]) -> None:
    path = str(write_config(FTX))
    assert invoke("guards", "-c", path) == (0, "No asset is held back by the crash guard.\n", "")
    code, _, _ = invoke("rebalance", "-c", path)
    assert code == 0
    code, out, _ = invoke("guards", "-c", path)
    assert code == 0
    assert "SOL: held back since " in out
    assert (
        "(SOL fell 42.25 % in 24 h, more than guards.crash_percent (30 %): not bought until resumed)" in out
    )
    code, out, _ = invoke("history", "-c", path, "--run", "1")
    assert "guard (crash): SOL fell 42.25 % in 24 h" in out
    code, out, _ = invoke("history", "-c", path, "--run", "1", "--json")
    assert [(g["guard"], g["asset"]) for g in json.loads(out)["guards"]] == [("crash", "SOL")]
    code, out, _ = invoke("guards", "-c", path, "--json")
    [hold] = json.loads(out)["holds"]
    assert (hold["asset"], hold["run_id"], hold["resumed_at"]) == ("SOL", 1, None)
    code, out, err = invoke("guards", "-c", path, "--resume", "BTC")
    assert code == 2
    assert "BTC is not held back by the crash guard (held back: SOL)" in err
    assert len(err.strip().splitlines()) == 1
    code, out, _ = invoke("guards", "-c", path, "--resume", "sol")
    assert (code, out) == (0, "SOL resumed: the next run may buy it again.\n")
    assert json.loads(invoke("guards", "-c", path, "--json")[1]) == {"holds": []}


def test_a_depegged_quote_fails_the_rebalance_in_one_line(write_config: Callable[..., Path]) -> None:
    path = str(write_config(yaml_config(exchange={**PAPER, "prices": {"USDC": "0.95"}})))
    code, _, err = invoke("rebalance", "-c", path)
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "USDT is off its peg: USDC/USDT trades at 0.95, 5.00 % from 1" in err

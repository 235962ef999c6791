"""`status` and `plan` report dust apart from the weights, in text and in --json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cli_output import stdout_of as invoke

# 0.02 SOL (about 3.8 USDT) is below SOL/USDT's 5 USDT minimum order, and SOL has no target: dust.
CONFIG = """
portfolio:
  target_weights: {BTC: 50, USDT: 50}
rebalancing:
  strategy: threshold
  threshold_percent: 5
data_dir: data
exchange:
  name: paper
  balances: {BTC: 0.0001, USDT: 9.36, SOL: 0.02}
  prices: 2024-12-31
"""


def test_status_and_plan_show_the_dust_apart(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG))

    text = invoke("status", "-c", path)
    assert "Dust (kept out of the weights): 0.02 SOL" in text
    assert "below the market's minimum order of 5 USDT" in text
    assert "Held outside the targets" not in text

    status = json.loads(invoke("status", "-c", path, "--json"))
    assert status["dust"]["SOL"]["amount"] == "0.02"
    assert "SOL" not in status["weights"]

    plan = json.loads(invoke("plan", "-c", path, "--json", "--force"))
    assert list(plan["dust"]) == ["SOL"]
    assert all(s["asset"] != "SOL" for s in plan["skipped"])

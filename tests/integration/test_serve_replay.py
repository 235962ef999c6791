"""Two portfolios served on a replayed market for 30 s (a month of market time at a day per second).

One rebalances on a monthly calendar, the other past a 5-point threshold checked daily; each notifies a
local receiver. While the service runs, the API's history and equity answer what the ledger holds (the
same documents as ``trimtab history --json``), every rebalance sent exactly one notification, and each
portfolio traded on its own schedule, dated in market time.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from configs import SEED_WEIGHTS, yaml_config
from notify_receiver import Receiver
from serving import environment, run_cli, serve

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]

TOKEN = "replay-test-token-7c2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SERVED_SECONDS = 30.0
REPLAY = {"start": "2024-01-20", "speed": 86400}
MONTHLY = {"strategy": "calendar", "schedule": {"interval": "monthly", "day": 1}, "min_trade_usd": 20}
THRESHOLD = {"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 20, "check_interval_hours": 24}


def write(folder: Path, name: str, rebalancing: dict[str, Any], hook: str) -> Path:
    path = folder / f"{name}.yaml"
    exchange = {"name": "paper", "balances": {"USDT": 10000}, "fee_rate": "0.001", "replay": REPLAY}
    text = yaml_config(
        weights=SEED_WEIGHTS,
        rebalancing=rebalancing,
        data_dir=f"{name}-data",
        exchange=exchange,
        top={"notify": {"urls": [hook], "events": ["rebalanced"]}},
    )
    path.write_text(text, encoding="utf-8")
    return path


def rebalanced(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [run for run in runs if run["status"] == "completed" and run["orders"]]


def test_two_portfolios_live_through_a_replayed_month(tmp_path: Path) -> None:
    env = {k: v for k, v in environment(token=TOKEN).items() if k != "TRIMTAB_NOW"}  # the replay keeps time
    with Receiver() as receiver:
        configs = {
            "monthly": write(tmp_path, "monthly", MONTHLY, receiver.url("hooks/monthly")),
            "drift": write(tmp_path, "drift", THRESHOLD, receiver.url("hooks/drift")),
        }
        served = serve(*configs.values(), env=env)
        try:
            url = served.listening()
            time.sleep(SERVED_SECONDS)
            for name in configs:  # no run starts after this: the ledger holds still for the comparison
                answer = httpx.post(f"{url}/api/portfolios/{name}/pause", headers=AUTH, timeout=60)
                assert answer.status_code == 200, answer.text
            api = {
                name: {
                    "history": httpx.get(
                        f"{url}/api/portfolios/{name}/history?limit=1000", timeout=60
                    ).json(),
                    "equity": httpx.get(f"{url}/api/portfolios/{name}/equity", timeout=60).json(),
                }
                for name in configs
            }
            cli = {}
            for name, path in configs.items():
                done = run_cli("history", "--json", "--limit", "1000", "-c", str(path), env=env)
                assert done.returncode == 0, done.stderr
                cli[name] = done.stdout
        finally:
            code, stderr = served.stop()
        assert code == 0, stderr
        expected = {name: len(rebalanced(api[name]["history"]["runs"])) for name in configs}
        posts = receiver.wait_for(sum(expected.values()))
        time.sleep(1.0)  # a message sent twice would arrive by now
        posts = list(receiver.received)

    for name in configs:
        history = api[name]["history"]
        assert history == json.loads(cli[name]), f"{name}: the API history is the CLI history"
        runs = history["runs"]
        # the equity curve: each run's value before, and after when it traded, in the ledger's order
        values = sorted(point["value"] for point in api[name]["equity"])
        from_runs = [run["value_before"] for run in runs if run["value_before"] is not None]
        from_runs += [run["value_after"] for run in rebalanced(runs) if run["value_after"] is not None]
        assert values == sorted(from_runs), name
        times = [datetime.fromisoformat(point["time"]) for point in api[name]["equity"]]
        assert times == sorted(times)
        assert all(
            datetime(2024, 1, 20).date() <= moment.date() < datetime(2024, 3, 1).date() for moment in times
        )
        sent = [post for post in posts if post.path == f"/hooks/{name}"]
        assert len(sent) == expected[name], f"{name}: one notification per rebalance"
        assert all(name in post.title + post.message for post in sent)

    monthly = rebalanced(api["monthly"]["history"]["runs"])
    starts = sorted(datetime.fromisoformat(run["started_at"]) for run in monthly)
    # the first check invests the cash; after it, the calendar trades in the first hour of the 1st only
    assert starts[0].date() == datetime(2024, 1, 20).date()
    assert [(moment.day, moment.hour) for moment in starts[1:]] == [(1, 0)] * (len(starts) - 1)
    assert datetime(2024, 2, 1).date() in {moment.date() for moment in starts}
    checks = api["drift"]["history"]["runs"]
    assert len(checks) >= 20, f"the threshold portfolio checks about once a market day, got {len(checks)}"
    drift = rebalanced(checks)
    assert drift, "the threshold portfolio invests its cash at its first check"
    assert all("threshold" in (run["reason"] or "") for run in drift[1:])

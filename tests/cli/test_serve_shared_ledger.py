"""Two real ``trimtab serve`` processes share four paper portfolios on one PostgreSQL ledger.

Each portfolio is driven by one process at a time (PostgreSQL's advisory lock); killing the driver with
``kill -9`` hands its portfolios to the other within the takeover interval; its unfinished run is resumed
by the new driver, never repeated; no order is placed twice.
"""

from __future__ import annotations

import itertools
import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from postgres import PostgresServer
from serving import Served, environment
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]

NAMES = ("alpha", "bravo", "charlie", "delta")
TAKEOVER = 0.5  # seconds between a standby's attempts (`serve --takeover-seconds`)


def shared_config(url: str, data: Path) -> str:
    """A paper portfolio replaying 2024 at two market days per wall second, rebalanced daily."""
    return (
        "portfolio: {target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}}\n"
        "rebalancing: {strategy: calendar, schedule: {interval: daily}, min_trade_usd: 1}\n"
        f"data_dir: {data}\n"
        f"database_url: {url}\n"
        "exchange:\n"
        "  name: paper\n"
        "  balances: {USDT: 10000}\n"
        "  fee_rate: 0.001\n"
        "  replay: {start: 2024-01-01, speed: 172800}\n"
    )


def events_of(served: Served, kind: str, **fields: Any) -> list[dict[str, Any]]:
    return [e for e in served.events if e["event"] == kind and all(e.get(k) == v for k, v in fields.items())]


def wait_for_runs(served: Served, portfolio: str, count: int) -> None:
    for _ in range(count):
        seen = len(events_of(served, "run", portfolio=portfolio))
        served.until(
            lambda e, seen=seen: (
                e["event"] == "run"
                and e.get("portfolio") == portfolio
                and len(events_of(served, "run", portfolio=portfolio)) > seen
            )
        )


def test_two_serve_processes_share_portfolios_and_hand_them_over(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.new_database()
    configs = tmp_path / "configs"
    configs.mkdir()
    for name in NAMES:
        (configs / f"{name}.yaml").write_text(shared_config(url, tmp_path / "data" / name), encoding="utf-8")
    env = {k: v for k, v in environment().items() if k != "TRIMTAB_NOW"}  # the replay keeps its own time
    args = [
        "--config-dir",
        str(configs),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--takeover-seconds",
        str(TAKEOVER),
    ]

    first = Served(args, env)
    first.listening()
    for name in NAMES:
        wait_for_runs(first, name, 2)
    second = Served(args, env)
    listening = second.listening()
    assert listening
    standby = {e["portfolio"] for e in events_of(second, "state", state="standby")}
    assert standby == set(NAMES), second.events  # the first drives them all: the second waits
    check_standby_answers(listening, first.process.pid)
    for name in NAMES:
        wait_for_runs(first, name, 2)

    first.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    first.finish()
    taken: dict[str, float] = {}
    for name in NAMES:
        second.until(
            lambda e, name=name: e["event"] == "state" and e["portfolio"] == name and e["state"] == "running"
        )
        taken[name] = time.monotonic() - killed_at
        wait_for_runs(second, name, 2)
    # the documented bound: the next attempt after the killed process's session ended (at once)
    assert max(taken.values()) < TAKEOVER + 10, taken
    code, stderr = second.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr

    first_pid, second_pid = first.process.pid, second.process.pid
    engine = create_engine(url)
    try:
        for name in NAMES:
            check_portfolio(engine, name, first_pid, second_pid, tmp_path / "data" / name)
    finally:
        engine.dispose()
    for served in (first, second):
        assert not events_of(served, "state", state="kill_switch"), served.events


def check_standby_answers(url: str, driver_pid: int) -> None:
    """The standby process says who drives its portfolios: /health, the API (409) and the dashboard."""
    with httpx.Client(base_url=url, timeout=30) as http:
        health = http.get("/health").json()["portfolios"]
        assert {name: entry["state"] for name, entry in health.items()} == dict.fromkeys(NAMES, "standby")
        assert f"pid {driver_pid} on " in health["alpha"]["driver"]
        refused = http.get("/api/portfolios/alpha")
        assert refused.status_code == 409
        assert f"pid {driver_pid} on " in refused.json()["error"]
        page = http.get("/")
        assert page.status_code == 200
        assert "On standby" in page.text
        assert http.get("/p/alpha").status_code == 409


def check_portfolio(engine: Any, schema: str, first_pid: int, second_pid: int, data: Path) -> None:
    with engine.connect() as connection:
        runs = connection.execute(
            text(f'SELECT id, status, driver, started_at, finished_at FROM "{schema}".runs ORDER BY id')
        ).all()
        orders = connection.execute(
            text(f'SELECT client_order_id, exchange_order_id FROM "{schema}".orders')
        ).all()
    assert runs, schema
    # every run ended (one the killed process left unfinished was resumed by the other, as the same run)
    assert all(run.status != "running" for run in runs), runs
    drivers = [int(run.driver.split(" pid ")[1].split()[0]) for run in runs]
    assert set(drivers) == {first_pid, second_pid}, drivers
    handover = drivers.index(second_pid)
    # driven by one process, then by the other: never interleaved
    assert drivers[:handover] == [first_pid] * handover
    assert drivers[handover:] == [second_pid] * (len(drivers) - handover)
    for earlier, later in itertools.pairwise(runs):  # no run overlaps another (market time)
        assert earlier.finished_at is not None
        assert later.started_at >= earlier.finished_at, (earlier, later)
    # no order placed twice: one exchange order per client order id, in the ledger and on the paper account
    client_ids = [order.client_order_id for order in orders]
    assert len(client_ids) == len(set(client_ids))
    state = json.loads((data / "paper-venue.json").read_text(encoding="utf-8"))
    assert set(state["orders"]) == set(client_ids)
    assert state["next_order_id"] - 1 == len(state["orders"])

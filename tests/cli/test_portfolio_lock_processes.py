"""One process drives a portfolio at a time, proved with real ``trimtab`` processes.

Two ``rebalance`` processes started together on a drifted paper portfolio, round after round: one trades,
the other is refused at once with the holder named (exit code 75), or, when the first had already
finished, finds nothing left to do. Either way the ledger and the paper account agree order by order and
fill by fill. A ``run`` killed with SIGKILL leaves its lock free for the next command. The reading
commands work while a holder sleeps inside the lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from configs import yaml_config

from trimtab.app.portfolio_lock import LOCK_FILE_NAME, holder_path, read_holder
from trimtab.errors import PortfolioBusy
from trimtab.ledger.store import LedgerStore
from trimtab.venues.paper_state import STATE_FILE_NAME, load_state

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals"),
    pytest.mark.slow,
]

BUSY = PortfolioBusy.exit_code
ROUNDS = 10
OrderKey = tuple[Decimal, tuple[tuple[Decimal, Decimal, Decimal, str], ...]]


def trimtab_command() -> list[str]:
    executable = Path(sys.executable).parent / "trimtab"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "trimtab"]


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*trimtab_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*trimtab_command(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def ledger_orders(data: Path) -> dict[str, OrderKey]:
    """Every order of every run in the ledger, by client order id (each id once)."""
    with LedgerStore.open(f"sqlite:///{data / 'ledger.db'}") as ledger:
        orders = [o for summary in ledger.list_runs(1000) for o in ledger.run_detail(summary.id).orders]  # type: ignore[union-attr]
    found = {o.client_order_id: (o.filled, fills_of(o.fills)) for o in orders}
    assert len(found) == len(orders), "an order is recorded twice in the ledger"
    return found


def paper_orders(data: Path) -> dict[str, OrderKey]:
    state = load_state(data / STATE_FILE_NAME)
    assert state is not None
    return {cid: (o.filled, fills_of(o.fills)) for cid, o in state.orders.items()}


def fills_of(fills: object) -> tuple[tuple[Decimal, Decimal, Decimal, str], ...]:
    return tuple(sorted((f.amount, f.price, f.fee, f.fee_asset) for f in fills))  # type: ignore[attr-defined]


def live_runs(data: Path) -> list[tuple[str, int]]:
    with LedgerStore.open(f"sqlite:///{data / 'ledger.db'}") as ledger:
        return [(str(r.status), r.order_count) for r in ledger.list_runs(1000) if r.mode == "live"]


def test_two_rebalances_started_together_trade_once(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    refused = 0
    for round_ in range(ROUNDS):
        path = write_config(name=f"round{round_}.yaml")
        config_text = path.read_text(encoding="utf-8").replace("data_dir: data", f"data_dir: data{round_}")
        path.write_text(config_text, encoding="utf-8")
        data = tmp_path / f"data{round_}"
        first, second = start("rebalance", "-c", str(path)), start("rebalance", "-c", str(path))
        outcomes = []
        for process in (first, second):
            stdout, stderr = process.communicate(timeout=120)
            outcomes.append((process.returncode, stdout, stderr, process.pid))
        codes = sorted(code for code, *_ in outcomes)
        assert codes in ([0, 0], [0, BUSY]), outcomes
        for code, stdout, stderr, _ in outcomes:
            assert "Traceback" not in stderr
            if code == BUSY:
                refused += 1
                winner = next(pid for c, *_, pid in outcomes if c == 0)
                [line] = stderr.splitlines()
                assert line.startswith("error: portfolio busy: `trimtab rebalance` (pid ")
                assert f"(pid {winner} on " in line
                assert " since " in line
                assert str(data / LOCK_FILE_NAME) in line
                assert stdout == ""
        # Exactly one run traded; a second one either never started or found nothing left to do.
        runs = live_runs(data)
        assert [r for r in runs if r[1] > 0] == [("completed", max(n for _, n in runs))], runs
        assert all(status in {"completed", "skipped"} for status, _ in runs)
        assert len(runs) == (1 if codes == [0, BUSY] else 2)
        assert ledger_orders(data) == paper_orders(data), "the ledger and the paper account disagree"
        assert not holder_path(data / LOCK_FILE_NAME).exists(), "the holder's record went with it"
    assert refused, "the processes never overlapped: the lock was not exercised"


def holder(path: Path, command: str = "test holder") -> subprocess.Popen[str]:
    """A process that takes the portfolio's lock through the application's helper and sleeps inside it."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from trimtab.app.portfolio_home import hold_portfolio\n"
        "from trimtab.config import load_config\n"
        "path = Path(sys.argv[1])\n"
        "with hold_portfolio(load_config(path), path, sys.argv[2]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(120)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(path), command], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_reading_commands_work_while_a_holder_sleeps_in_the_lock(write_config: Callable[..., Path]) -> None:
    path = write_config()
    data = path.parent / "data"
    sleeper = holder(path)
    try:
        for command in ("status", "plan", "history"):
            result = run(command, "-c", str(path), "--json")
            assert result.returncode == 0, (command, result.stderr)
            json.loads(result.stdout)
        for command in (["rebalance"], ["rebalance", "--dry-run"], ["run", "--max-runs", "1"]):
            result = run(*command, "-c", str(path))
            assert result.returncode == BUSY, (command, result.stderr)
            [line] = result.stderr.splitlines()
            assert f"`trimtab test holder` (pid {sleeper.pid} on " in line
            assert result.stdout == ""
        with LedgerStore.open(f"sqlite:///{data / 'ledger.db'}") as ledger:
            assert ledger.list_runs() == [], "the refused commands recorded nothing"
        assert load_state(data / STATE_FILE_NAME) is None or not load_state(data / STATE_FILE_NAME).orders  # type: ignore[union-attr]
    finally:
        sleeper.kill()
        sleeper.wait()


HARVEST_CONFIG = yaml_config(
    weights={"BTC": 50, "USDT": 50},
    rebalancing=None,
    exchange={"name": "paper", "balances": {"BTC": "0.1", "USDT": 5000}, "prices": "2024-12-31"},
    tax={"jurisdiction": "us"},
)


def test_tax_harvest_execute_needs_the_lock_and_listing_does_not(write_config: Callable[..., Path]) -> None:
    path = write_config(HARVEST_CONFIG)
    sleeper = holder(path, "run")
    try:
        listing = run("tax", "harvest", "-c", str(path))
        assert listing.returncode == 0, listing.stderr
        executing = run("tax", "harvest", "--execute", "-c", str(path))
        assert executing.returncode == BUSY, executing.stderr
        assert "`trimtab run`" in executing.stderr
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_lock_of_a_run_killed_with_sigkill_is_taken_over(write_config: Callable[..., Path]) -> None:
    path = write_config()
    data = path.parent / "data"
    daemon = start("run", "-c", str(path), "--json")
    assert daemon.stdout is not None
    try:
        for line in daemon.stdout:  # the first check traded; the loop now sleeps holding the lock
            if '"event": "sleep"' in line:
                break
        busy = run("rebalance", "-c", str(path))
        assert busy.returncode == BUSY
        assert f"`trimtab run` (pid {daemon.pid} on " in busy.stderr
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
    stale = read_holder(data / LOCK_FILE_NAME)
    assert stale is not None, "a record is left behind"
    assert stale.pid == daemon.pid
    assert not stale.is_running()
    started = time.monotonic()
    after = run("rebalance", "-c", str(path), "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["status"] == "skipped", "the daemon's rebalance is done: nothing to do"
    assert time.monotonic() - started < 60
    assert ledger_orders(data) == paper_orders(data)
    assert not os.path.exists(holder_path(data / LOCK_FILE_NAME))

"""Ctrl-C (SIGINT) to a real ``trimtab rebalance`` talking to the loopback exchange through ccxt.

The exchange holds one request unanswered, so the signal lands at a known moment: with a buy in flight
(the run stays open and the next ``rebalance`` finishes it, each order once on the exchange and in the
ledger), or while the balances are read (nothing was placed: the run ends ``skipped``, which the kill
switch does not count). The parent ignores SIGINT, as a shell does for ``trimtab rebalance &``; trimtab
must still stop, with exit code 130 and one line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator
from bot_helpers import start_rebalance
from configs import yaml_config

from trimtab.ledger.store import LedgerStore

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]


def config_text(url: str) -> str:
    """The seed portfolio on the emulator at ``url``."""
    return yaml_config(
        rebalancing={"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 10},
        risk={"max_single_trade_percent": 100, "slippage_tolerance": 0.5, "max_consecutive_failures": 2},
        exchange={"name": "binance", "api_url": url, "timeout_ms": 3000, "rate_limit": "false"},
    )


DRIFTED = {"USDT": "500", "BTC": "0.2", "ETH": "1"}
# What a script's ``trimtab rebalance &`` does: the command starts with SIGINT ignored.
IGNORING_SIGINT = ("bash", "-c", 'trap "" INT; exec "$@"', "bash")


async def start_bot(config: Path) -> asyncio.subprocess.Process:
    return await start_rebalance(config, *IGNORING_SIGINT)


async def wait_for_request(
    emulator: BinanceEmulator, method: str, path: str, side: str | None = None
) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while not any(
        r.method == method and r.path == path and (side is None or r.params.get("side") == side)
        for r in emulator.requests
    ):
        assert asyncio.get_running_loop().time() < deadline, "the bot never sent the request"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)  # the request is now waiting for its answer


async def interrupt(process: asyncio.subprocess.Process) -> tuple[int | None, str]:
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode, stderr.decode()


def runs_of(config: Path) -> list[tuple[int, str, str | None]]:
    with LedgerStore.open(f"sqlite:///{config.parent / 'data' / 'ledger.db'}") as ledger:
        return [(r.id, str(r.status), r.error) for r in reversed(ledger.list_runs())]


async def test_sigint_with_a_buy_in_flight_exits_130_and_the_next_run_finishes(tmp_path: Path) -> None:
    async with BinanceEmulator(balances=DRIFTED) as emulator:
        config = tmp_path / "trimtab.yaml"
        config.write_text(config_text(emulator.base_url), encoding="utf-8")
        emulator.add_fault("blackhole", path="/api/v3/order", method="POST", where={"side": "BUY"}, arg=60)
        bot = await start_bot(config)
        await wait_for_request(emulator, "POST", "/api/v3/order", side="BUY")
        code, stderr = await interrupt(bot)
        assert code == 130
        assert stderr == "error: interrupted\n"
        [(run_id, status, _)] = runs_of(config)
        assert status == "running", "orders are on the exchange: the run stays open for the next one"

        emulator.faults.clear()
        again = await start_bot(config)
        stdout, stderr_again = await asyncio.wait_for(again.communicate(), timeout=90)
        assert again.returncode == 0, stderr_again.decode()
        report = json.loads(stdout)
        assert report["run_id"] == run_id
        assert report["status"] == "completed"

        exchange = emulator.orders()
        ids = [o.client_order_id for o in exchange]
        assert len(ids) == len(set(ids)), "no order was placed twice"
        with LedgerStore.open(f"sqlite:///{tmp_path / 'data' / 'ledger.db'}") as ledger:
            detail = ledger.run_detail(run_id)
        assert detail is not None
        recorded = {o.client_order_id: o.filled for o in detail.orders}
        assert recorded == {o.client_order_id: Decimal(o.executed_qty) for o in exchange}


async def test_sigint_before_any_order_ends_the_run_skipped_and_never_trips_the_kill_switch(
    tmp_path: Path,
) -> None:
    async with BinanceEmulator(balances=DRIFTED) as emulator:
        config = tmp_path / "trimtab.yaml"
        config.write_text(config_text(emulator.base_url), encoding="utf-8")
        for attempt in range(3):  # more than risk.max_consecutive_failures (2)
            emulator.requests.clear()
            emulator.add_fault("timeout", path="/api/v3/account", method="GET", arg=60)
            bot = await start_bot(config)
            await wait_for_request(emulator, "GET", "/api/v3/account")
            code, stderr = await interrupt(bot)
            assert (code, stderr) == (130, "error: interrupted\n"), attempt
            emulator.faults.clear()
        runs = runs_of(config)
        assert [(status, error) for _, status, error in runs] == [
            ("skipped", "interrupted before any order was placed")
        ] * 3
        assert emulator.orders() == []

        again = await start_bot(config)
        stdout, stderr_again = await asyncio.wait_for(again.communicate(), timeout=90)
        assert again.returncode == 0, stderr_again.decode()
        assert json.loads(stdout)["status"] == "completed", "three interruptions are not three failures"
        assert emulator.orders()

"""The bot process is killed between the sell leg and the buy leg, restarted, and finishes the run.

A real ``trimtab rebalance`` process talks to the loopback Binance emulator through ccxt. The first buy
never gets an answer (a ``blackhole`` fault), so the process is caught right after its sells; it is then
killed with SIGKILL — no cleanup, no ``finally`` — and started again. The second process must resume the
same run instead of starting a new one, place only the buys, and leave the exchange and the ledger in
agreement: every client order id once on the exchange, every fill in the ledger.
"""

from __future__ import annotations

import asyncio
import json
import signal
from decimal import Decimal
from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator
from bot_helpers import start_rebalance
from configs import yaml_config

from trimtab.ledger.store import LedgerStore

pytestmark = pytest.mark.slow  # a real bot process, killed and restarted


def config_text(url: str) -> str:
    """The seed portfolio on the emulator at ``url``."""
    return yaml_config(
        rebalancing={"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 10},
        risk={"max_single_trade_percent": 100, "slippage_tolerance": 0.5},
        exchange={"name": "binance", "api_url": url, "timeout_ms": 3000, "rate_limit": "false"},
    )


async def start_bot(config: Path) -> asyncio.subprocess.Process:
    return await start_rebalance(config)


async def wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.05)


def posted_orders(emulator: BinanceEmulator, side: str) -> list[dict[str, str]]:
    return [
        r.params
        for r in emulator.requests
        if r.method == "POST" and r.path == "/api/v3/order" and r.params.get("side") == side
    ]


async def test_killed_between_sells_and_buys_resumes_and_agrees_with_the_exchange(tmp_path: Path) -> None:
    # Drifted: far too much BTC, no SOL or BNB yet.
    balances = {"USDT": "500", "BTC": "0.2", "ETH": "1"}
    async with BinanceEmulator(balances=balances) as emulator:
        config = tmp_path / "trimtab.yaml"
        config.write_text(config_text(emulator.base_url), encoding="utf-8")
        emulator.add_fault("blackhole", path="/api/v3/order", method="POST", where={"side": "BUY"}, arg=60)

        first = await start_bot(config)
        await wait_for(lambda: posted_orders(emulator, "BUY"))
        sells = posted_orders(emulator, "SELL")
        assert sells, "the sells went out before the first buy"
        first.send_signal(signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL

        ledger = LedgerStore.open(f"sqlite:///{tmp_path / 'data' / 'ledger.db'}")
        [interrupted] = ledger.list_runs()
        ledger.close()
        assert interrupted.status == "running"
        filled_before = {o.client_order_id for o in emulator.orders()}
        assert filled_before == {p["newClientOrderId"] for p in sells}

        emulator.faults.clear()
        second = await start_bot(config)
        stdout, stderr = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 0, stderr.decode()
        report = json.loads(stdout)
        assert report["run_id"] == interrupted.id, "the same run was finished, not a new one started"
        assert report["status"] == "completed"
        assert report["decision"]["reason"].startswith(f"resumed unfinished run {interrupted.id}")

        exchange_orders = emulator.orders()
        ids = [o.client_order_id for o in exchange_orders]
        assert len(ids) == len(set(ids)), "no order was placed twice"
        assert all(o.side == "SELL" for o in exchange_orders if o.client_order_id in filled_before)
        assert any(o.side == "BUY" for o in exchange_orders), "the buy leg was done after the restart"

        ledger = LedgerStore.open(f"sqlite:///{tmp_path / 'data' / 'ledger.db'}")
        [finished] = ledger.list_runs()
        detail = ledger.run_detail(finished.id)
        ledger.close()
        assert finished.status == "completed"
        assert detail is not None
        recorded = {o.client_order_id: o for o in detail.orders}
        assert set(recorded) == set(ids), "the ledger holds exactly the exchange's orders"
        for order in exchange_orders:
            mine = recorded[order.client_order_id]
            assert mine.filled == Decimal(order.executed_qty)
            assert mine.status.value == {"FILLED": "closed", "EXPIRED": "expired"}.get(
                order.status, order.status.lower()
            )
            assert sum((f.fee for f in mine.fills), Decimal(0)) == sum(
                (Decimal(f.commission) for f in order.fills), Decimal(0)
            )
        after = report["after"]["weights"]
        assert max(abs(Decimal(w["drift"])) for w in after.values()) < Decimal("0.5")

"""A reused client order id through REAL ccxt against the loopback emulator: Binance answers -2010
"Duplicate order sent.", the ccxt venue raises DuplicateClientOrderId, and the executor takes the order
it sent before instead of failing or placing another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator

from trimtab.errors import DuplicateClientOrderId
from trimtab.execution.executor import ExecutionSettings, Executor
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings
from trimtab.venues import ccxt_factory
from trimtab.venues.ccxt_venue import CcxtVenue

D = Decimal
KEY, SECRET = "emu-key", "emu-secret"  # what the conftest emulator accepts
CID = "tt-1-250101120000-0"
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)


async def no_sleep(_: float) -> None:
    return None


@pytest_asyncio.fixture
async def venue(emulator: BinanceEmulator) -> AsyncIterator[CcxtVenue]:
    exchange = ccxt_factory.make_exchange(
        "binance", api_key=KEY, secret=SECRET, sandbox=False, api_url=emulator.base_url, timeout_ms=500
    )
    exchange.enableRateLimit = False
    exchange.timeout_on_exit = 0
    venue = CcxtVenue(exchange, quote="USDT", sleep=no_sleep)
    yield venue
    await venue.close()


async def rest_an_order(venue: CcxtVenue, cid: str) -> None:
    """A good-till-cancelled buy below the market with ``cid``: it stays open, so the id stays taken."""
    exchange = venue._exchange  # the same ccxt object: the test sends what the bot never would (GTC)
    await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 55000, {"clientOrderId": cid})


async def test_the_ccxt_venue_raises_the_typed_error_for_a_taken_client_id(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    await rest_an_order(venue, CID)
    request = OrderRequest("BTC/USDT", Side.BUY, D("0.01"), D(55000), CID)
    with pytest.raises(DuplicateClientOrderId, match=r"Duplicate order sent\."):
        await venue.place_order(request)
    assert len(emulator.orders()) == 1


async def test_the_executor_takes_the_order_the_venue_already_has(
    emulator: BinanceEmulator, venue: CcxtVenue, tmp_path: Path
) -> None:
    await rest_an_order(venue, CID)
    ledger = LedgerStore.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        run_id = ledger.start_run(
            command="test", venue="binance", mode="live", forced=False, started_at=NOW, config_digest="x"
        )
        order = PlannedOrder(0, "BTC", "BTC/USDT", Side.BUY, D("0.01"), D(55000), D(55000), D(550))
        plan = Plan((order,), (), D(10000))
        ledger.record_plan(run_id, plan, {0: CID})
        snapshot = Snapshot("USDT", {"USDT": Balance(D(10000), D(10000))}, {}, {}, D("0.001"), NOW)
        settings = ExecutionSettings(max_price_move_percent=D(100), attempts=2, pause_seconds=0)
        execution = await Executor(venue, ledger, lambda: NOW, settings, sleep=no_sleep).execute(
            run_id=run_id,
            run_started=NOW,
            plan=plan,
            snapshot=snapshot,
            targets={"BTC": D(6), "USDT": D(94)},
            settings=PlannerSettings(D(10), D(100), D("0.5")),
        )
    finally:
        ledger.close()
    [result] = execution.results
    assert result.client_order_id == CID
    assert result.status is OrderStatus.CANCELED  # the resting order, cancelled after polling
    assert len(emulator.orders()) == 1, "the executor placed no second order"

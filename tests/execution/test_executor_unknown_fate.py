"""The executor with orders of unknown fate: still open after polling, rate limited, banned."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flaky_venue import FlakyVenue

from trimtab.errors import TemporaryVenueError
from trimtab.execution.executor import Execution, ExecutionSettings, Executor
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import OrderRequest, OrderResult, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings
from trimtab.pricedata import bundled_history
from trimtab.venues.paper import PaperSettings, PaperVenue

NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
CID = "tt-1-250101120000-0"
BUY_BTC = PlannedOrder(
    0, "BTC", "BTC/USDT", Side.BUY, Decimal("0.01"), Decimal("60300"), Decimal(60000), Decimal(600)
)


def paper() -> PaperVenue:
    return PaperVenue(
        PaperSettings(balances={"USDT": Decimal(10000)}, prices={"BTC": Decimal(60000)}),
        quote="USDT",
        state_path=None,
        history=bundled_history(),
        clock=lambda: NOW,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[LedgerStore]:
    store = LedgerStore.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield store
    store.close()


async def execute_one_buy(
    venue: FlakyVenue,
    ledger: LedgerStore,
    settings: ExecutionSettings,
    sleep: Callable[[float], Awaitable[None]],
) -> tuple[int, Execution]:
    """Journal a one-order plan (buy 0.01 BTC) in a fresh run and execute it."""
    run_id = ledger.start_run(
        command="test", venue="paper", mode="live", forced=False, started_at=NOW, config_digest="x"
    )
    plan = Plan((BUY_BTC,), (), Decimal(10000))
    ledger.record_plan(run_id, plan, {0: CID})
    # Priced like the venue: once the buy filled, a top-up pass plans from it (and finds nothing to buy).
    markets = await venue.fetch_markets("USDT", ["BTC"])
    snapshot = Snapshot(
        "USDT",
        {"USDT": Balance(Decimal(10000), Decimal(10000))},
        {"BTC": Decimal(60000)},
        markets,
        Decimal("0.001"),
        NOW,
    )
    execution = await Executor(venue, ledger, lambda: NOW, settings, sleep=sleep).execute(
        run_id=run_id,
        run_started=NOW,
        plan=plan,
        snapshot=snapshot,
        targets={"BTC": Decimal(6), "USDT": Decimal(94)},
        settings=PlannerSettings(Decimal(10), Decimal(100), Decimal("0.5")),
    )
    return run_id, execution


async def no_sleep(_: float) -> None:
    return None


class StuckOpen(FlakyVenue):
    """Reports every order as still open until it is cancelled."""

    def __init__(self, inner: PaperVenue) -> None:
        super().__init__(inner)
        self.cancelled: list[str] = []

    async def place_order(self, request: OrderRequest) -> OrderResult:
        result = await super().place_order(request)
        return replace(result, status=OrderStatus.OPEN)

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        found = await super().fetch_order(symbol, client_order_id)
        if found is None or client_order_id in self.cancelled:
            return replace(found, status=OrderStatus.CANCELED) if found else None
        return replace(found, status=OrderStatus.OPEN)

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        self.cancelled.append(client_order_id)
        return None


async def test_an_order_still_open_after_polling_is_cancelled(ledger: LedgerStore) -> None:
    venue = StuckOpen(paper())
    run_id, execution = await execute_one_buy(venue, ledger, ExecutionSettings(attempts=3), no_sleep)
    [result] = execution.results
    detail = ledger.run_detail(run_id)
    assert venue.cancelled == [CID]
    assert result.status is OrderStatus.CANCELED
    assert result.filled == Decimal("0.01")
    assert detail is not None
    assert detail.orders[0].status is OrderStatus.CANCELED


async def test_a_lost_order_is_looked_up_no_sooner_than_retry_after(ledger: LedgerStore) -> None:
    venue = FlakyVenue(paper())
    calls: list[str] = []

    def rate_limited_once(request: OrderRequest) -> None:
        calls.append(request.client_order_id)
        if len(calls) == 1:
            raise TemporaryVenueError("429 Too Many Requests", retry_after=7.0)

    venue.before_place = rate_limited_once
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    _, execution = await execute_one_buy(venue, ledger, ExecutionSettings(pause_seconds=0.5), record)
    assert slept == [7.0], "one wait, as long as the venue asked for"
    assert calls == [CID, CID]
    [result] = execution.results
    assert result.filled == Decimal("0.01")


async def test_a_long_ban_leaves_the_run_open_instead_of_waiting(ledger: LedgerStore) -> None:
    venue = FlakyVenue(paper())

    def banned(request: OrderRequest) -> None:
        raise TemporaryVenueError("418 I'm a teapot (IP banned)", retry_after=3600.0)

    venue.before_place = banned
    with pytest.raises(TemporaryVenueError, match="asked to wait 3600 s; the run stays open"):
        await execute_one_buy(venue, ledger, ExecutionSettings(), no_sleep)

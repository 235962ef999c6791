"""The executor recognises a reused client order id by its type, whatever words the venue used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flaky_venue import FlakyVenue

from trimtab.errors import DuplicateClientOrderId, OrderRejected
from trimtab.execution.executor import ExecutionSettings, Executor
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings
from trimtab.pricedata import bundled_history
from trimtab.venues.paper import PaperSettings, PaperVenue

D = Decimal
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
CID = "tt-1-250101120000-0"
BUY_BTC = PlannedOrder(0, "BTC", "BTC/USDT", Side.BUY, D("0.01"), D(60300), D(60000), D(600))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[LedgerStore]:
    store = LedgerStore.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield store
    store.close()


def paper() -> PaperVenue:
    return PaperVenue(
        PaperSettings(balances={"USDT": D(10000)}, prices={"BTC": D(60000)}),
        quote="USDT",
        state_path=None,
        history=bundled_history(),
        clock=lambda: NOW,
    )


async def no_sleep(_: float) -> None:
    return None


async def execute_one_buy(venue: FlakyVenue, ledger: LedgerStore) -> list[OrderStatus]:
    run_id = ledger.start_run(
        command="test", venue="paper", mode="live", forced=False, started_at=NOW, config_digest="x"
    )
    plan = Plan((BUY_BTC,), (), D(10000))
    ledger.record_plan(run_id, plan, {0: CID})
    # Priced like the venue: once the buy filled, a top-up pass plans from it (and finds nothing to buy).
    markets = await venue.fetch_markets("USDT", ["BTC"])
    snapshot = Snapshot(
        "USDT", {"USDT": Balance(D(10000), D(10000))}, {"BTC": D(60000)}, markets, D("0.001"), NOW
    )
    execution = await Executor(venue, ledger, lambda: NOW, ExecutionSettings(), sleep=no_sleep).execute(
        run_id=run_id,
        run_started=NOW,
        plan=plan,
        snapshot=snapshot,
        targets={"BTC": D(6), "USDT": D(94)},
        settings=PlannerSettings(D(10), D(100), D("0.5")),
    )
    return [result.status for result in execution.results]


async def test_a_duplicate_in_other_words_is_the_order_sent_before(ledger: LedgerStore) -> None:
    venue = FlakyVenue(paper())

    def placed_then_refused(request: OrderRequest) -> None:
        # The order executed, but the venue answered as an exchange that saw it twice would.
        raise DuplicateClientOrderId("okx clOrdId already exists")

    venue.after_place = placed_then_refused
    assert await execute_one_buy(venue, ledger) == [OrderStatus.CLOSED]
    assert len(venue.placed) == 1


async def test_a_rejection_that_only_mentions_duplicates_is_still_a_rejection(ledger: LedgerStore) -> None:
    venue = FlakyVenue(paper())

    def refused(request: OrderRequest) -> None:
        raise OrderRejected("Duplicate order sent.")  # untyped: the words alone decide nothing

    venue.after_place = refused  # the order exists, yet an untyped rejection is not looked up
    with pytest.raises(OrderRejected, match="Duplicate order sent"):
        await execute_one_buy(venue, ledger)

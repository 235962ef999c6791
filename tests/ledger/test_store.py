"""LedgerStore against a real SQLite file and a real PostgreSQL database: a full run round trip, order
upserts, atomic writes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trimtab.errors import LedgerError
from trimtab.ledger import (
    LedgerStore,
    OrderRecord,
    PlannedOrderRecord,
    PositionRecord,
    RunMode,
    RunStatus,
    SnapshotKind,
)
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder, SkippedTrade
from trimtab.policy.base import Decision

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TARGETS = {"BTC": Decimal("50"), "ETH": Decimal("30"), "USDT": Decimal("20")}
TINY = Decimal("0.00012345")
# A unique constraint's failure as each database words it (SQLite, PostgreSQL).
UNIQUE = "(UNIQUE constraint failed|duplicate key value violates unique constraint)"


def _snapshot(btc: Decimal, eth: Decimal, usdt: Decimal, at: datetime) -> Snapshot:
    return Snapshot(
        quote="USDT",
        balances={"BTC": Balance(btc, btc), "ETH": Balance(eth, eth), "USDT": Balance(usdt, usdt)},
        prices={"BTC": Decimal("60000.10"), "ETH": Decimal("3000.5")},
        markets={
            "BTC": MarketRules("BTC", "USDT", Decimal("0.00001"), Decimal("0.00001"), Decimal("5")),
            "ETH": MarketRules("ETH", "USDT", Decimal("0.0001"), Decimal("0.0001"), Decimal("5")),
        },
        fee_rate=Decimal("0.001"),
        taken_at=at,
    )


WEIGHTS = {"BTC": Decimal("60.5"), "ETH": Decimal("19.5"), "USDT": Decimal("20")}

SELL_BTC = PlannedOrder(
    leg=0,
    asset="BTC",
    symbol="BTC/USDT",
    side=Side.SELL,
    amount=Decimal("0.01"),
    limit_price=Decimal("59900.00"),
    reference_price=Decimal("60000.10"),
    value=Decimal("600.001"),
)
BUY_ETH = PlannedOrder(
    leg=1,
    asset="ETH",
    symbol="ETH/USDT",
    side=Side.BUY,
    amount=Decimal("0.1999"),
    limit_price=Decimal("3003.5"),
    reference_price=Decimal("3000.5"),
    value=Decimal("599.79995"),
)
SKIPPED = SkippedTrade(
    asset="SOL", side=Side.BUY, value=Decimal("3.2"), reason="below minimum notional 5 USDT"
)
PLAN = Plan(orders=(SELL_BTC, BUY_ETH), skipped=(SKIPPED,), total_value=Decimal("10000"))
CLIENT_IDS = {0: "tt-1-0", 1: "tt-1-1"}


def _fill(price: str, amount: str, fee: str, fee_asset: str, second: int) -> Fill:
    return Fill(Decimal(price), Decimal(amount), Decimal(fee), fee_asset, T0 + timedelta(seconds=second))


def _sell_result(status: OrderStatus, fills: tuple[Fill, ...]) -> OrderResult:
    return OrderResult(
        client_order_id="tt-1-0",
        exchange_order_id="9001",
        symbol="BTC/USDT",
        side=Side.SELL,
        amount=Decimal("0.01"),
        limit_price=Decimal("59900.00"),
        status=status,
        filled=sum((f.amount for f in fills), Decimal(0)),
        fills=fills,
    )


FIRST_FILL = _fill("60000.10", "0.006", "0.3600006", "USDT", 1)
SECOND_FILL = _fill("59950", "0.004", "0.2398", "USDT", 2)
ETH_FILL = _fill("3001", "0.1999", "0.00012345", "BNB", 3)


def _start(
    ledger: LedgerStore, mode: str = "live", started_at: datetime = T0, command: str = "rebalance"
) -> int:
    return ledger.start_run(
        command=command,
        venue="paper",
        mode=mode,
        forced=False,
        started_at=started_at,
        config_digest="sha256:abc",
    )


def _complete_rebalance(ledger: LedgerStore, mode: str = "live", started_at: datetime = T0) -> int:
    run_id = _start(ledger, mode, started_at)
    ledger.record_decision(run_id, Decision(True, "BTC drifted 10.5 pp above target"), TARGETS)
    ledger.finish_run(run_id, "completed", started_at + timedelta(minutes=1))
    return run_id


def test_full_run_round_trips_with_exact_decimals(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    before = _snapshot(Decimal("0.1"), Decimal("0.65"), Decimal("2000"), T0)
    ledger.record_snapshot(run_id, "before", before, WEIGHTS, TARGETS, Decimal("9957.335"))
    ledger.record_decision(run_id, Decision(True, "BTC drifted 10.5 pp above target"), TARGETS)
    ledger.record_plan(run_id, PLAN, CLIENT_IDS)
    ledger.record_order(
        run_id, _sell_result(OrderStatus.CLOSED, (FIRST_FILL, SECOND_FILL)), T0 + timedelta(seconds=5)
    )
    eth = OrderResult("tt-1-1", "9002", "ETH/USDT", Side.BUY, Decimal("0.1999"), Decimal("3003.5"),
                      OrderStatus.CLOSED, Decimal("0.1999"), (ETH_FILL,))  # fmt: skip
    ledger.record_order(run_id, eth, T0 + timedelta(seconds=6))
    after = _snapshot(Decimal("0.09"), Decimal("0.8499"), Decimal("2000"), T0 + timedelta(seconds=10))
    ledger.record_snapshot(run_id, "after", after, WEIGHTS, TARGETS, Decimal("9956.1"))
    ledger.finish_run(run_id, "completed", T0 + timedelta(seconds=11))

    detail = ledger.run_detail(run_id)

    assert detail is not None
    summary = detail.summary
    assert summary.id == run_id
    assert (summary.started_at, summary.finished_at) == (T0, T0 + timedelta(seconds=11))
    assert summary.started_at.tzinfo is UTC
    assert (summary.command, summary.venue, summary.mode, summary.forced) == (
        "rebalance",
        "paper",
        RunMode.LIVE,
        False,
    )
    assert (summary.status, summary.error) == (RunStatus.COMPLETED, None)
    assert (summary.rebalance, summary.reason) == (True, "BTC drifted 10.5 pp above target")
    assert summary.order_count == 2
    sell_cost = Decimal("60000.10") * Decimal("0.006") + Decimal("59950") * Decimal("0.004")
    assert summary.traded_value == sell_cost + Decimal("3001") * Decimal("0.1999")
    assert summary.fees == {"USDT": Decimal("0.5998006"), "BNB": TINY}
    assert str(summary.fees["BNB"]) == "0.00012345"
    assert (summary.value_before, summary.value_after) == (Decimal("9957.335"), Decimal("9956.1"))

    assert detail.config_digest == "sha256:abc"
    assert detail.targets == TARGETS
    assert [s.kind for s in detail.snapshots] == [SnapshotKind.BEFORE, SnapshotKind.AFTER]
    recorded_before = detail.snapshots[0]
    assert (recorded_before.taken_at, recorded_before.quote, recorded_before.total_value) == (
        T0,
        "USDT",
        Decimal("9957.335"),
    )
    assert recorded_before.positions == (
        PositionRecord(
            "BTC", Decimal("0.1"), Decimal("60000.10"), Decimal("6000.010"), Decimal("60.5"), Decimal("50")
        ),
        PositionRecord(
            "ETH", Decimal("0.65"), Decimal("3000.5"), Decimal("1950.325"), Decimal("19.5"), Decimal("30")
        ),
        PositionRecord("USDT", Decimal("2000"), Decimal("1"), Decimal("2000"), Decimal("20"), Decimal("20")),
    )
    assert detail.planned_orders == (
        PlannedOrderRecord(0, "BTC", "BTC/USDT", Side.SELL, Decimal("0.01"), Decimal("59900.00"),
                           Decimal("60000.10"), Decimal("600.001"), "tt-1-0"),
        PlannedOrderRecord(1, "ETH", "ETH/USDT", Side.BUY, Decimal("0.1999"), Decimal("3003.5"),
                           Decimal("3000.5"), Decimal("599.79995"), "tt-1-1"),
    )  # fmt: skip
    sell, buy = detail.orders
    assert sell == OrderRecord(
        client_order_id="tt-1-0",
        exchange_order_id="9001",
        symbol="BTC/USDT",
        side=Side.SELL,
        amount=Decimal("0.01"),
        limit_price=Decimal("59900.00"),
        status=OrderStatus.CLOSED,
        filled=Decimal("0.010"),
        average_price=sell_cost / Decimal("0.010"),
        cost=sell_cost,
        updated_at=T0 + timedelta(seconds=5),
        fills=(FIRST_FILL, SECOND_FILL),
    )
    assert buy.fills == (ETH_FILL,)
    assert buy.fills[0].fee.as_tuple() == TINY.as_tuple()
    assert detail.skipped == (SKIPPED,)


def test_a_run_without_records_reads_back_empty(ledger: LedgerStore) -> None:
    run_id = _start(ledger, mode="dry-run")
    detail = ledger.run_detail(run_id)
    assert detail is not None
    summary = detail.summary
    assert (summary.status, summary.finished_at, summary.reason, summary.rebalance) == (
        RunStatus.RUNNING,
        None,
        None,
        False,
    )
    assert (summary.order_count, summary.traded_value, summary.fees) == (0, Decimal(0), {})
    assert (summary.value_before, summary.value_after) == (None, None)
    assert (detail.targets, detail.snapshots, detail.planned_orders, detail.orders, detail.skipped) == (
        {},
        (),
        (),
        (),
        (),
    )


def test_run_detail_of_an_unknown_run_is_none(ledger: LedgerStore) -> None:
    assert ledger.run_detail(42) is None


def test_list_runs_is_newest_first_and_limited(ledger: LedgerStore) -> None:
    ids = [_start(ledger, started_at=T0 + timedelta(hours=h)) for h in (2, 0, 1)]
    assert [r.id for r in ledger.list_runs()] == [ids[0], ids[2], ids[1]]
    assert [r.id for r in ledger.list_runs(limit=2)] == [ids[0], ids[2]]
    assert ledger.list_runs(limit=0) == []


def test_recording_an_order_again_updates_it_and_adds_only_new_fills(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    ledger.record_order(run_id, _sell_result(OrderStatus.OPEN, (FIRST_FILL,)), T0 + timedelta(seconds=1))
    # The venue reports the same order later (e.g. re-read after a crash) with all its fills so far.
    ledger.record_order(
        run_id, _sell_result(OrderStatus.CLOSED, (FIRST_FILL, SECOND_FILL)), T0 + timedelta(seconds=9)
    )
    ledger.record_order(
        run_id, _sell_result(OrderStatus.CLOSED, (FIRST_FILL, SECOND_FILL)), T0 + timedelta(seconds=10)
    )

    detail = ledger.run_detail(run_id)
    assert detail is not None
    (order,) = detail.orders
    assert order.status is OrderStatus.CLOSED
    assert order.filled == Decimal("0.010")
    assert order.updated_at == T0 + timedelta(seconds=10)
    assert order.fills == (FIRST_FILL, SECOND_FILL)
    assert detail.summary.order_count == 1
    assert detail.summary.fees == {"USDT": Decimal("0.5998006")}


def test_an_order_recorded_again_by_a_later_run_stays_with_its_first_run(ledger: LedgerStore) -> None:
    first = _start(ledger)
    later = _start(ledger, started_at=T0 + timedelta(hours=1))
    ledger.record_order(first, _sell_result(OrderStatus.OPEN, (FIRST_FILL,)), T0)
    ledger.record_order(
        later, _sell_result(OrderStatus.CLOSED, (FIRST_FILL, SECOND_FILL)), T0 + timedelta(hours=1)
    )
    first_detail, later_detail = ledger.run_detail(first), ledger.run_detail(later)
    assert first_detail is not None
    assert later_detail is not None
    assert [(o.status, len(o.fills)) for o in first_detail.orders] == [(OrderStatus.CLOSED, 2)]
    assert later_detail.orders == ()


def test_two_equal_fills_of_one_order_are_both_kept(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    twin = _fill("60000", "0.005", "0.3", "USDT", 1)
    ledger.record_order(run_id, _sell_result(OrderStatus.CLOSED, (twin, twin)), T0)
    ledger.record_order(run_id, _sell_result(OrderStatus.CLOSED, (twin, twin)), T0)
    detail = ledger.run_detail(run_id)
    assert detail is not None
    assert detail.orders[0].fills == (twin, twin)


def test_an_order_with_nothing_filled_has_no_average_price(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    ledger.record_order(run_id, _sell_result(OrderStatus.EXPIRED, ()), T0)
    detail = ledger.run_detail(run_id)
    assert detail is not None
    (order,) = detail.orders
    assert (order.status, order.filled, order.average_price, order.cost) == (
        OrderStatus.EXPIRED,
        Decimal(0),
        None,
        Decimal(0),
    )


def test_naive_datetimes_are_rejected(ledger: LedgerStore) -> None:
    naive = datetime(2025, 3, 1, 12, 0)
    with pytest.raises(LedgerError, match="naive datetime"):
        _start(ledger, started_at=naive)
    run_id = _start(ledger)
    with pytest.raises(LedgerError, match="naive datetime"):
        ledger.record_order(run_id, _sell_result(OrderStatus.OPEN, ()), naive)
    with pytest.raises(LedgerError, match="naive datetime"):
        ledger.record_order(
            run_id,
            _sell_result(OrderStatus.OPEN, (Fill(Decimal(1), Decimal(1), Decimal(0), "USDT", naive),)),
            T0,
        )
    snapshot = _snapshot(Decimal(1), Decimal(1), Decimal(1), naive)
    with pytest.raises(LedgerError, match="naive datetime"):
        ledger.record_snapshot(run_id, "before", snapshot, WEIGHTS, TARGETS, Decimal(1))
    with pytest.raises(LedgerError, match="naive datetime"):
        ledger.finish_run(run_id, "completed", naive)
    assert [r.id for r in ledger.list_runs()] == [run_id]
    detail = ledger.run_detail(run_id)
    assert detail is not None
    assert (detail.orders, detail.snapshots, detail.summary.status) == ((), (), RunStatus.RUNNING)


def test_last_rebalance_is_none_for_an_empty_ledger(ledger: LedgerStore) -> None:
    assert ledger.last_rebalance_at() is None


def test_last_rebalance_ignores_dry_runs_skipped_failed_and_no_rebalance_runs(ledger: LedgerStore) -> None:
    counted = _complete_rebalance(ledger, started_at=T0)
    _complete_rebalance(ledger, mode="dry-run", started_at=T0 + timedelta(days=1))
    skipped = _start(ledger, started_at=T0 + timedelta(days=2))
    ledger.record_decision(skipped, Decision(True, "drifted"), TARGETS)
    ledger.finish_run(skipped, "skipped", T0 + timedelta(days=2))
    failed = _start(ledger, started_at=T0 + timedelta(days=3))
    ledger.record_decision(failed, Decision(True, "drifted"), TARGETS)
    ledger.finish_run(failed, "failed", T0 + timedelta(days=3), error="venue down")
    calm = _start(ledger, started_at=T0 + timedelta(days=4))
    ledger.record_decision(calm, Decision(False, "all weights within 5 pp"), TARGETS)
    ledger.finish_run(calm, "completed", T0 + timedelta(days=4))
    still_running = _start(ledger, started_at=T0 + timedelta(days=5))
    ledger.record_decision(still_running, Decision(True, "drifted"), TARGETS)

    assert counted == 1
    assert ledger.last_rebalance_at() == T0


def test_last_rebalance_is_the_latest_counted_run(ledger: LedgerStore) -> None:
    _complete_rebalance(ledger, started_at=T0 + timedelta(days=7))
    _complete_rebalance(ledger, started_at=T0)
    last = ledger.last_rebalance_at()
    assert last == T0 + timedelta(days=7)
    assert last is not None
    assert last.tzinfo is UTC


def test_a_plan_with_a_duplicate_leg_leaves_nothing_behind(ledger: LedgerStore, db_url: str) -> None:
    run_id = _start(ledger)
    ledger.record_decision(run_id, Decision(True, "drifted"), TARGETS)
    ledger.record_plan(run_id, Plan(orders=(SELL_BTC,)), {0: "tt-1-0"})
    bad = Plan(orders=(BUY_ETH, BUY_ETH), skipped=(SKIPPED,))

    with pytest.raises(LedgerError) as caught:
        ledger.record_plan(run_id, bad, {1: "tt-1-1"})

    message = str(caught.value)
    assert "\n" not in message
    assert re.match(f"ledger {re.escape(db_url)}: cannot record the plan of run {run_id}: {UNIQUE}", message)
    detail = ledger.run_detail(run_id)
    assert detail is not None
    assert [p.leg for p in detail.planned_orders] == [0]
    assert detail.skipped == ()
    assert detail.summary.reason == "drifted"


def test_a_plan_reusing_a_client_order_id_leaves_nothing_behind(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    with pytest.raises(LedgerError, match=UNIQUE):
        ledger.record_plan(run_id, PLAN, {0: "tt-same", 1: "tt-same"})
    detail = ledger.run_detail(run_id)
    assert detail is not None
    assert (detail.planned_orders, detail.skipped) == ((), ())


def test_a_second_snapshot_of_the_same_kind_is_refused_and_the_first_kept(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    snapshot = _snapshot(Decimal("0.1"), Decimal("0.65"), Decimal("2000"), T0)
    ledger.record_snapshot(run_id, "before", snapshot, WEIGHTS, TARGETS, Decimal("9957.335"))
    with pytest.raises(LedgerError, match="cannot record the before snapshot"):
        ledger.record_snapshot(run_id, "before", snapshot, {"BTC": Decimal(1)}, TARGETS, Decimal(1))
    detail = ledger.run_detail(run_id)
    assert detail is not None
    (kept,) = detail.snapshots
    assert kept.total_value == Decimal("9957.335")
    assert [p.asset for p in kept.positions] == ["BTC", "ETH", "USDT"]


def test_a_snapshot_weight_without_a_price_is_refused(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    snapshot = _snapshot(Decimal("0.1"), Decimal("0.65"), Decimal("2000"), T0)
    with pytest.raises(LedgerError, match="no price for DOGE"):
        ledger.record_snapshot(run_id, "after", snapshot, {"DOGE": Decimal(5)}, TARGETS, Decimal(1))


def test_finishing_keeps_the_error_on_one_line_and_only_once(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    ledger.finish_run(
        run_id, "failed", T0 + timedelta(minutes=1), error="venue refused:\n  insufficient balance"
    )
    with pytest.raises(LedgerError, match=f"cannot finish run {run_id}: it is already failed"):
        ledger.finish_run(run_id, "completed", T0 + timedelta(minutes=2))
    (summary,) = ledger.list_runs()
    assert (summary.status, summary.error) == (RunStatus.FAILED, "venue refused: insufficient balance")
    assert summary.finished_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "message"),
    [("running", "cannot have status running"), ("done", "run status 'done' is not one of")],
)
def test_finishing_with_a_status_that_is_not_final_is_refused(
    ledger: LedgerStore, status: str, message: str
) -> None:
    run_id = _start(ledger)
    with pytest.raises(LedgerError, match=message):
        ledger.finish_run(run_id, status, T0)


def test_an_unknown_mode_or_snapshot_kind_is_refused(ledger: LedgerStore) -> None:
    with pytest.raises(LedgerError, match="run mode 'paper' is not one of live, dry-run"):
        _start(ledger, mode="paper")
    run_id = _start(ledger)
    snapshot = _snapshot(Decimal("0.1"), Decimal("0.65"), Decimal("2000"), T0)
    with pytest.raises(LedgerError, match="snapshot kind 'during'"):
        ledger.record_snapshot(run_id, "during", snapshot, WEIGHTS, TARGETS, Decimal(1))


def test_records_for_an_unknown_run_are_refused(ledger: LedgerStore) -> None:
    with pytest.raises(LedgerError, match="run 7 does not exist"):
        ledger.record_decision(7, Decision(False, "calm"), TARGETS)
    with pytest.raises(LedgerError, match="run 7 does not exist"):
        ledger.record_order(7, _sell_result(OrderStatus.OPEN, ()), T0)
    with pytest.raises(LedgerError, match="run 7 does not exist"):
        ledger.finish_run(7, "completed", T0)


def test_client_order_ids_for_legs_not_in_the_plan_are_refused(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    with pytest.raises(LedgerError, match=r"legs \[5\] that the plan does not have"):
        ledger.record_plan(run_id, PLAN, {0: "tt-1-0", 5: "tt-1-5"})


def test_a_float_target_is_refused(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    with pytest.raises(LedgerError, match="money must be Decimal, not float"):
        ledger.record_decision(run_id, Decision(False, "calm"), {"BTC": 0.5})  # type: ignore[dict-item]
    detail = ledger.run_detail(run_id)
    assert detail is not None
    assert detail.summary.reason is None

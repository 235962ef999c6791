"""What routing saved: a routed run keeps the quote-only route's fees (``runs.quote_route_fees``, revision
0005) and reads back the fees it paid valued at its planning prices, so history can show the saving."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from alembic import command
from old_ledgers import ledger_at
from sqlalchemy import create_engine, inspect

from trimtab.ledger import LedgerStore
from trimtab.ledger.migrate import alembic_config, current_revision, head_revision
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.policy.base import Decision

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TARGETS = {"BTC": Decimal("50"), "ETH": Decimal("50")}
WEIGHTS = {"BTC": Decimal("60"), "ETH": Decimal("40")}
CROSS = PlannedOrder(
    leg=0,
    asset="ETH",
    symbol="ETH/BTC",
    side=Side.BUY,
    amount=Decimal("0.5"),
    limit_price=Decimal("0.0501"),
    reference_price=Decimal("0.05"),
    value=Decimal("1500"),
)
ROUTED = Plan(orders=(CROSS,), total_value=Decimal("15000"), quote_route_fees=Decimal("3.0000001"))


def _snapshot() -> Snapshot:
    rules = {a: MarketRules(a, "USDT", Decimal("0.0001"), Decimal("0.0001"), Decimal("5")) for a in TARGETS}
    return Snapshot(
        quote="USDT",
        balances={
            "BTC": Balance(Decimal("0.15"), Decimal("0.15")),
            "ETH": Balance(Decimal("2"), Decimal("2")),
        },
        prices={"BTC": Decimal("60000"), "ETH": Decimal("3000")},
        markets=rules,
        fee_rate=Decimal("0.001"),
        taken_at=T0,
    )


def _routed_run(
    ledger: LedgerStore, plan: Plan = ROUTED, *, fee: str = "0.0005", fee_asset: str = "ETH"
) -> int:
    run_id = ledger.start_run(
        command="rebalance", venue="paper", mode="live", forced=False, started_at=T0, config_digest="d"
    )
    ledger.record_snapshot(run_id, "before", _snapshot(), WEIGHTS, TARGETS, Decimal("15000"))
    ledger.record_decision(run_id, Decision(True, "ETH is 10 points under"), TARGETS)
    ledger.record_plan(run_id, plan, {0: f"tt-{run_id}-0"})
    fill = Fill(Decimal("0.05"), Decimal("0.5"), Decimal(fee), fee_asset, T0 + timedelta(seconds=1))
    ledger.record_order(
        run_id,
        OrderResult(f"tt-{run_id}-0", "1", "ETH/BTC", Side.BUY, Decimal("0.5"), Decimal("0.0501"),
                    OrderStatus.CLOSED, Decimal("0.5"), (fill,)),
        T0 + timedelta(seconds=2),
    )  # fmt: skip
    ledger.finish_run(run_id, "completed", T0 + timedelta(seconds=3))
    return run_id


def test_a_routed_run_keeps_the_quote_route_fees_exactly_and_what_it_saved(ledger: LedgerStore) -> None:
    run_id = _routed_run(ledger)
    # A later quote-only plan of the same run (the executor's re-planned buys) does not replace them.
    buy = replace(
        CROSS, leg=1, symbol="ETH/USDT", limit_price=Decimal("3003"), reference_price=Decimal("3000")
    )
    ledger.record_plan(run_id, Plan(orders=(buy,)), {})

    detail = ledger.run_detail(run_id)
    assert detail is not None
    summary = detail.summary
    assert summary.quote_route_fees == Decimal("3.0000001")
    assert str(summary.quote_route_fees) == "3.0000001"
    assert summary.fees == {"ETH": Decimal("0.0005")}
    assert summary.fees_value == Decimal("1.5")  # 0.0005 ETH at the before snapshot's 3000
    assert summary.fees_saved == Decimal("1.5000001")
    assert ledger.list_runs()[0].fees_saved == Decimal("1.5000001")


def test_a_run_that_did_not_route_has_no_quote_route_fees(ledger: LedgerStore) -> None:
    run_id = _routed_run(ledger, replace(ROUTED, quote_route_fees=None))
    [summary] = ledger.list_runs()
    assert (summary.id, summary.quote_route_fees, summary.fees_value, summary.fees_saved) == (
        run_id,
        None,
        None,
        None,
    )


def test_routing_that_cost_more_saves_a_negative_amount(ledger: LedgerStore) -> None:
    _routed_run(ledger, fee="5", fee_asset="USDT")
    assert ledger.list_runs()[0].fees_saved == Decimal("-1.9999999")


def test_fees_in_an_asset_without_a_price_leave_the_saving_unknown(ledger: LedgerStore) -> None:
    _routed_run(ledger, fee="0.01", fee_asset="BNB")
    [summary] = ledger.list_runs()
    assert summary.quote_route_fees == Decimal("3.0000001")
    assert (summary.fees_value, summary.fees_saved) == (None, None)


def test_migrating_a_0004_ledger_keeps_its_runs_with_no_quote_route_fees(db_path: Path, db_url: str) -> None:
    db_path.parent.mkdir(parents=True)
    assert "quote_route_fees" not in ledger_at(db_url, "0004")

    with LedgerStore.open(db_url) as ledger:  # migrates to head
        [old] = ledger.list_runs()
        assert (old.command, old.quote_route_fees, old.fees_saved) == ("rebalance", None, None)
        routed = _routed_run(ledger)
        assert ledger.list_runs()[0].id == routed

    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_downgrading_to_0004_drops_the_column_and_keeps_the_runs_and_constraints(db_url: str) -> None:
    with LedgerStore.open(db_url) as ledger:
        _routed_run(ledger)
    command.downgrade(alembic_config(db_url), "0004")
    engine = create_engine(db_url)
    try:
        inspector = inspect(engine)
        assert "quote_route_fees" not in {c["name"] for c in inspector.get_columns("runs")}
        assert {c["name"] for c in inspector.get_check_constraints("runs")} == {
            "ck_runs_mode",
            "ck_runs_status",
        }
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM runs").scalar_one() == 1
    finally:
        engine.dispose()

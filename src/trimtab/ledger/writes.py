"""Writing one run's records into the ledger tables: its snapshots' positions, its planned and skipped
trades, its orders and their fills (the pair of :mod:`trimtab.ledger.reads`).

Each function adds rows to a session inside the store's transaction: the
:class:`~trimtab.ledger.store.LedgerStore` checks the arguments first, commits or rolls back the whole
call, and turns a database error into one line naming the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trimtab.ledger.models import (
    FillRow,
    OrderRow,
    PlannedOrderRow,
    PositionRow,
    SkippedTradeRow,
    SnapshotRow,
)
from trimtab.ledger.reads import fill_of
from trimtab.ledger.records import SnapshotKind
from trimtab.model.orders import OrderResult
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan


def add_snapshot(  # noqa: PLR0917 (the store's record_snapshot, passed through)
    session: Session,
    run_id: int,
    kind: SnapshotKind,
    snapshot: Snapshot,
    weights: Mapping[str, Decimal],
    targets: Mapping[str, Decimal],
    total_value: Decimal,
) -> None:
    """One snapshot of run ``run_id`` with a position per asset of ``weights`` (target 0 when an asset is
    missing from ``targets``); every asset but the quote must have a price in ``snapshot``."""
    row = SnapshotRow(
        run_id=run_id, kind=kind, taken_at=snapshot.taken_at, total_value=total_value, quote=snapshot.quote
    )
    session.add(row)
    session.flush()
    session.add_all(
        PositionRow(
            snapshot_id=row.id,
            asset=asset,
            amount=snapshot.amount(asset),
            price=snapshot.price(asset),
            value=snapshot.value(asset),
            weight=weight,
            target=targets.get(asset, Decimal(0)),
        )
        for asset, weight in weights.items()
    )


def add_plan(session: Session, run_id: int, plan: Plan, client_order_ids: Mapping[int, str]) -> None:
    """Run ``run_id``'s planned orders (with the client order id of each leg, if any) and skipped trades."""
    session.add_all(
        PlannedOrderRow(
            run_id=run_id,
            leg=o.leg,
            asset=o.asset,
            symbol=o.symbol,
            side=o.side,
            amount=o.amount,
            limit_price=o.limit_price,
            reference_price=o.reference_price,
            value=o.value,
            client_order_id=client_order_ids.get(o.leg),
        )
        for o in plan.orders
    )
    session.add_all(
        SkippedTradeRow(run_id=run_id, asset=s.asset, side=s.side, value=s.value, reason=s.reason)
        for s in plan.skipped
    )


def upsert_order(session: Session, run_id: int, result: OrderResult, at: datetime) -> None:
    """What the venue says about an order as of ``at``, by client order id: a new order joins run
    ``run_id``; a known one (which stays with its first run) is updated in place and gains only the
    fills not yet recorded. Fills carry no venue id, so a fill counts as recorded when an equal one
    (same price, amount, fee, fee asset and time) is; two equal fills in one result are kept as two."""
    row = session.scalars(
        select(OrderRow).where(OrderRow.client_order_id == result.client_order_id).with_for_update()
    ).one_or_none()
    if row is None:
        row = OrderRow(run_id=run_id, client_order_id=result.client_order_id)
        session.add(row)
    row.exchange_order_id = result.exchange_order_id
    row.symbol = result.symbol
    row.side = result.side
    row.amount = result.amount
    row.limit_price = result.limit_price
    row.status = result.status
    row.filled = result.filled
    row.average_price = result.average_price
    row.cost = result.cost
    row.updated_at = at
    session.flush()
    known = [fill_of(f) for f in session.scalars(select(FillRow).where(FillRow.order_id == row.id))]
    for fill in result.fills:
        if fill in known:
            known.remove(fill)  # matched once: an equal second fill in this result is new
            continue
        session.add(
            FillRow(
                order_id=row.id,
                price=fill.price,
                amount=fill.amount,
                fee=fill.fee,
                fee_asset=fill.fee_asset,
                timestamp=fill.timestamp,
            )
        )

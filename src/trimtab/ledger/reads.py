"""Reading runs back out of the ledger tables into the plain records of :mod:`trimtab.ledger.records`.

Money is stored as text, so sums (traded value, fees) are made here in Decimal, not in SQL. Each
function loads what it needs for all the given runs in a handful of queries, not one per run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trimtab.ledger.guard_records import read_findings
from trimtab.ledger.models import (
    DecisionRow,
    FillRow,
    OrderRow,
    PlannedOrderRow,
    PositionRow,
    RunRow,
    SkippedTradeRow,
    SnapshotRow,
)
from trimtab.ledger.records import (
    OrderRecord,
    PlannedOrderRecord,
    PositionRecord,
    RunDetail,
    RunMode,
    RunStatus,
    RunSummary,
    SnapshotKind,
    SnapshotRecord,
)
from trimtab.ledger.types import text_to_decimal
from trimtab.model.orders import Fill, OrderStatus, Side
from trimtab.planning.plan import SkippedTrade


def read_summaries(session: Session, runs: Sequence[RunRow]) -> list[RunSummary]:
    """The summary of each of ``runs``, in the same order."""
    ids = [run.id for run in runs]
    decisions = {d.run_id: d for d in session.scalars(select(DecisionRow).where(DecisionRow.run_id.in_(ids)))}
    order_count: dict[int, int] = defaultdict(int)
    traded: dict[int, Decimal] = defaultdict(Decimal)
    for run_id, cost in session.execute(
        select(OrderRow.run_id, OrderRow.cost).where(OrderRow.run_id.in_(ids))
    ):
        order_count[run_id] += 1
        traded[run_id] += cost
    fees: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    fee_rows = session.execute(
        select(OrderRow.run_id, FillRow.fee_asset, FillRow.fee)
        .join(FillRow, FillRow.order_id == OrderRow.id)
        .where(OrderRow.run_id.in_(ids))
        .order_by(FillRow.id)
    )
    for run_id, fee_asset, fee in fee_rows:
        fees[run_id][fee_asset] += fee
    totals: dict[tuple[int, str], Decimal] = {
        (run_id, kind): total
        for run_id, kind, total in session.execute(
            select(SnapshotRow.run_id, SnapshotRow.kind, SnapshotRow.total_value).where(
                SnapshotRow.run_id.in_(ids)
            )
        )
    }
    routed = {run.id: fees[run.id] for run in runs if run.quote_route_fees is not None}
    fees_value = _fees_value(session, routed)
    summaries = []
    for run in runs:
        decision = decisions.get(run.id)
        summaries.append(
            RunSummary(
                id=run.id,
                started_at=run.started_at,
                finished_at=run.finished_at,
                command=run.command,
                venue=run.venue,
                mode=RunMode(run.mode),
                forced=run.forced,
                status=RunStatus(run.status),
                error=run.error,
                reason=decision.reason if decision else None,
                rebalance=decision.rebalance if decision else False,
                order_count=order_count[run.id],
                traded_value=traded[run.id],
                fees=dict(fees[run.id]),
                value_before=totals.get((run.id, SnapshotKind.BEFORE)),
                value_after=totals.get((run.id, SnapshotKind.AFTER)),
                quote_route_fees=run.quote_route_fees,
                fees_value=fees_value.get(run.id),
                driver=run.driver,
            )
        )
    return summaries


def _fees_value(session: Session, fees: Mapping[int, Mapping[str, Decimal]]) -> dict[int, Decimal]:
    """Each run's fees (``fees``: run id -> fee asset -> amount) valued in the quote at its before
    snapshot's prices, the prices it planned at; a run is left out when a fee asset has no price there."""
    if not fees:
        return {}
    before = before_prices(session, fees)
    valued = {}
    for run_id, paid in fees.items():
        quote, prices = before.get(run_id, ("", {}))
        known = {**prices, quote: Decimal(1)} if prices else {}
        if all(asset in known for asset in paid):
            valued[run_id] = sum((amount * known[asset] for asset, amount in paid.items()), Decimal(0))
    return valued


def read_detail(session: Session, run: RunRow) -> RunDetail:
    """Everything recorded about ``run``."""
    decision = session.scalars(select(DecisionRow).where(DecisionRow.run_id == run.id)).one_or_none()
    targets = (
        {asset: text_to_decimal(text) for asset, text in json.loads(decision.targets).items()}
        if decision
        else {}
    )
    return RunDetail(
        summary=read_summaries(session, [run])[0],
        config_digest=run.config_digest,
        targets=targets,
        snapshots=_snapshots(session, run.id),
        planned_orders=tuple(
            PlannedOrderRecord(
                leg=p.leg,
                asset=p.asset,
                symbol=p.symbol,
                side=Side(p.side),
                amount=p.amount,
                limit_price=p.limit_price,
                reference_price=p.reference_price,
                value=p.value,
                client_order_id=p.client_order_id,
            )
            for p in session.scalars(
                select(PlannedOrderRow).where(PlannedOrderRow.run_id == run.id).order_by(PlannedOrderRow.leg)
            )
        ),
        orders=_orders(session, run.id),
        skipped=tuple(
            SkippedTrade(asset=s.asset, side=Side(s.side), value=s.value, reason=s.reason)
            for s in session.scalars(
                select(SkippedTradeRow).where(SkippedTradeRow.run_id == run.id).order_by(SkippedTradeRow.id)
            )
        ),
        guards=tuple(read_findings(session, run.id)),
    )


def fill_of(row: FillRow) -> Fill:
    """The shared :class:`Fill` a fill row was recorded from."""
    return Fill(
        price=row.price, amount=row.amount, fee=row.fee, fee_asset=row.fee_asset, timestamp=row.timestamp
    )


def before_prices(session: Session, run_ids: Iterable[int]) -> dict[int, tuple[str, dict[str, Decimal]]]:
    """The quote and the prices (asset -> last price in that quote) of each run's ``before`` snapshot,
    by run id; a run without one is left out. What the run planned at, to value its fees and fills."""
    found: dict[int, tuple[str, dict[str, Decimal]]] = {}
    for run_id, quote, asset, price in session.execute(
        select(SnapshotRow.run_id, SnapshotRow.quote, PositionRow.asset, PositionRow.price)
        .outerjoin(PositionRow, PositionRow.snapshot_id == SnapshotRow.id)
        .where(SnapshotRow.run_id.in_(list(run_ids)), SnapshotRow.kind == SnapshotKind.BEFORE)
    ):
        prices = found.setdefault(run_id, (quote, {}))[1]
        if asset is not None:
            prices[asset] = price
    return found


def snapshot_records(session: Session, snapshots: Sequence[SnapshotRow]) -> list[SnapshotRecord]:
    """The records of ``snapshots``, in their order, each with its positions in the order recorded."""
    positions: dict[int, list[PositionRecord]] = defaultdict(list)
    position_rows = session.scalars(
        select(PositionRow)
        .where(PositionRow.snapshot_id.in_([s.id for s in snapshots]))
        .order_by(PositionRow.id)
    )
    for p in position_rows:
        positions[p.snapshot_id].append(
            PositionRecord(
                asset=p.asset, amount=p.amount, price=p.price, value=p.value, weight=p.weight, target=p.target
            )
        )
    return [
        SnapshotRecord(
            kind=SnapshotKind(s.kind),
            taken_at=s.taken_at,
            quote=s.quote,
            total_value=s.total_value,
            positions=tuple(positions[s.id]),
        )
        for s in snapshots
    ]


def _snapshots(session: Session, run_id: int) -> tuple[SnapshotRecord, ...]:
    records = snapshot_records(
        session, session.scalars(select(SnapshotRow).where(SnapshotRow.run_id == run_id)).all()
    )
    # "before" first, whatever order they were recorded in.
    order = list(SnapshotKind)
    return tuple(sorted(records, key=lambda r: order.index(r.kind)))


def _orders(session: Session, run_id: int) -> tuple[OrderRecord, ...]:
    orders = session.scalars(select(OrderRow).where(OrderRow.run_id == run_id).order_by(OrderRow.id)).all()
    fills: dict[int, list[Fill]] = defaultdict(list)
    fill_rows = session.scalars(
        select(FillRow).where(FillRow.order_id.in_([o.id for o in orders])).order_by(FillRow.id)
    )
    for f in fill_rows:
        fills[f.order_id].append(fill_of(f))
    return tuple(
        OrderRecord(
            client_order_id=o.client_order_id,
            exchange_order_id=o.exchange_order_id,
            symbol=o.symbol,
            side=Side(o.side),
            amount=o.amount,
            limit_price=o.limit_price,
            status=OrderStatus(o.status),
            filled=o.filled,
            average_price=o.average_price,
            cost=o.cost,
            updated_at=o.updated_at,
            fills=tuple(fills[o.id]),
        )
        for o in orders
    )


def read_recorded_orders(session: Session, venue: str) -> tuple[dict[str, Decimal], frozenset[str]]:
    """The filled amount of every order recorded for the live runs on ``venue`` by client order id, and
    the client order ids journaled (planned) by its unfinished live runs: orders a run that stopped
    half-way may have placed without recording them yet, which the run's resume reconciles."""
    live = (RunRow.venue == venue, RunRow.mode == RunMode.LIVE)
    recorded = session.execute(
        select(OrderRow.client_order_id, OrderRow.filled)
        .join(RunRow, RunRow.id == OrderRow.run_id)
        .where(*live)
    )
    journaled = session.scalars(
        select(PlannedOrderRow.client_order_id)
        .join(RunRow, RunRow.id == PlannedOrderRow.run_id)
        .where(*live, RunRow.status == RunStatus.RUNNING, PlannedOrderRow.client_order_id.is_not(None))
    )
    filled: dict[str, Decimal] = {}
    for cid, amount in recorded:
        filled[cid] = amount
    return filled, frozenset(cid for cid in journaled if cid is not None)

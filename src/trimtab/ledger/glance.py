"""Reads for the web dashboard: a page of runs (optionally of one status), the count of runs by status,
the fills behind the fees paid, and the equity curve with each point's run and kind.

Each read is a handful of queries bounded by what one page shows (a page of runs, the latest points of
the curve), so a page renders as fast with a thousand runs in the ledger as with ten. The fills read is
the exception: fees paid "all time" need every live fill, a few small columns each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from trimtab.ledger.models import FillRow, OrderRow, RunRow, SnapshotRow
from trimtab.ledger.reads import read_summaries
from trimtab.ledger.records import RunMode, RunStatus, RunSummary, SnapshotKind
from trimtab.ledger.store import LedgerStore


@dataclass(frozen=True, slots=True)
class FeeFill:
    """One fill's fee: when, how much, in which asset, and the fill's price and market."""

    timestamp: datetime
    fee: Decimal
    fee_asset: str
    price: Decimal
    symbol: str


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """The portfolio's value at one snapshot: ``kind`` ``after`` marks a run that traded."""

    taken_at: datetime
    value: Decimal
    run_id: int
    kind: SnapshotKind


def runs_page(
    store: LedgerStore, *, status: RunStatus | None, offset: int, limit: int
) -> tuple[list[RunSummary], int]:
    """Runs newest first, ``offset`` of them skipped, at most ``limit``, only of ``status`` if given;
    and how many runs match in all."""
    with store._transaction("list runs") as session:  # the store's own session handling
        query = select(RunRow)
        counting = select(func.count(RunRow.id))
        if status is not None:
            query = query.where(RunRow.status == status.value)
            counting = counting.where(RunRow.status == status.value)
        total = session.scalar(counting) or 0
        rows = session.scalars(
            query.order_by(RunRow.started_at.desc(), RunRow.id.desc()).offset(max(offset, 0)).limit(limit)
        ).all()
        return read_summaries(session, rows), total


def status_counts(store: LedgerStore) -> dict[RunStatus, int]:
    """How many runs ended (or are) in each status."""
    with store._transaction("count runs") as session:
        rows = session.execute(select(RunRow.status, func.count(RunRow.id)).group_by(RunRow.status)).all()
    return {RunStatus(status): count for status, count in rows if status in RunStatus.__members__.values()}


def fee_fills(store: LedgerStore, since: datetime | None = None) -> list[FeeFill]:
    """The fee of every fill of the live runs (from ``since`` if given), oldest first."""
    with store._transaction("read the fees paid") as session:
        query = (
            select(FillRow.timestamp, FillRow.fee, FillRow.fee_asset, FillRow.price, OrderRow.symbol)
            .join(OrderRow, FillRow.order_id == OrderRow.id)
            .join(RunRow, OrderRow.run_id == RunRow.id)
            .where(RunRow.mode == RunMode.LIVE)
            .order_by(FillRow.timestamp, FillRow.id)
        )
        if since is not None:
            query = query.where(FillRow.timestamp >= since)
        return [FeeFill(*row) for row in session.execute(query).all()]


def equity_points(store: LedgerStore, limit: int) -> list[EquityPoint]:
    """The latest ``limit`` snapshots' values, oldest first (as :meth:`LedgerStore.equity`), with the
    run and the kind of each."""
    with store._transaction("read the equity curve") as session:
        rows = session.execute(
            select(SnapshotRow.taken_at, SnapshotRow.total_value, SnapshotRow.run_id, SnapshotRow.kind)
            .order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc())
            .limit(max(limit, 0))
        ).all()
    return [EquityPoint(at, value, run_id, SnapshotKind(kind)) for at, value, run_id, kind in reversed(rows)]

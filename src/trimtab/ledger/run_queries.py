"""The ledger's questions about the runs themselves, which the bot asks before each run.

When it last rebalanced (the policy's clock), whether a live run was left unfinished (to resume it),
how many live runs failed in a row (the kill switch) and the portfolio's value over time (the equity
curve). Each function works in a session inside the store's transaction
(:class:`~trimtab.ledger.store.LedgerStore` commits or rolls back and names the database in its errors).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trimtab.errors import marked_temporary
from trimtab.ledger.models import DecisionRow, PositionRow, RunRow, SnapshotRow
from trimtab.ledger.records import RunMode, RunStatus


def read_last_rebalance_at(session: Session) -> datetime | None:
    """When the latest completed live run that decided to rebalance started (None if never)."""
    return session.scalars(
        select(RunRow.started_at)
        .join(DecisionRow, DecisionRow.run_id == RunRow.id)
        .where(
            RunRow.mode == RunMode.LIVE,
            RunRow.status == RunStatus.COMPLETED,
            DecisionRow.rebalance.is_(True),
        )
        .order_by(RunRow.started_at.desc(), RunRow.id.desc())
        .limit(1)
    ).first()


def read_unfinished_run(session: Session) -> int | None:
    """The id of the oldest live run still ``running`` (None if there is none)."""
    return session.scalars(
        select(RunRow.id)
        .where(RunRow.mode == RunMode.LIVE, RunRow.status == RunStatus.RUNNING)
        .order_by(RunRow.started_at, RunRow.id)
        .limit(1)
    ).first()


def count_consecutive_failures(session: Session) -> tuple[int, str | None]:
    """How many of the latest live runs failed in a row, and the newest one's error (the rule:
    :meth:`~trimtab.ledger.store.LedgerStore.consecutive_failures`)."""
    rows = session.execute(
        select(RunRow.status, RunRow.error)
        .where(RunRow.mode == RunMode.LIVE, RunRow.status != RunStatus.RUNNING)
        .order_by(RunRow.started_at.desc(), RunRow.id.desc())
        .limit(1000)
    ).all()
    count, latest = 0, None
    for status, error in rows:
        if status == RunStatus.SKIPPED and error is not None:
            continue  # refused for bad input before any order: neither a failure nor a success
        if status == RunStatus.FAILED and marked_temporary(error):
            continue  # the exchange was unreachable, busy or limiting us: says nothing either way
        if status != RunStatus.FAILED:
            break
        count += 1
        latest = latest or error
    return count, latest


def read_equity(session: Session, limit: int | None) -> list[tuple[datetime, Decimal]]:
    """``(taken_at, total_value)`` of every snapshot, oldest first (the latest ``limit`` when given)."""
    query = select(SnapshotRow.taken_at, SnapshotRow.total_value).order_by(
        SnapshotRow.taken_at.desc(), SnapshotRow.id.desc()
    )
    if limit is not None:
        query = query.limit(max(limit, 0))
    return [(taken_at, value) for taken_at, value in reversed(session.execute(query).all())]


def read_last_price(session: Session, asset: str, quote: str) -> tuple[int, Decimal] | None:
    """The last price of ``asset`` in ``quote`` any snapshot recorded, with the run that first recorded
    it (the earliest of the latest snapshots that all hold that price, so a price carried forward run
    after run still names the run it came from); None when no snapshot in ``quote`` holds ``asset``."""
    rows = (
        select(SnapshotRow.run_id, PositionRow.price)
        .join(PositionRow, PositionRow.snapshot_id == SnapshotRow.id)
        .where(PositionRow.asset == asset, SnapshotRow.quote == quote)
        .order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc())
    )
    found: tuple[int, Decimal] | None = None
    for run_id, price in session.execute(rows):
        if found is not None and price != found[1]:
            break
        found = (run_id, price)
    return found

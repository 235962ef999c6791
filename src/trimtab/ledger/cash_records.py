"""Cash flows in the ledger: what a ``trimtab withdraw`` set aside, and what the account is known to hold.

A set-aside is one row of ``set_asides`` (migration 0003): the amount a withdrawal raised, kept out of
every run until it is released. On a paper account it is released at once (``transferred``: the paper
venue moved it out of the account); on a real exchange it stays until the balance shows that the owner
withdrew it (``withdrawn``) or ``trimtab withdraw --cancel`` gives it back to the portfolio
(``cancelled``).

Deposits and withdrawals are not stored: they are what the account holds beyond the latest snapshot
and the fills recorded since (:func:`read_latest_snapshot`, :func:`read_fills_since`), worked out by
:mod:`trimtab.app.cash_flows`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trimtab.ledger.models import FillRow, OrderRow, SetAsideRow, SnapshotRow
from trimtab.ledger.reads import fill_of, snapshot_records
from trimtab.ledger.records import SnapshotRecord
from trimtab.model.orders import Fill, Side


class Released(StrEnum):
    """Why a set-aside no longer is one."""

    TRANSFERRED = "transferred"  # moved out of a paper account by the withdrawal itself
    WITHDRAWN = "withdrawn"  # the venue's balance shows the owner withdrew it
    CANCELLED = "cancelled"  # ``trimtab withdraw --cancel``: back to the portfolio


@dataclass(frozen=True, slots=True)
class SetAside:
    """``amount`` of ``asset`` raised by withdraw run ``run_id``; ``venue_total`` is the venue's total of
    the asset right after that run (the amount included). Open while ``released`` is None."""

    id: int
    run_id: int
    asset: str
    amount: Decimal
    venue_total: Decimal
    created_at: datetime
    released_at: datetime | None = None
    released: Released | None = None


@dataclass(frozen=True, slots=True)
class RecordedMove:
    """One recorded fill with the order it belongs to: enough to say how it moved the balances."""

    run_id: int
    symbol: str
    side: Side
    fill: Fill


def add_set_aside(  # noqa: PLR0917 (one row's columns)
    session: Session,
    run_id: int,
    asset: str,
    amount: Decimal,
    venue_total: Decimal,
    at: datetime,
    released: Released | None = None,
) -> int:
    """One set-aside of run ``run_id`` (released at once when ``released`` is given); returns its id."""
    row = SetAsideRow(
        run_id=run_id,
        asset=asset,
        amount=amount,
        venue_total=venue_total,
        created_at=at,
        released_at=at if released is not None else None,
        released=released,
    )
    session.add(row)
    session.flush()
    return row.id


def read_set_asides(session: Session, *, open_only: bool) -> list[SetAside]:
    """The set-asides, oldest first (only the open ones with ``open_only``)."""
    query = select(SetAsideRow).order_by(SetAsideRow.id)
    if open_only:
        query = query.where(SetAsideRow.released.is_(None))
    return [
        SetAside(
            id=r.id,
            run_id=r.run_id,
            asset=r.asset,
            amount=r.amount,
            venue_total=r.venue_total,
            created_at=r.created_at,
            released_at=r.released_at,
            released=Released(r.released) if r.released is not None else None,
        )
        for r in session.scalars(query)
    ]


def release_set_asides(session: Session, ids: Iterable[int], at: datetime, why: Released) -> int:
    """Release the open set-asides ``ids``; returns how many were open."""
    result = session.execute(
        update(SetAsideRow)
        .where(SetAsideRow.id.in_(list(ids)), SetAsideRow.released.is_(None))
        .values(released_at=at, released=str(why))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def read_latest_snapshot(session: Session) -> tuple[int, SnapshotRecord] | None:
    """The most recently taken snapshot of any run (before or after its trades), with its run id."""
    row = session.scalars(
        select(SnapshotRow).order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return row.run_id, snapshot_records(session, [row])[0]


def read_fills_since(session: Session, run_id: int, *, including: bool) -> list[RecordedMove]:
    """Every recorded fill of the runs after ``run_id`` (and of ``run_id`` itself when ``including``),
    in the order they were recorded."""
    bound = OrderRow.run_id >= run_id if including else OrderRow.run_id > run_id
    rows = session.execute(
        select(OrderRow.run_id, OrderRow.symbol, OrderRow.side, FillRow)
        .join(FillRow, FillRow.order_id == OrderRow.id)
        .where(bound)
        .order_by(FillRow.id)
    )
    return [RecordedMove(run, symbol, Side(side), fill_of(fill)) for run, symbol, side, fill in rows]

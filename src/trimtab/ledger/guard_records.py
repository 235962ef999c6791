"""The guards' records: what they found in each run, and the assets a crash holds back.

Each function works in a session inside the store's transaction (:class:`~trimtab.ledger.store.LedgerStore`
checks the arguments, commits or rolls back, and names the database in its errors). A hold is written
when a run finds an asset crashed that no hold keeps yet, and ends only when the owner resumes it
(``trimtab guards --resume ASSET``): the crash guard then leaves that asset alone for a day, so the
crash it was resumed after does not hold it again at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from trimtab.ledger.models import GuardEventRow, GuardHoldRow
from trimtab.ledger.records import GuardFinding, GuardHold, GuardKind


def add_findings(session: Session, run_id: int, findings: Sequence[GuardFinding], at: datetime) -> None:
    """Record ``findings`` of run ``run_id``; each crash of an asset not held yet starts a hold."""
    held = {row.asset for row in _active(session)}
    for finding in findings:
        session.add(
            GuardEventRow(
                run_id=run_id, guard=str(finding.guard), asset=finding.asset, message=finding.message
            )
        )
        if finding.guard is GuardKind.CRASH and finding.asset not in held:
            session.add(GuardHoldRow(asset=finding.asset, reason=finding.message, since=at, run_id=run_id))
            held.add(finding.asset)


def read_findings(session: Session, run_id: int) -> list[GuardFinding]:
    """The findings recorded for run ``run_id``, in the order recorded."""
    rows = session.scalars(
        select(GuardEventRow).where(GuardEventRow.run_id == run_id).order_by(GuardEventRow.id)
    )
    return [GuardFinding(GuardKind(r.guard), r.asset, r.message) for r in rows]


def read_holds(session: Session, *, resumed_since: datetime | None = None) -> list[GuardHold]:
    """The holds in force, oldest first; with ``resumed_since``, also those resumed from then on."""
    query = select(GuardHoldRow).order_by(GuardHoldRow.since, GuardHoldRow.id)
    if resumed_since is None:
        query = query.where(GuardHoldRow.resumed_at.is_(None))
    else:
        query = query.where(GuardHoldRow.resumed_at.is_(None) | (GuardHoldRow.resumed_at >= resumed_since))
    return [_hold(row) for row in session.scalars(query)]


def resume_holds(session: Session, asset: str, at: datetime) -> list[GuardHold]:
    """End the holds in force on ``asset`` at ``at``; the holds ended (none when it was not held)."""
    rows = _active(session, GuardHoldRow.asset == asset)
    for row in rows:
        row.resumed_at = at
    return [_hold(row) for row in rows]


def _active(session: Session, *where: ColumnElement[bool]) -> list[GuardHoldRow]:
    """The holds in force (those matching ``where`` too, when given)."""
    return list(session.scalars(select(GuardHoldRow).where(GuardHoldRow.resumed_at.is_(None), *where)))


def _hold(row: GuardHoldRow) -> GuardHold:
    return GuardHold(row.asset, row.reason, row.since, row.run_id, row.resumed_at)

"""The ledger: an append-only record of every run of the bot, in any SQLAlchemy database.

Open it with :meth:`LedgerStore.open` (which creates and migrates the database with Alembic),
write a run with ``start_run`` / ``record_*`` / ``finish_run`` and read it back as plain frozen
records with ``list_runs`` and ``run_detail``.
"""

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
from trimtab.ledger.store import LedgerStore

__all__ = [
    "LedgerStore",
    "OrderRecord",
    "PlannedOrderRecord",
    "PositionRecord",
    "RunDetail",
    "RunMode",
    "RunStatus",
    "RunSummary",
    "SnapshotKind",
    "SnapshotRecord",
]

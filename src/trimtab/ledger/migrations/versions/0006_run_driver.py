"""Runs: which process drove each run.

Revision ID: 0006
Revises: 0005

Written by hand and frozen, like the ones before: plain SQLAlchemy types.

``runs.driver``: the process that ran the run, as ``"<command> pid <pid> on <host>"`` (e.g.
``serve pid 4242 on worker-2``). With several ``trimtab serve`` processes sharing one PostgreSQL
ledger, a portfolio moves from one to another when its driver dies; this says which one ran each run.
NULL for the runs recorded before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop a column in place (the downgrade), so both directions use it.
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("driver", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("driver")

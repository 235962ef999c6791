"""Runs: the fees the quote-only route would have paid, beside the fees a routed run paid.

Revision ID: 0005
Revises: 0004

Written by hand and frozen, like the ones before: plain SQLAlchemy types, money as TEXT holding the
plain decimal string (``trimtab.ledger.types.DecimalText``).

``runs.quote_route_fees``: for a run that planned with ``rebalancing.routing: cheapest``, what the
quote-only route would have paid in fees for the same rebalance (its first plan's estimate, in the
portfolio quote); NULL for every other run, and for the runs recorded before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop a column in place (the downgrade), so both directions use it.
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("quote_route_fees", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("quote_route_fees")

"""Tax events: the trade history imported with ``trimtab tax import``, one row per event.

Revision ID: 0002
Revises: 0001

Written by hand and frozen, like 0001: plain SQLAlchemy types (amounts and prices are TEXT holding a
decimal string, times are ``TIMESTAMP WITH TIME ZONE`` holding UTC), constraint names final through
``op.f`` and following the naming convention of ``trimtab.ledger.models``.

``source`` and ``line`` say where a row came from (the file as given on the command line and its
1-based line); ``report_currency`` is the currency ``price`` (and a fee paid in money) is in.
``fee_asset`` is ``''`` when there is no fee.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tax_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wallet", sa.String(128), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("price", sa.Text(), nullable=False),
        sa.Column("fee", sa.Text(), nullable=False),
        sa.Column("fee_asset", sa.String(32), nullable=False),
        sa.Column("report_currency", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_events")),
        sa.CheckConstraint("type IN ('buy', 'sell', 'fee')", name=op.f("ck_tax_events_type")),
    )
    op.create_index(op.f("ix_tax_events_timestamp"), "tax_events", ["timestamp"])


def downgrade() -> None:
    # Dropping the table drops its index too, on every supported database.
    op.drop_table("tax_events")

"""Guards: what the guards found in each run, and the assets a crash holds back until resumed.

Revision ID: 0004
Revises: 0003

Written by hand and frozen, like the ones before: plain SQLAlchemy types, times ``TIMESTAMP WITH TIME
ZONE`` holding UTC, constraint names final through ``op.f`` and following the naming convention of
``trimtab.ledger.models``.

``guard_events``: one row per finding of a run (``guard`` is ``market``, ``depeg``, ``stale``,
``crash`` or ``held``; ``asset`` is ``''`` for a finding about no one asset). ``guard_holds``: an asset
that fell more than ``guards.crash_percent`` in 24 hours is not bought from ``since`` until the owner
resumes it (``resumed_at``, NULL while it holds).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("guard", sa.String(16), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_events")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_guard_events_run_id_runs")),
        sa.CheckConstraint(
            "guard IN ('market', 'depeg', 'stale', 'crash', 'held')", name=op.f("ck_guard_events_guard")
        ),
    )
    op.create_index(op.f("ix_guard_events_run_id"), "guard_events", ["run_id"])
    op.create_table(
        "guard_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_holds")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_guard_holds_run_id_runs")),
    )
    op.create_index(op.f("ix_guard_holds_asset"), "guard_holds", ["asset"])


def downgrade() -> None:
    op.drop_table("guard_holds")
    op.drop_table("guard_events")

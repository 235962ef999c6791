"""Set-asides: cash (or an asset) a ``trimtab withdraw`` raised and the runs must not re-invest.

Revision ID: 0003
Revises: 0002

Written by hand and frozen, like 0001 and 0002. One row per withdrawal: ``amount`` of ``asset`` raised by
run ``run_id``; ``venue_total`` is the venue's total of the asset right after that run (the set-aside
included), the baseline against which the owner's withdrawal is seen. ``released_at`` and ``released``
(why: ``transferred`` off a paper account, ``cancelled`` with ``withdraw --cancel``, ``withdrawn`` once
the balance shows it left) are NULL while the amount is still set aside.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "set_asides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("venue_total", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_set_asides_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_asides")),
    )


def downgrade() -> None:
    op.drop_table("set_asides")

"""The initial ledger: runs, decisions, snapshots, planned orders, orders, fills, skipped trades.

Revision ID: 0001
Revises:

Written by hand and frozen: it uses plain SQLAlchemy types (money is TEXT holding a decimal string,
times are ``TIMESTAMP WITH TIME ZONE`` holding UTC) rather than importing trimtab's models, so later
changes to the models can never change what this revision creates. Constraint names follow the
naming convention in ``trimtab.ledger.models`` so later revisions can address them on any database;
they are wrapped in ``op.f`` because they are final (env.py hands that convention to Alembic, which
would otherwise apply it a second time: ``ck_runs_ck_runs_mode``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _money(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _side_check(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint("side IN ('buy', 'sell')", name=op.f(f"ck_{table}_side"))


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        _time("started_at"),
        _time("finished_at", nullable=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("config_digest", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.CheckConstraint("mode IN ('live', 'dry-run')", name=op.f("ck_runs_mode")),
        sa.CheckConstraint(
            "status IN ('running', 'completed', 'skipped', 'failed')", name=op.f("ck_runs_status")
        ),
    )
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rebalance", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_decisions_run_id_runs")),
        sa.UniqueConstraint("run_id", name=op.f("uq_decisions_run_id")),
    )

    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        _time("taken_at"),
        _money("total_value"),
        sa.Column("quote", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_snapshots_run_id_runs")),
        sa.UniqueConstraint("run_id", "kind", name=op.f("uq_snapshots_run_id_kind")),
        sa.CheckConstraint("kind IN ('before', 'after')", name=op.f("ck_snapshots_kind")),
    )

    op.create_table(
        "snapshot_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        _money("amount"),
        _money("price"),
        _money("value"),
        _money("weight"),
        _money("target"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_positions")),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["snapshots.id"], name=op.f("fk_snapshot_positions_snapshot_id_snapshots")
        ),
        sa.UniqueConstraint("snapshot_id", "asset", name=op.f("uq_snapshot_positions_snapshot_id_asset")),
    )

    op.create_table(
        "planned_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        _money("amount"),
        _money("limit_price"),
        _money("reference_price"),
        _money("value"),
        sa.Column("client_order_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_orders")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_planned_orders_run_id_runs")),
        sa.UniqueConstraint("run_id", "leg", name=op.f("uq_planned_orders_run_id_leg")),
        sa.UniqueConstraint(
            "run_id", "client_order_id", name=op.f("uq_planned_orders_run_id_client_order_id")
        ),
        _side_check("planned_orders"),
    )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("exchange_order_id", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        _money("amount"),
        _money("limit_price"),
        sa.Column("status", sa.String(16), nullable=False),
        _money("filled"),
        _money("average_price", nullable=True),
        _money("cost"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_orders_run_id_runs")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
        _side_check("orders"),
    )
    op.create_index(op.f("ix_orders_run_id"), "orders", ["run_id"])

    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        _money("price"),
        _money("amount"),
        _money("fee"),
        sa.Column("fee_asset", sa.String(32), nullable=False),
        _time("timestamp"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_fills_order_id_orders")),
    )
    op.create_index(op.f("ix_fills_order_id"), "fills", ["order_id"])

    op.create_table(
        "skipped_trades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        _money("value"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skipped_trades")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_skipped_trades_run_id_runs")),
        _side_check("skipped_trades"),
    )
    op.create_index(op.f("ix_skipped_trades_run_id"), "skipped_trades", ["run_id"])


def downgrade() -> None:
    for table in (
        "skipped_trades",
        "fills",
        "orders",
        "planned_orders",
        "snapshot_positions",
        "snapshots",
        "decisions",
        "runs",
    ):
        # Dropping a table drops its indexes too, on every supported database.
        op.drop_table(table)

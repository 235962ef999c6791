"""The ledger's tables as SQLAlchemy declarative models.

The schema itself is owned by the Alembic migrations in ``migrations/versions``; these models must
describe the same tables (a test compares them). Only the ledger's own modules use them:
callers of the ledger get plain frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trimtab.ledger.records import GuardKind, RunMode, RunStatus, SnapshotKind
from trimtab.ledger.types import DecimalText, UTCDateTime
from trimtab.model.orders import Side
from trimtab.tax.model import EventType

# Deterministic constraint names, so later migrations can alter or drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: type[StrEnum]) -> str:
    """A portable CHECK expression: ``column IN ('a', 'b')``."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of the ledger tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RunRow(Base):
    """One invocation of the bot (rebalance, run, demo), from start to finish."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_one_of("mode", RunMode), name="mode"),
        CheckConstraint(_one_of("status", RunStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    command: Mapped[str] = mapped_column(String(32))
    venue: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    forced: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    config_digest: Mapped[str] = mapped_column(Text)
    # What the quote-only route would have paid in fees for the run's first plan, in the quote (NULL
    # unless the run planned with ``rebalancing.routing: cheapest``): what routing saved, over time.
    quote_route_fees: Mapped[Decimal | None] = mapped_column(DecimalText)
    # Which process ran it, "<command> pid <pid> on <host>" (NULL for runs before migration 0006).
    driver: Mapped[str | None] = mapped_column(String(200))


class DecisionRow(Base):
    """The policy's decision of a run (at most one per run) and the targets it decided against."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), unique=True)
    rebalance: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    # JSON object of asset -> target percent as a decimal string, keys sorted.
    targets: Mapped[str] = mapped_column(Text)


class SnapshotRow(Base):
    """The portfolio before or after a run's trades, valued in ``quote``."""

    __tablename__ = "snapshots"
    __table_args__ = (
        CheckConstraint(_one_of("kind", SnapshotKind), name="kind"),
        UniqueConstraint("run_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    kind: Mapped[str] = mapped_column(String(8))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    total_value: Mapped[Decimal] = mapped_column(DecimalText)
    quote: Mapped[str] = mapped_column(String(32))


class PositionRow(Base):
    """One asset of a snapshot: holding, price, value, current and target weight (percent)."""

    __tablename__ = "snapshot_positions"
    __table_args__ = (UniqueConstraint("snapshot_id", "asset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    asset: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    value: Mapped[Decimal] = mapped_column(DecimalText)
    weight: Mapped[Decimal] = mapped_column(DecimalText)
    target: Mapped[Decimal] = mapped_column(DecimalText)


class PlannedOrderRow(Base):
    """One order of a run's plan, with the client order id the executor gave it."""

    __tablename__ = "planned_orders"
    __table_args__ = (
        CheckConstraint(_one_of("side", Side), name="side"),
        UniqueConstraint("run_id", "leg"),
        UniqueConstraint("run_id", "client_order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    leg: Mapped[int] = mapped_column(Integer)
    asset: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    limit_price: Mapped[Decimal] = mapped_column(DecimalText)
    reference_price: Mapped[Decimal] = mapped_column(DecimalText)
    value: Mapped[Decimal] = mapped_column(DecimalText)
    client_order_id: Mapped[str | None] = mapped_column(String(128))


class OrderRow(Base):
    """An order as the venue last reported it; one row per client order id, updated in place."""

    __tablename__ = "orders"
    __table_args__ = (CheckConstraint(_one_of("side", Side), name="side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    client_order_id: Mapped[str] = mapped_column(String(128), unique=True)
    exchange_order_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    limit_price: Mapped[Decimal] = mapped_column(DecimalText)
    status: Mapped[str] = mapped_column(String(16))
    filled: Mapped[Decimal] = mapped_column(DecimalText)
    average_price: Mapped[Decimal | None] = mapped_column(DecimalText)
    cost: Mapped[Decimal] = mapped_column(DecimalText)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FillRow(Base):
    """One execution of (part of) an order, with its fee."""

    __tablename__ = "fills"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    fee: Mapped[Decimal] = mapped_column(DecimalText)
    fee_asset: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)


class SkippedTradeRow(Base):
    """A trade towards the target that the planner did not make, and why."""

    __tablename__ = "skipped_trades"
    __table_args__ = (CheckConstraint(_one_of("side", Side), name="side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    asset: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    value: Mapped[Decimal] = mapped_column(DecimalText)
    reason: Mapped[str] = mapped_column(Text)


class TaxEventRow(Base):
    """One event of imported trade history (``trimtab tax import``): a buy, a sell or a fee.

    ``source`` and ``line`` name the file (as given) and its line; ``price`` and a fee paid in money are
    in ``report_currency``; ``fee_asset`` is ``""`` when there is no fee.
    """

    __tablename__ = "tax_events"
    __table_args__ = (CheckConstraint(_one_of("type", EventType), name="type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    wallet: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(8))
    asset: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    fee: Mapped[Decimal] = mapped_column(DecimalText)
    fee_asset: Mapped[str] = mapped_column(String(32))
    report_currency: Mapped[str] = mapped_column(String(8))


class SetAsideRow(Base):
    """An amount a withdrawal raised (``trimtab withdraw``), kept out of the runs until released
    (see :mod:`trimtab.ledger.cash_records`)."""

    __tablename__ = "set_asides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    asset: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    venue_total: Mapped[Decimal] = mapped_column(DecimalText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released: Mapped[str | None] = mapped_column(String(16))


class GuardEventRow(Base):
    """One finding of the guards in a run (see :mod:`trimtab.ledger.guard_records`): a frozen market,
    a depegged quote, a stale price, a crash, an asset held back by an earlier crash."""

    __tablename__ = "guard_events"
    __table_args__ = (CheckConstraint(_one_of("guard", GuardKind), name="guard"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    guard: Mapped[str] = mapped_column(String(16))
    asset: Mapped[str] = mapped_column(String(32))  # '' for a finding about no one asset
    message: Mapped[str] = mapped_column(Text)


class GuardHoldRow(Base):
    """An asset not bought since ``since`` because it crashed, until the owner resumes it."""

    __tablename__ = "guard_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

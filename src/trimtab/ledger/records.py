"""What the ledger hands back: plain frozen dataclasses with Decimal money and aware UTC times.

Callers (the CLI's ``history``, reports) read these and never touch ORM objects or sessions.
Fills and skipped trades come back as the shared :class:`~trimtab.venues.port.Fill` and
:class:`~trimtab.planning.plan.SkippedTrade` they were recorded from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from trimtab.model.orders import Fill, OrderStatus, Side
from trimtab.planning.plan import SkippedTrade


class RunMode(StrEnum):
    """Whether a run traded for real or only simulated its orders."""

    LIVE = "live"
    DRY_RUN = "dry-run"


class RunStatus(StrEnum):
    """How a run ended; ``running`` until :meth:`LedgerStore.finish_run` is called (or it crashed)."""

    RUNNING = "running"
    COMPLETED = "completed"
    SKIPPED = "skipped"
    FAILED = "failed"


class SnapshotKind(StrEnum):
    """Which side of the trades a snapshot was taken on."""

    BEFORE = "before"
    AFTER = "after"


class GuardKind(StrEnum):
    """Which guard found something in a run (:mod:`trimtab.app.guards`)."""

    MARKET = "market"  # the asset's market is halted, in break or delisted: frozen for the run
    DEPEG = "depeg"  # the quote stablecoin is off its peg: the run stopped
    STALE = "stale"  # a price is older than guards.max_price_age: the run stopped
    CRASH = "crash"  # the asset fell more than guards.crash_percent in 24 h: held until resumed
    HELD = "held"  # the asset is still held back by an earlier crash: not bought


@dataclass(frozen=True, slots=True)
class GuardFinding:
    """One finding of the guards: which ``guard``, about which ``asset`` ('' for none), in one line."""

    guard: GuardKind
    asset: str
    message: str


@dataclass(frozen=True, slots=True)
class GuardHold:
    """An asset not bought since ``since`` (by the crash guard, in run ``run_id``), until the owner
    resumes it (``resumed_at``, None while it holds)."""

    asset: str
    reason: str
    since: datetime
    run_id: int | None
    resumed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One line of ``trimtab history``.

    ``reason`` is None and ``rebalance`` False when the run recorded no decision; ``traded_value`` is
    the quote value filled over all the run's orders, ``fees`` the fees paid per fee asset, and
    ``value_before``/``value_after`` the totals of the before/after snapshots (None if missing).
    ``quote_route_fees`` is what the quote-only route would have paid in fees (in the quote) when the run
    planned with ``rebalancing.routing: cheapest``, None otherwise; for those runs only, ``fees_value``
    is the fees paid valued in the quote at the before snapshot's prices (None when a fee asset has no
    price there), so that :attr:`fees_saved` compares like with like. ``driver`` names the process that
    ran it (``"<command> pid <pid> on <host>"``; None for runs recorded before the ledger kept it).
    """

    id: int
    started_at: datetime
    finished_at: datetime | None
    command: str
    venue: str
    mode: RunMode
    forced: bool
    status: RunStatus
    error: str | None
    reason: str | None
    rebalance: bool
    order_count: int
    traded_value: Decimal
    fees: dict[str, Decimal]
    value_before: Decimal | None
    value_after: Decimal | None
    quote_route_fees: Decimal | None = None
    fees_value: Decimal | None = None
    driver: str | None = None

    @property
    def fees_saved(self) -> Decimal | None:
        """``quote_route_fees - fees_value``: what routing saved (negative: it cost more); None unless the
        run was routed and placed orders (a dry run or a skipped run saved nothing)."""
        if self.quote_route_fees is None or self.fees_value is None or not self.order_count:
            return None
        return self.quote_route_fees - self.fees_value


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """One asset of a snapshot; ``weight`` and ``target`` are percentages."""

    asset: str
    amount: Decimal
    price: Decimal
    value: Decimal
    weight: Decimal
    target: Decimal


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """The portfolio before or after a run's trades, valued in ``quote``."""

    kind: SnapshotKind
    taken_at: datetime
    quote: str
    total_value: Decimal
    positions: tuple[PositionRecord, ...]


@dataclass(frozen=True, slots=True)
class PlannedOrderRecord:
    """One order of a run's plan and the client order id it was (to be) placed with."""

    leg: int
    asset: str
    symbol: str
    side: Side
    amount: Decimal
    limit_price: Decimal
    reference_price: Decimal
    value: Decimal
    client_order_id: str | None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as the venue last reported it, with every fill recorded for it."""

    client_order_id: str
    exchange_order_id: str
    symbol: str
    side: Side
    amount: Decimal
    limit_price: Decimal
    status: OrderStatus
    filled: Decimal
    average_price: Decimal | None
    cost: Decimal
    updated_at: datetime
    fills: tuple[Fill, ...]


@dataclass(frozen=True, slots=True)
class RunDetail:
    """Everything recorded about one run; ``targets`` are the decision's (empty without a decision)."""

    summary: RunSummary
    config_digest: str
    targets: dict[str, Decimal]
    snapshots: tuple[SnapshotRecord, ...]
    planned_orders: tuple[PlannedOrderRecord, ...]
    orders: tuple[OrderRecord, ...]
    skipped: tuple[SkippedTrade, ...]
    guards: tuple[GuardFinding, ...] = ()  # what the guards found before planning (trimtab.app.guards)

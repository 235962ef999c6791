"""LedgerStore: the append-only record of every run of the bot, in any SQLAlchemy database.

Each ``record_*`` call is one transaction in its own session: it is stored whole or not at all, and
a failure is a :class:`~trimtab.errors.LedgerError` with one line naming the database.

>>> ledger = LedgerStore.open("sqlite:///ledger.db")  # doctest: +SKIP
>>> run_id = ledger.start_run(command="rebalance", venue="paper", mode="dry-run", forced=False,
...                           started_at=now, config_digest=digest)  # doctest: +SKIP
>>> ledger.finish_run(run_id, "completed", finished_at=later)  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from trimtab.errors import TrimtabError
from trimtab.ledger.cash_records import (
    RecordedMove,
    Released,
    SetAside,
    add_set_aside,
    read_fills_since,
    read_latest_snapshot,
    read_set_asides,
    release_set_asides,
)
from trimtab.ledger.driver_lock import process_driver
from trimtab.ledger.engine import connect
from trimtab.ledger.guard_records import add_findings, read_findings, read_holds, resume_holds
from trimtab.ledger.models import DecisionRow, RunRow
from trimtab.ledger.reads import read_detail, read_recorded_orders, read_summaries
from trimtab.ledger.records import (
    GuardFinding,
    GuardHold,
    RunDetail,
    RunMode,
    RunStatus,
    RunSummary,
    SnapshotKind,
    SnapshotRecord,
)
from trimtab.ledger.run_queries import (
    count_consecutive_failures,
    read_equity,
    read_last_price,
    read_last_rebalance_at,
    read_unfinished_run,
)
from trimtab.ledger.sessions import LedgerSessions
from trimtab.ledger.tax_records import (
    RecordedFill,
    add_tax_events,
    count_tax_events,
    read_live_fills,
    read_tax_events,
)
from trimtab.ledger.types import decimal_to_text
from trimtab.ledger.writes import add_plan, add_snapshot, upsert_order
from trimtab.model.orders import OrderResult
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.policy.base import Decision
from trimtab.tax.model import TaxEvent

# The records are re-exported so callers can take the store and what it returns from one place.
__all__ = ["LedgerStore", "RecordedFill", "RunDetail", "RunSummary"]

DRIVER_LENGTH = 200  # runs.driver's width (migration 0006)


class LedgerStore(LedgerSessions):
    """The ledger of runs, decisions, snapshots, plans, orders and fills.

    Open it with :meth:`open`, which migrates the database to the newest schema. Every method opens
    and closes its own session (:class:`~trimtab.ledger.sessions.LedgerSessions`), so a store can be
    kept for the life of the process.
    """

    @classmethod
    def open(cls, url: str, *, schema: str | None = None) -> LedgerStore:
        """Open (creating and migrating as needed) the ledger at SQLAlchemy ``url``.

        For ``sqlite:///path`` the parent folder is created, and every connection runs with
        foreign keys enforced and the WAL journal. For ``postgresql+psycopg://...`` the ledger is in
        ``schema`` of that (existing) database, created and migrated as needed
        (:mod:`trimtab.ledger.postgres`); SQLite ignores ``schema``. Any failure raises :class:`LedgerError`.
        """
        engine, where = connect(url, schema)
        return cls(engine, where)

    # -- writing -------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        command: str,
        venue: str,
        mode: str,
        forced: bool,
        started_at: datetime,
        config_digest: str,
        driver: str | None = None,
    ) -> int:
        """Record the start of a run (status ``running``) and return its id.

        ``driver`` names the process that runs it; None means this process (:func:`process_driver`)."""
        run_mode = self._parse(RunMode, mode, "run mode")
        self._require_aware(started_at, "started_at")
        with self._transaction("start a run") as session:
            row = RunRow(
                started_at=started_at,
                command=command,
                venue=venue,
                mode=run_mode,
                forced=forced,
                status=RunStatus.RUNNING,
                config_digest=config_digest,
                driver=(driver if driver is not None else process_driver(command))[:DRIVER_LENGTH],
            )
            session.add(row)
            session.flush()
            return row.id

    # Positional to match the agreed service-facing signature; keyword use is encouraged.
    def record_snapshot(  # noqa: PLR0917
        self,
        run_id: int,
        kind: str,
        snapshot: Snapshot,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        total_value: Decimal,
    ) -> None:
        """Record the portfolio ``before`` or ``after`` the trades: one position per asset of ``weights``
        (an asset missing from ``targets`` has target 0)."""
        snapshot_kind = self._parse(SnapshotKind, kind, "snapshot kind")
        self._require_aware(snapshot.taken_at, "snapshot.taken_at")
        action = f"record the {snapshot_kind} snapshot of run {run_id}"
        missing = sorted(a for a in weights if a != snapshot.quote and a not in snapshot.prices)
        if missing:
            raise self._error(action, f"no price for {', '.join(missing)}")
        with self._transaction(action) as session:
            self._run(session, run_id)
            add_snapshot(session, run_id, snapshot_kind, snapshot, weights, targets, total_value)

    def record_decision(self, run_id: int, decision: Decision, targets: Mapping[str, Decimal]) -> None:
        """Record the policy's decision of a run and the targets (percent) it was made against."""
        action = f"record the decision of run {run_id}"
        try:
            encoded = json.dumps({asset: decimal_to_text(targets[asset]) for asset in sorted(targets)})
        except (TypeError, ValueError) as e:
            raise self._error(action, str(e)) from e
        with self._transaction(action) as session:
            self._run(session, run_id)
            session.add(
                DecisionRow(
                    run_id=run_id, rebalance=decision.rebalance, reason=decision.reason, targets=encoded
                )
            )

    def record_plan(self, run_id: int, plan: Plan, client_order_ids: Mapping[int, str]) -> None:
        """Record a run's planned orders (with the client order id of each leg, if any) and the trades
        the planner skipped.

        May be called again for the same run with legs added later (the executor's re-planned buys);
        a leg or client order id the run already has makes the whole call fail and write nothing. The
        run keeps the first ``plan.quote_route_fees`` given (the routed plan's; the re-planned buys are
        quote-only and have none).
        """
        action = f"record the plan of run {run_id}"
        unknown = sorted(set(client_order_ids) - {o.leg for o in plan.orders})
        if unknown:
            raise self._error(
                action, f"client order ids given for legs {unknown} that the plan does not have"
            )
        with self._transaction(action) as session:
            run = self._run(session, run_id)
            if run.quote_route_fees is None:
                run.quote_route_fees = plan.quote_route_fees
            add_plan(session, run_id, plan, client_order_ids)

    def record_order(self, run_id: int, result: OrderResult, at: datetime) -> None:
        """Record what the venue says about an order, as of ``at``.

        Upserts by client order id: recording the same order again updates its status, fill and
        cost in place (it stays with the run that first recorded it) and adds only fills not yet
        recorded. Fills carry no venue id, so a fill counts as recorded when an equal one (same
        price, amount, fee, fee asset and time) is; two equal fills in one result are kept as two.
        """
        self._require_aware(at, "at")
        with self._transaction(f"record order {result.client_order_id} of run {run_id}") as session:
            self._run(session, run_id)
            upsert_order(session, run_id, result, at)

    def finish_run(self, run_id: int, status: str, finished_at: datetime, error: str | None = None) -> None:
        """Close a running run as ``completed``, ``skipped`` or ``failed``; ``error`` is kept as one line."""
        run_status = self._parse(RunStatus, status, "run status")
        if run_status is RunStatus.RUNNING:
            raise self._error(f"finish run {run_id}", "a finished run cannot have status running")
        self._require_aware(finished_at, "finished_at")
        with self._transaction(f"finish run {run_id}") as session:
            row = self._run(session, run_id)
            if row.status != RunStatus.RUNNING:
                raise self._error(f"finish run {run_id}", f"it is already {row.status}")
            row.status = run_status
            row.finished_at = finished_at
            row.error = " ".join(error.split()) if error is not None else None

    def record_tax_events(
        self, events: Iterable[TaxEvent], *, source: str, report_currency: str, imported_at: datetime
    ) -> int:
        """Import trade history (``trimtab tax import``) in one transaction: all of it or nothing.

        ``source`` names the file; ``report_currency`` is the currency of the events' prices. Events
        already in the ledger are skipped, so importing a file twice adds nothing (the rule:
        :mod:`trimtab.ledger.tax_records`). Returns how many events were added.

        ``events`` may be a stream read as it is stored; an error it raises (a bad row) rolls the
        whole import back and reaches the caller unchanged.
        """
        self._require_aware(imported_at, "imported_at")
        action = f"import the tax events of {source}"
        try:
            with self._transaction(action) as session:
                return add_tax_events(
                    session, events, source=source, report_currency=report_currency, imported_at=imported_at
                )
        except (TypeError, ValueError) as error:  # a value no column can hold (a naive time), rolled back
            if isinstance(error, TrimtabError):
                raise
            raise self._error(action, str(error)) from error

    # -- reading -------------------------------------------------------------------------------

    def tax_events(
        self, report_currency: str | None = None, *, before: datetime | None = None
    ) -> list[TaxEvent]:
        """The imported history priced in ``report_currency`` (None: all of it), in time order; with
        ``before``, only the events before it (the others are never read)."""
        if before is not None:
            self._require_aware(before, "before")
        with self._transaction("read the tax events") as session:
            return read_tax_events(session, report_currency, before)

    def tax_event_counts(self, *, before: datetime | None = None) -> dict[str, int]:
        """How many imported events are priced in each report currency (before ``before``, when given;
        a currency with none is left out)."""
        if before is not None:
            self._require_aware(before, "before")
        with self._transaction("count the tax events") as session:
            return count_tax_events(session, before)

    def live_fills(self, venue: str) -> list[RecordedFill]:
        """Every fill of the live runs on ``venue``, in time order, for the tax lots."""
        with self._transaction(f"read the fills on {venue}") as session:
            return read_live_fills(session, venue)

    def last_rebalance_at(self) -> datetime | None:
        """When the latest completed live run that decided to rebalance started (None if never).

        Dry runs, skipped and failed runs do not count: they did not move the portfolio.
        """
        with self._transaction("read the last rebalance") as session:
            return read_last_rebalance_at(session)

    def unfinished_run(self) -> int | None:
        """The oldest live run still ``running``: a bot that crashed or lost the venue mid-run left it."""
        with self._transaction("look for an unfinished run") as session:
            return read_unfinished_run(session)

    def recorded_orders(self, venue: str) -> tuple[dict[str, Decimal], frozenset[str]]:
        """The filled amount of each order recorded for the live runs on ``venue``, by client order id,
        and the client order ids its unfinished live runs journaled (placed or not: the run's resume
        finds out), to compare with what the venue holds (:mod:`trimtab.execution.agreement`)."""
        with self._transaction(f"read the orders on {venue}") as session:
            return read_recorded_orders(session, venue)

    def consecutive_failures(self) -> tuple[int, str | None]:
        """How many of the latest live runs failed in a row, and the newest one's error (for the kill switch).

        A run ``skipped`` with an error was refused for bad input (a config or data file) before any order,
        and a run ``failed`` by temporary exchange trouble (its error marked ``temporary: ``, see
        :func:`trimtab.errors.failure_of`) will be retried: neither counts nor breaks the row."""
        with self._transaction("count failed runs") as session:
            return count_consecutive_failures(session)

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """The ``limit`` most recent runs, newest first."""
        if limit <= 0:
            return []
        with self._transaction("list runs") as session:
            runs = session.scalars(
                select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit)
            ).all()
            return read_summaries(session, runs)

    def equity(self, limit: int | None = None) -> list[tuple[datetime, Decimal]]:
        """The portfolio's value at every recorded snapshot (each run's ``before``, and ``after`` when it
        traded), oldest first: ``(taken_at, total_value)``; with ``limit``, the latest ``limit`` of them."""
        with self._transaction("read the equity curve") as session:
            return read_equity(session, limit)

    def run_detail(self, run_id: int) -> RunDetail | None:
        """Everything recorded about run ``run_id``, or None if there is no such run."""
        with self._transaction(f"read run {run_id}") as session:
            run = session.get(RunRow, run_id)
            return None if run is None else read_detail(session, run)

    # -- cash flows (see trimtab.ledger.cash_records) ------------------------------------------

    def record_set_aside(  # noqa: PLR0917 (one row's columns)
        self,
        run_id: int,
        asset: str,
        amount: Decimal,
        venue_total: Decimal,
        at: datetime,
        released: Released | None = None,
    ) -> int:
        """Record that withdraw run ``run_id`` set ``amount`` of ``asset`` aside (released at once with
        ``released``, e.g. a paper transfer); returns its id."""
        self._require_aware(at, "at")
        with self._transaction(f"record the set-aside of run {run_id}") as session:
            self._run(session, run_id)
            return add_set_aside(session, run_id, asset, amount, venue_total, at, released)

    def set_asides(self, *, open_only: bool = True) -> list[SetAside]:
        """The set-asides of withdrawals, oldest first (only those still kept aside, by default)."""
        with self._transaction("read the set-asides") as session:
            return read_set_asides(session, open_only=open_only)

    def release_set_asides(self, ids: Iterable[int], at: datetime, why: Released) -> int:
        """Release the open set-asides ``ids`` (``why``: withdrawn or cancelled); returns how many."""
        self._require_aware(at, "at")
        with self._transaction("release set-asides") as session:
            return release_set_asides(session, ids, at, why)

    def latest_snapshot(self) -> tuple[int, SnapshotRecord] | None:
        """The most recently taken snapshot and its run id (None in an empty ledger)."""
        with self._transaction("read the latest snapshot") as session:
            return read_latest_snapshot(session)

    def last_price(self, asset: str, quote: str) -> tuple[int, Decimal] | None:
        """The last price of ``asset`` in ``quote`` a snapshot recorded and the run it is from (None: never
        recorded); what an asset whose market has gone from the venue is valued at."""
        with self._transaction(f"read the last recorded price of {asset}") as session:
            return read_last_price(session, asset, quote)

    def fills_since(self, run_id: int, *, including: bool = False) -> list[RecordedMove]:
        """Every fill recorded for the runs after ``run_id`` (and ``run_id``'s own when ``including``)."""
        with self._transaction(f"read the fills since run {run_id}") as session:
            return read_fills_since(session, run_id, including=including)

    # -- guards (see trimtab.ledger.guard_records) -----------------------------------------------

    def record_guards(self, run_id: int, findings: Sequence[GuardFinding], at: datetime) -> None:
        """What the guards found in run ``run_id``; a crash of an asset not held yet holds it from ``at``."""
        self._require_aware(at, "at")
        with self._transaction(f"record the guards of run {run_id}") as session:
            self._run(session, run_id)
            add_findings(session, run_id, findings, at)

    def guard_findings(self, run_id: int) -> list[GuardFinding]:
        """What the guards found in run ``run_id``, in the order recorded."""
        with self._transaction(f"read the guards of run {run_id}") as session:
            return read_findings(session, run_id)

    def guard_holds(self, *, resumed_since: datetime | None = None) -> list[GuardHold]:
        """The crash holds in force (and, with ``resumed_since``, those resumed from then on)."""
        with self._transaction("read the guard holds") as session:
            return read_holds(session, resumed_since=resumed_since)

    def resume_guard_hold(self, asset: str, at: datetime) -> list[GuardHold]:
        """End the crash holds on ``asset`` (the owner resumes buying it); the holds ended."""
        self._require_aware(at, "at")
        with self._transaction(f"resume {asset}") as session:
            return resume_holds(session, asset, at)

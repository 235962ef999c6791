"""The core every front end calls (the CLI now; the web server and the notifier next).

One rebalance is one trip through snapshot -> targets -> decision -> plan -> execution -> ledger.
:class:`Bot` wires those pieces together; it holds no state of its own between calls except what the
venue and the ledger keep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from trimtab.app.outcomes import HarvestOutcome, PlanView, PortfolioView, RunOutcome
from trimtab.app.parts import BotParts, portfolio_view, read_snapshot
from trimtab.app.run_endings import ending, stays_open
from trimtab.errors import (
    AccountMismatch,
    GuardTripped,
    KillSwitchTripped,
    LedgerError,
    Mention,
    PlanningError,
    Wording,
)
from trimtab.execution.agreement import account_disagreement
from trimtab.execution.client_ids import client_order_id
from trimtab.execution.executor import Execution, Executor
from trimtab.ledger.records import (
    PlannedOrderRecord,
    RunDetail,
    RunMode,
    RunStatus,
    RunSummary,
    SnapshotKind,
)
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import plan_rebalance
from trimtab.policy.base import Decision
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.harvest_plan import harvest_reason, plan_harvest
from trimtab.tax.history import all_events
from trimtab.tax.model import TaxEvent
from trimtab.venues.replay import ReplayClock

# The views live in their own module; they are re-exported here, where the front ends have always found them.
__all__ = ["Bot"]


class Bot:
    """Reads the portfolio, decides, plans and rebalances through one venue, recording to one ledger.

    One bot may be shared by several asyncio tasks of one event loop (the ``run`` loop and a web
    server). The calls that record a run, :meth:`rebalance` and :meth:`harvest` with ``execute``, take
    turns: each waits for the one before to finish and then starts from what it left (its ledger
    records and the venue's balances), so two at once never place the same trades twice. The read-only
    calls (:meth:`portfolio`, :meth:`plan`, :meth:`harvest` without ``execute``, :meth:`history`,
    :meth:`run_detail`, :meth:`account_disagreement`, :meth:`now`, :meth:`next_check`) do not wait:
    during a run they show the account as it is at that moment. :meth:`close` waits for the current
    run. Two processes on one portfolio are kept apart by its lock file (:mod:`trimtab.app.portfolio_lock`),
    and ``trimtab reset``, which moves the files aside, takes that lock too.
    """

    def __init__(self, parts: BotParts) -> None:
        self.parts = parts
        # One run at a time (see the class docstring); the lock binds to the loop of its first contender.
        self._one_run = asyncio.Lock()
        self._in_flight = False  # True once orders of the current run may be on the venue

    def now(self) -> datetime:
        """The bot's clock: the time a run taken now would record (aware, UTC)."""
        return self.parts.clock()

    def next_check(self, after: datetime | None = None) -> datetime:
        """When the policy next wants to look at the portfolio: the first check strictly after ``after``
        (default: :meth:`now`). The ``run`` loop sleeps until then; a dashboard shows it."""
        return self.parts.policy.next_check(self.now() if after is None else after)

    def wall_seconds_until(self, when: datetime) -> float:
        """Wall-clock seconds until the bot's clock reads ``when`` (0 when it already has): what a
        scheduler sleeps. On a replayed market (:mod:`trimtab.venues.replay`) the clock runs ``speed``
        times as fast as the wall clock, so a month of market time may pass in seconds."""
        clock = self.parts.clock
        if isinstance(clock, ReplayClock):
            return clock.wall_seconds_until(when)
        return max(0.0, (when - clock()).total_seconds())

    def _market_held(self) -> contextlib.AbstractContextManager[object]:
        """A replayed market stands still while a run plans and trades: one run, one market instant."""
        clock = self.parts.clock
        return clock.held() if isinstance(clock, ReplayClock) else contextlib.nullcontext()

    def history(self, limit: int) -> list[RunSummary]:
        """The last ``limit`` runs recorded in the ledger, newest first."""
        return self.parts.ledger.list_runs(limit)

    def run_detail(self, run_id: int) -> RunDetail | None:
        """Everything the ledger recorded of run ``run_id`` (None if there is no such run)."""
        return self.parts.ledger.run_detail(run_id)

    async def snapshot(self) -> Snapshot:
        """Balances, prices, market rules, fee rate and (for dynamic weights) history, read in one go."""
        return await read_snapshot(self.parts)

    async def portfolio(self) -> PortfolioView:
        """The current portfolio against its targets."""
        return self.view(await self.snapshot())

    def view(self, snapshot: Snapshot) -> PortfolioView:
        """``snapshot`` against the targets (see :func:`~trimtab.app.parts.portfolio_view`)."""
        return portfolio_view(self.parts, snapshot)

    def account_disagreement(self) -> str | None:
        """One line saying how the paper account and the ledger disagree, or None
        (:mod:`trimtab.execution.agreement`): ``status`` and ``plan`` warn, trading refuses."""
        return account_disagreement(self.parts.venue, self.parts.ledger)

    def _require_agreement(self) -> None:
        problem = self.account_disagreement()
        if problem is not None:
            raise AccountMismatch(problem)

    async def plan(self, *, force: bool = False) -> PlanView:
        """Decide and plan without placing anything or writing to the ledger."""
        return await self._plan(await self.portfolio(), force)

    async def _plan(self, portfolio: PortfolioView, force: bool) -> PlanView:
        decision = self.parts.policy.decide(
            portfolio.snapshot.taken_at,
            portfolio.weights,
            portfolio.targets,
            self.parts.ledger.last_rebalance_at(),
        )
        if force and not decision.rebalance:
            decision = Decision(True, f"forced (the policy said: {decision.reason})")
        if not decision.rebalance:
            return PlanView(portfolio, decision, Plan(orders=(), total_value=portfolio.total_value), force)
        advisor = self.parts.tax
        if advisor is None:
            plan = plan_rebalance(portfolio.snapshot, portfolio.targets, self.parts.planner)
            return PlanView(portfolio, decision, plan, force)
        advice = advisor.advise(
            portfolio.snapshot,
            portfolio.weights,
            portfolio.targets,
            self.parts.planner,
            self._tax_history(advisor),
        )
        return PlanView(portfolio, decision, advice.plan, force, advice)

    async def rebalance(
        self,
        *,
        dry_run: bool = False,
        force: bool = False,
        command: str = "rebalance",
        override_kill_switch: bool = False,
    ) -> RunOutcome:
        """One rebalance run, recorded in the ledger from start to end.

        A run that stopped half-way earlier (killed, or the venue went away with orders in flight) is
        finished first, instead of starting a new one. A failure before any order was placed, or one
        that is not temporary, marks the run ``failed`` with its one-line reason and re-raises; a
        temporary failure or an interruption while orders are in flight leaves the run open for the
        next run to reconcile; so does a ledger that cannot be written then (disk full, database locked),
        since an order the venue executed may lack its record. Every record written stays, each one
        complete. A paper account that disagrees with the ledger is refused before anything else.
        A rebalance called while another run of this bot is going waits for it (see :class:`Bot`).
        """
        async with self._one_run:
            with self._market_held():
                return await self._rebalance(dry_run, force, command, override_kill_switch)

    async def _rebalance(
        self, dry_run: bool, force: bool, command: str, override_kill_switch: bool
    ) -> RunOutcome:
        ledger = self.parts.ledger
        self._require_agreement()
        if not dry_run:
            unfinished = ledger.unfinished_run()
            if unfinished is not None:
                return await self._guarded(unfinished, self._resume(unfinished, command), resuming=True)
            if not override_kill_switch:
                self._check_kill_switch()
        started = self.parts.clock()
        mode = RunMode.DRY_RUN if dry_run else RunMode.LIVE
        run_id = self._start_run(command, mode, force, started)
        return await self._guarded(run_id, self._run(run_id, started, mode, dry_run=dry_run, force=force))

    def _start_run(self, command: str, mode: RunMode, forced: bool, started: datetime) -> int:
        return self.parts.ledger.start_run(
            command=command,
            venue=self.parts.venue.name,
            mode=mode,
            forced=forced,
            started_at=started,
            config_digest=self.parts.config_digest,
        )

    def _tax_history(self, advisor: TaxAdvisor) -> list[TaxEvent]:
        """Every tax event so far: the imported history and the bot's fills, in the rules' currency."""
        return all_events(
            self.parts.ledger,
            rates=advisor.rates,
            report_currency=advisor.rules.currency,
            wallet=advisor.wallet,
        )

    async def _guarded(self, run_id: int, job: Awaitable[RunOutcome], resuming: bool = False) -> RunOutcome:
        ledger, clock = self.parts.ledger, self.parts.clock
        self._in_flight = resuming
        try:
            outcome = await job
        except BaseException as error:  # including Ctrl-C and cancellation
            ended = ending(error, in_flight=self._in_flight)
            if ended is None:  # orders may be on the venue, some perhaps without their record
                if isinstance(error, LedgerError):
                    raise stays_open(error) from error
                raise
            # If the ledger itself is what failed, marking the run may fail too; the original error matters more.
            with contextlib.suppress(LedgerError):
                ledger.finish_run(run_id, ended[0], clock(), error=ended[1])
            raise
        try:
            ledger.finish_run(run_id, outcome.status, clock())
        except LedgerError as error:
            if not self._in_flight:
                raise
            raise stays_open(error) from error
        return outcome

    def _check_kill_switch(self) -> None:
        failures, last_error = self.parts.ledger.consecutive_failures()
        if failures >= self.parts.max_consecutive_failures:
            raise KillSwitchTripped(
                Wording.of(
                    f"kill switch: the last {failures} runs failed (latest: {last_error}); fix the cause, "
                    "then run ",
                    Mention("override_kill_switch"),
                    " once",
                )
            )

    async def _run(
        self, run_id: int, started: datetime, mode: RunMode, *, dry_run: bool, force: bool
    ) -> RunOutcome:
        before = await self.portfolio()
        self._record_before(run_id, before)
        planned = await self._plan(before, force)
        self.parts.ledger.record_decision(run_id, planned.decision, planned.targets)
        if not planned.decision.rebalance:
            return RunOutcome(run_id, RunStatus.SKIPPED, mode, planned, (), None)
        return await self._execute(run_id, started, mode, planned, dry_run=dry_run)

    async def _execute(
        self, run_id: int, started: datetime, mode: RunMode, planned: PlanView, *, dry_run: bool = False
    ) -> RunOutcome:
        # The plan is journaled before the first order: a crash from here on can be resumed.
        ids = {o.leg: client_order_id(run_id, started, o.leg) for o in planned.plan.orders}
        self.parts.ledger.record_plan(run_id, planned.plan, ids)
        if dry_run or not planned.plan.orders:
            return RunOutcome(run_id, RunStatus.COMPLETED, mode, planned, (), None)
        self._in_flight = True
        execution = await self._executor().execute(
            run_id=run_id,
            run_started=started,
            plan=planned.plan,
            snapshot=planned.portfolio.snapshot,
            targets=planned.targets,
            settings=self.parts.planner,
        )
        return await self._finish(run_id, mode, planned, execution)

    async def harvest(self, *, min_loss: Decimal, execute: bool = False) -> HarvestOutcome:
        """Tax-loss harvesting candidates (:mod:`trimtab.tax.harvest`) of the targeted assets; with
        ``execute``, a live run recorded in the ledger (command ``harvest``) sells the worthwhile,
        allowed ones and the executor buys back towards the targets (:mod:`trimtab.tax.harvest_plan`).
        Needs the config's ``tax:`` section. With ``execute`` it waits for a run going on (see :class:`Bot`)."""
        advisor = self.parts.tax
        if advisor is None:
            raise PlanningError("tax harvest needs the config's tax: section")
        if not execute:
            return await self._harvest(advisor, min_loss, execute=False)
        async with self._one_run:
            self._require_agreement()
            with self._market_held():
                return await self._harvest(advisor, min_loss, execute=True)

    async def _harvest(self, advisor: TaxAdvisor, min_loss: Decimal, *, execute: bool) -> HarvestOutcome:
        portfolio = await self.portfolio()
        history = self._tax_history(advisor)
        found, plan = plan_harvest(
            advisor, portfolio.snapshot, portfolio.targets, history, self.parts.planner, min_loss
        )
        if not execute or not plan.orders:
            return HarvestOutcome(found, plan)
        ledger = self.parts.ledger
        unfinished = ledger.unfinished_run()
        if unfinished is not None:
            raise GuardTripped(
                f"run {unfinished} is unfinished; `trimtab rebalance` finishes it, then harvest again"
            )
        self._check_kill_switch()
        planned = PlanView(portfolio, Decision(True, harvest_reason(found)), plan, forced=False)
        started = self.parts.clock()
        run_id = self._start_run("harvest", RunMode.LIVE, False, started)
        return HarvestOutcome(
            found, plan, await self._guarded(run_id, self._harvest_run(run_id, started, planned))
        )

    async def _harvest_run(self, run_id: int, started: datetime, planned: PlanView) -> RunOutcome:
        self._record_before(run_id, planned.portfolio)
        self.parts.ledger.record_decision(run_id, planned.decision, planned.targets)
        return await self._execute(run_id, started, RunMode.LIVE, planned)

    def _record_before(self, run_id: int, view: PortfolioView) -> None:
        self.parts.ledger.record_snapshot(
            run_id, SnapshotKind.BEFORE, view.snapshot, view.weights, view.targets, view.total_value
        )

    async def _resume(self, run_id: int, command: str) -> RunOutcome:
        """Finish the unfinished run ``run_id`` from its journal (see :meth:`Executor.resume`)."""
        detail = self.parts.ledger.run_detail(run_id)
        assert detail is not None  # unfinished_run() just returned it
        if not detail.planned_orders and not detail.skipped:
            return await self._resume_unplanned(detail)
        current = await self.portfolio()
        journal = [
            (_planned(record), record.client_order_id)
            for record in detail.planned_orders
            if record.client_order_id is not None
        ]
        targets = detail.targets or dict(current.targets)
        decision = Decision(
            True, f"resumed unfinished run {run_id} ({detail.summary.reason or 'no decision'})"
        )
        planned = PlanView(
            current, decision, Plan(tuple(o for o, _ in journal), (), current.total_value), False
        )
        execution = await self._executor().resume(
            run_id=run_id,
            run_started=detail.summary.started_at,
            journal=journal,
            snapshot=current.snapshot,
            targets=targets,
            settings=self.parts.planner,
        )
        return await self._finish(run_id, RunMode.LIVE, planned, execution)

    async def _resume_unplanned(self, detail: RunDetail) -> RunOutcome:
        """Finish a run that stopped before its plan was journaled: it placed nothing (orders are placed
        only once journaled), so it is decided and planned now, from the current portfolio, as the run
        it was (its client order ids included). A harvest is not guessed at: it is closed as skipped."""
        self._in_flight = False  # nothing of this run is on the venue yet
        run = detail.summary
        current = await self.portfolio()
        if not any(s.kind is SnapshotKind.BEFORE for s in detail.snapshots):
            self._record_before(run.id, current)
        if run.command == "harvest":
            planned = PlanView(
                current,
                Decision(False, "it placed nothing; run `trimtab tax harvest --execute` again"),
                Plan((), (), current.total_value),
                False,
            )
        else:
            planned = await self._plan(current, run.forced)
        said = planned.decision
        reason = f"resumed run {run.id}, stopped before its plan was recorded: {said.reason}"
        planned = replace(planned, decision=Decision(said.rebalance, reason))
        if run.reason is None:  # the run recorded no decision before it stopped
            self.parts.ledger.record_decision(run.id, planned.decision, planned.targets)
        if not said.rebalance:
            return RunOutcome(run.id, RunStatus.SKIPPED, RunMode.LIVE, planned, (), None)
        return await self._execute(run.id, run.started_at, RunMode.LIVE, planned)

    async def _finish(
        self, run_id: int, mode: RunMode, planned: PlanView, execution: Execution
    ) -> RunOutcome:
        after = self.view(await self.snapshot())
        self.parts.ledger.record_snapshot(
            run_id, SnapshotKind.AFTER, after.snapshot, after.weights, after.targets, after.total_value
        )
        return RunOutcome(
            run_id, RunStatus.COMPLETED, mode, planned, execution.results, after, execution.buy_plan
        )

    def _executor(self) -> Executor:
        return Executor(self.parts.venue, self.parts.ledger, self.parts.clock, self.parts.execution)

    async def close(self) -> None:
        """Close the venue's connection and the ledger, once the run going on (if any) has finished."""
        async with self._one_run:
            await self.parts.venue.close()
            self.parts.ledger.close()


def _planned(record: PlannedOrderRecord) -> PlannedOrder:
    return PlannedOrder(
        leg=record.leg,
        asset=record.asset,
        symbol=record.symbol,
        side=record.side,
        amount=record.amount,
        limit_price=record.limit_price,
        reference_price=record.reference_price,
        value=record.value,
    )

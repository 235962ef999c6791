"""The core every front end calls (the CLI now; the web server and the notifier next).

One rebalance is one trip through snapshot -> targets -> decision -> plan -> execution -> ledger.
:class:`Bot` wires those pieces together; it holds no state of its own between calls except what the
venue and the ledger keep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from trimtab.app.cash_flows import cash_flows, noted, release_withdrawn
from trimtab.app.dust_sweep import sweep_dust
from trimtab.app.guards import guard_portfolio
from trimtab.app.harvest_run import run_harvest
from trimtab.app.outcomes import HarvestOutcome, PlanView, PortfolioView, RunOutcome
from trimtab.app.parts import BotParts, portfolio_view, read_snapshot
from trimtab.app.resume import resume_run
from trimtab.app.run_endings import ending, stays_open
from trimtab.app.withdrawal import WithdrawOutcome, cancel_set_asides, run_withdrawal
from trimtab.errors import (
    AccountMismatch,
    GuardTripped,
    KillSwitchTripped,
    LedgerError,
    MarketUnsafe,
    Mention,
    PlanningError,
    PortfolioBusy,
    Wording,
)
from trimtab.execution.agreement import account_disagreement
from trimtab.execution.client_ids import client_order_id
from trimtab.execution.executor import Execution, Executor
from trimtab.ledger.cash_records import SetAside
from trimtab.ledger.records import (
    RunDetail,
    RunMode,
    RunStatus,
    RunSummary,
    SnapshotKind,
)
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.policy.base import Decision
from trimtab.tax.advisor import TaxAdvisor
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
        #: On a ledger several processes share (PostgreSQL): whether this process still holds the
        #: portfolio's lock, asked before every run that trades (see :meth:`_require_lock`).
        self.still_driving: Callable[[], bool] | None = None

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
        """The current portfolio against its targets, with the deposits and withdrawals since the
        ledger's latest snapshot (:mod:`trimtab.app.cash_flows`)."""
        view = self.view(await self.snapshot())
        return replace(view, cash_flows=cash_flows(self.parts.ledger, view.snapshot, view.assets))

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
        """Decide and plan without placing anything or writing to the ledger (the guards checked:
        a frozen asset is planned around, an unsafe market raises MarketUnsafe as a run would)."""
        return await self._plan(await self._guard(await self.portfolio()), force)

    async def _guard(self, view: PortfolioView, run_id: int | None = None) -> PortfolioView:
        """``view`` with the assets the guards freeze (:mod:`trimtab.app.guards`), their findings
        recorded for run ``run_id``; raises MarketUnsafe when a guard stops the run."""
        guarded, check = await guard_portfolio(self.parts, view)
        if run_id is not None and check.findings:
            self.parts.ledger.record_guards(run_id, check.findings, view.snapshot.taken_at)
        if check.stop is not None:
            raise MarketUnsafe(check.stop)
        return guarded

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
            self._require_lock()
            unfinished = ledger.unfinished_run()
            if unfinished is not None:
                return await self._guarded(unfinished, resume_run(self, unfinished), resuming=True)
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

    def _check_can_start(self, again: str) -> None:
        """Refuse a run that does not resume an unfinished one (a harvest, a withdrawal: ``again`` names
        what to do again) while a run is unfinished (GuardTripped) or the kill switch is tripped."""
        self._require_lock()
        unfinished = self.parts.ledger.unfinished_run()
        if unfinished is not None:
            raise GuardTripped(
                f"run {unfinished} is unfinished; `trimtab rebalance` finishes it, then {again} again"
            )
        self._check_kill_switch()

    def _require_lock(self) -> None:
        """Refuse to trade once this process has lost the portfolio's lock (its PostgreSQL session ended:
        the server restarted, the network failed): another process may drive the portfolio by now."""
        if self.still_driving is not None and not self.still_driving():
            raise PortfolioBusy(
                "portfolio busy: this process lost the portfolio's lock (its PostgreSQL session ended), so "
                "another may drive it now; nothing was done, start the command again"
            )

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
        if not dry_run:  # a set-aside the owner withdrew is released (trimtab.app.cash_flows)
            release_withdrawn(self.parts.ledger, before.snapshot.balances, self.parts.clock())
        self._record_before(run_id, before)
        before = await self._guard(before, run_id)
        planned = noted(await self._plan(before, force), before.cash_flows)
        self.parts.ledger.record_decision(run_id, planned.decision, planned.targets)
        if not planned.decision.rebalance:
            return RunOutcome(run_id, RunStatus.SKIPPED, mode, planned, (), None)
        return await self._execute(run_id, started, mode, planned, dry_run=dry_run)

    async def _execute(
        self, run_id: int, started: datetime, mode: RunMode, planned: PlanView, *, dry_run: bool = False
    ) -> RunOutcome:
        self._record_plan(run_id, started, planned.plan)
        if dry_run or not planned.plan.orders:
            return RunOutcome(run_id, RunStatus.COMPLETED, mode, planned, (), None)
        snapshot, settings = planned.portfolio.snapshot, self.parts.planner
        execution = await self._trade(
            run_id, started, planned.plan, snapshot=snapshot, targets=planned.targets, settings=settings
        )
        return await self._finish(run_id, mode, planned, execution)

    def _record_plan(self, run_id: int, started: datetime, plan: Plan) -> None:
        """Journal the plan and its client order ids before the first order: from here on a crash resumes."""
        ids = {o.leg: client_order_id(run_id, started, o.leg) for o in plan.orders}
        self.parts.ledger.record_plan(run_id, plan, ids)

    async def _trade(
        self, run_id: int, started: datetime, plan: Plan, *, snapshot: Snapshot, targets: Mapping[str, Decimal],
        settings: PlannerSettings,
    ) -> Execution:  # fmt: skip
        """Execute the journaled ``plan``; from its first order on, the run is in flight (:meth:`_guarded`)."""
        if not plan.orders:
            return Execution((), None)
        self._in_flight = True
        return await self._executor().execute(
            run_id=run_id,
            run_started=started,
            plan=plan,
            snapshot=snapshot,
            targets=targets,
            settings=settings,
        )

    async def harvest(self, *, min_loss: Decimal, execute: bool = False) -> HarvestOutcome:
        """Tax-loss harvesting candidates (:mod:`trimtab.tax.harvest`) of the targeted assets; with
        ``execute``, a live run recorded in the ledger (command ``harvest``) sells the worthwhile,
        allowed ones and the executor buys back towards the targets (:mod:`trimtab.tax.harvest_plan`).
        Needs the config's ``tax:`` section. With ``execute`` it waits for a run going on (see :class:`Bot`)."""
        advisor = self.parts.tax
        if advisor is None:
            raise PlanningError("tax harvest needs the config's tax: section")
        if not execute:
            return await run_harvest(self, advisor, min_loss, execute=False)
        async with self._one_run:
            self._require_agreement()
            with self._market_held():
                return await run_harvest(self, advisor, min_loss, execute=True)

    async def withdraw(
        self, amount: Decimal, asset: str | None = None, *, dry_run: bool = False
    ) -> WithdrawOutcome:
        """Raise ``amount`` of ``asset`` (default: the quote) for the owner to withdraw, as one run
        (:mod:`trimtab.app.withdrawal`). Waits for a run going on (see :class:`Bot`)."""
        async with self._one_run:
            self._require_agreement()
            with self._market_held():
                return await run_withdrawal(self, amount, asset, dry_run=dry_run)

    async def cancel_withdrawals(self) -> list[SetAside]:
        """Give what withdrawals set aside back to the portfolio (``trimtab withdraw --cancel``)."""
        async with self._one_run:
            return await cancel_set_asides(self)

    def _record_before(self, run_id: int, view: PortfolioView) -> None:
        self.parts.ledger.record_snapshot(
            run_id, SnapshotKind.BEFORE, view.snapshot, view.weights, view.targets, view.total_value
        )

    async def _finish(
        self, run_id: int, mode: RunMode, planned: PlanView, execution: Execution
    ) -> RunOutcome:
        snapshot = await self.snapshot()
        swept = await sweep_dust(self.parts, run_id, snapshot, planned.portfolio.targets, mode)
        if swept is not None and swept.converted:
            snapshot = await self.snapshot()  # the dust's proceeds are in the balances now
        after = self.view(snapshot)
        self.parts.ledger.record_snapshot(
            run_id, SnapshotKind.AFTER, after.snapshot, after.weights, after.targets, after.total_value
        )
        return RunOutcome(
            run_id,
            RunStatus.COMPLETED,
            mode,
            planned,
            execution.results,
            after,
            execution.buy_plan,
            dust_sweep=swept,
            top_ups=execution.top_ups,
        )

    def _executor(self) -> Executor:
        return Executor(self.parts.venue, self.parts.ledger, self.parts.clock, self.parts.execution)

    async def close(self) -> None:
        """Close the venue's connection and the ledger, once the run going on (if any) has finished."""
        async with self._one_run:
            await self.parts.venue.close()
            self.parts.ledger.close()

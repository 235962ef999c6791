"""The core every front end calls (the CLI now; a daemon and a web page later).

One rebalance is one trip through snapshot -> targets -> decision -> plan -> execution -> ledger.
:class:`Bot` wires those pieces together; it holds no state of its own between calls except what the
venue and the ledger keep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from trimtab.errors import (
    AccountMismatch,
    GuardTripped,
    KillSwitchTripped,
    LedgerError,
    PlanningError,
    TemporaryVenueError,
    TrimtabError,
)
from trimtab.execution.agreement import account_disagreement
from trimtab.execution.client_ids import client_order_id
from trimtab.execution.executor import Execution, ExecutionSettings, Executor
from trimtab.ledger.records import PlannedOrderRecord, RunDetail, SnapshotKind
from trimtab.ledger.store import LedgerStore
from trimtab.money import ZERO
from trimtab.outcomes import PlanView, PortfolioView, RunOutcome, fee_totals
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.policy.base import Decision, Policy
from trimtab.portfolio import Snapshot, current_weights, managed_assets, total_value
from trimtab.suggest import did_you_mean
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.harvest_plan import HarvestOutcome, harvest_reason, plan_harvest
from trimtab.tax.history import all_events
from trimtab.tax.model import TaxEvent
from trimtab.venues.port import Venue
from trimtab.weights.base import TargetWeights

# The views live in their own module; they are re-exported here, where the front ends have always found them.
__all__ = ["Bot", "BotParts", "PlanView", "PortfolioView", "RunOutcome", "fee_totals"]


@dataclass(frozen=True)
class BotParts:
    """Everything a :class:`Bot` needs, built from a config by :mod:`trimtab.assembly`."""

    venue: Venue
    ledger: LedgerStore
    policy: Policy
    weights: TargetWeights
    planner: PlannerSettings
    execution: ExecutionSettings
    max_consecutive_failures: int
    quote: str
    config_digest: str
    clock: Callable[[], datetime]
    tax: TaxAdvisor | None = None  # tax-aware planning (config ``tax:``)


class Bot:
    """Reads the portfolio, decides, plans and rebalances through one venue, recording to one ledger."""

    def __init__(self, parts: BotParts) -> None:
        self.parts = parts
        self._in_flight = False  # True once orders of the current run may be on the venue

    async def snapshot(self) -> Snapshot:
        """Balances, prices, market rules, fee rate and (for dynamic weights) history, read in one go."""
        venue, quote = self.parts.venue, self.parts.quote
        balances = await venue.fetch_balances()
        wanted = sorted(
            (set(self.parts.weights.assets) | {a for a, b in balances.items() if b.total > 0}) - {quote}
        )
        prices = await venue.fetch_prices(quote, wanted)
        markets = await venue.fetch_markets(quote, sorted(prices))
        fee_rate = await venue.fetch_fee_rate()
        closes: dict[str, tuple[Decimal, ...]] = {}
        if self.parts.weights.lookback_days:
            history = await venue.fetch_daily_closes(
                quote,
                [a for a in self.parts.weights.assets if a != quote],
                self.parts.weights.lookback_days + 1,
            )
            closes = {a: tuple(v) for a, v in history.items()}
        return Snapshot(quote, balances, prices, markets, fee_rate, self.parts.clock(), closes)

    async def portfolio(self) -> PortfolioView:
        """The current portfolio against its targets."""
        return self.view(await self.snapshot())

    def view(self, snapshot: Snapshot) -> PortfolioView:
        targets = self.parts.weights.targets(snapshot.closes)
        missing = sorted(a for a in targets if a != snapshot.quote and a not in snapshot.prices)
        if missing:
            raise PlanningError(
                f"no price for {', '.join(missing)} against {snapshot.quote} on {self.parts.venue.name}"
                + did_you_mean(missing[0], snapshot.prices)
            )
        assets = managed_assets(snapshot, targets, include_unlisted=self.parts.planner.sell_unlisted)
        unmanaged = {
            a: b.total for a, b in sorted(snapshot.balances.items()) if b.total > 0 and a not in assets
        }
        return PortfolioView(
            snapshot=snapshot,
            assets=tuple(assets),
            weights=current_weights(snapshot, assets),
            targets={a: targets.get(a, ZERO) for a in assets},
            total_value=total_value(snapshot, assets),
            unmanaged=unmanaged,
        )

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
        """
        ledger = self.parts.ledger
        self._require_agreement()
        if not dry_run:
            unfinished = ledger.unfinished_run()
            if unfinished is not None:
                return await self._guarded(unfinished, self._resume(unfinished, command), resuming=True)
            if not override_kill_switch:
                self._check_kill_switch()
        started = self.parts.clock()
        mode = "dry-run" if dry_run else "live"
        run_id = self._start_run(command, mode, force, started)
        return await self._guarded(run_id, self._run(run_id, started, mode, dry_run=dry_run, force=force))

    def _start_run(self, command: str, mode: str, forced: bool, started: datetime) -> int:
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
            open_ended = isinstance(
                error, TemporaryVenueError | LedgerError | KeyboardInterrupt | asyncio.CancelledError
            )
            if self._in_flight and open_ended:
                # Orders may be on the venue, some perhaps without their record: the run stays open and
                # the next run reconciles it with the venue. Marking it failed would lose them for good.
                if isinstance(error, LedgerError):
                    raise _stays_open(error) from error
                raise
            # Bad input (a config, a data file: exit code 2) found before any order is fixed by the user,
            # not by waiting: the run ends "skipped" with its reason, which the kill switch does not count.
            bad_input = isinstance(error, TrimtabError) and error.exit_code == 2 and not self._in_flight
            # Ctrl-C before any order is the user's choice, not the venue failing: "skipped" too, so three
            # interruptions do not trip the kill switch.
            interrupted = isinstance(error, KeyboardInterrupt | asyncio.CancelledError)
            reason = "interrupted before any order was placed" if interrupted else _one_line(error)
            # If the ledger itself is what failed, marking the run may fail too; the original error matters more.
            with contextlib.suppress(LedgerError):
                ledger.finish_run(
                    run_id, "skipped" if bad_input or interrupted else "failed", clock(), error=reason
                )
            raise
        try:
            ledger.finish_run(run_id, outcome.status, clock())
        except LedgerError as error:
            if not self._in_flight:
                raise
            raise _stays_open(error) from error
        return outcome

    def _check_kill_switch(self) -> None:
        failures, last_error = self.parts.ledger.consecutive_failures()
        if failures >= self.parts.max_consecutive_failures:
            raise KillSwitchTripped(
                f"kill switch: the last {failures} runs failed (latest: {last_error}); fix the cause, then run "
                "`trimtab rebalance --override-kill-switch` once"
            )

    async def _run(
        self, run_id: int, started: datetime, mode: str, *, dry_run: bool, force: bool
    ) -> RunOutcome:
        before = await self.portfolio()
        self._record_before(run_id, before)
        planned = await self._plan(before, force)
        self.parts.ledger.record_decision(run_id, planned.decision, planned.targets)
        if not planned.decision.rebalance:
            return RunOutcome(run_id, "skipped", mode, planned, (), None)
        return await self._execute(run_id, started, mode, planned, dry_run=dry_run)

    async def _execute(
        self, run_id: int, started: datetime, mode: str, planned: PlanView, *, dry_run: bool = False
    ) -> RunOutcome:
        # The plan is journaled before the first order: a crash from here on can be resumed.
        ids = {o.leg: client_order_id(run_id, started, o.leg) for o in planned.plan.orders}
        self.parts.ledger.record_plan(run_id, planned.plan, ids)
        if dry_run or not planned.plan.orders:
            return RunOutcome(run_id, "completed", mode, planned, (), None)
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
        Needs the config's ``tax:`` section."""
        advisor = self.parts.tax
        if advisor is None:
            raise PlanningError("tax harvest needs the config's tax: section")
        if execute:
            self._require_agreement()
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
        run_id = self._start_run("harvest", "live", False, started)
        return HarvestOutcome(
            found, plan, await self._guarded(run_id, self._harvest(run_id, started, planned))
        )

    async def _harvest(self, run_id: int, started: datetime, planned: PlanView) -> RunOutcome:
        self._record_before(run_id, planned.portfolio)
        self.parts.ledger.record_decision(run_id, planned.decision, planned.targets)
        return await self._execute(run_id, started, "live", planned)

    def _record_before(self, run_id: int, view: PortfolioView) -> None:
        self.parts.ledger.record_snapshot(
            run_id, "before", view.snapshot, view.weights, view.targets, view.total_value
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
        return await self._finish(run_id, "live", planned, execution)

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
            return RunOutcome(run.id, "skipped", "live", planned, (), None)
        return await self._execute(run.id, run.started_at, "live", planned)

    async def _finish(self, run_id: int, mode: str, planned: PlanView, execution: Execution) -> RunOutcome:
        after = self.view(await self.snapshot())
        self.parts.ledger.record_snapshot(
            run_id, "after", after.snapshot, after.weights, after.targets, after.total_value
        )
        return RunOutcome(run_id, "completed", mode, planned, execution.results, after, execution.buy_plan)

    def _executor(self) -> Executor:
        return Executor(self.parts.venue, self.parts.ledger, self.parts.clock, self.parts.execution)

    async def close(self) -> None:
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


def _stays_open(error: LedgerError) -> LedgerError:
    return LedgerError(
        f"{error}; the run stays open: the next `trimtab rebalance` or `run` reconciles it with the "
        "exchange and records every order the ledger missed"
    )


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:500]

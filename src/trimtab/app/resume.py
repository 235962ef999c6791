"""Finishing a run that stopped half-way (killed, or the venue went away with orders in flight).

:meth:`~trimtab.app.service.Bot.rebalance` calls :func:`resume_run` instead of starting a new run while
the ledger holds an unfinished one. A run whose plan was journaled is finished from that journal (the
executor reconciles each order by its client order id); one that stopped before its plan was journaled
placed nothing, so it is decided and planned again from the current portfolio, as the run it was. The
caller holds the bot's run lock and records the run's end (:meth:`Bot._guarded`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from trimtab.app.outcomes import PlanView, RunOutcome
from trimtab.ledger.records import PlannedOrderRecord, RunDetail, RunMode, RunStatus, SnapshotKind
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.policy.base import Decision

if TYPE_CHECKING:
    from trimtab.app.service import Bot


async def resume_run(bot: Bot, run_id: int) -> RunOutcome:
    """Finish the unfinished run ``run_id`` from its journal (see :meth:`Executor.resume`)."""
    detail = bot.parts.ledger.run_detail(run_id)
    assert detail is not None  # unfinished_run() just returned it
    if not detail.planned_orders and not detail.skipped:
        return await _resume_unplanned(bot, detail)
    current = await bot.portfolio()
    journal = [
        (_planned(record), record.client_order_id)
        for record in detail.planned_orders
        if record.client_order_id is not None
    ]
    targets = detail.targets or dict(current.targets)
    decision = Decision(True, f"resumed unfinished run {run_id} ({detail.summary.reason or 'no decision'})")
    planned = PlanView(current, decision, Plan(tuple(o for o, _ in journal), (), current.total_value), False)
    execution = await bot._executor().resume(
        run_id=run_id,
        run_started=detail.summary.started_at,
        journal=journal,
        snapshot=current.snapshot,
        targets=targets,
        settings=bot.parts.planner,
    )
    return await bot._finish(run_id, RunMode.LIVE, planned, execution)


async def _resume_unplanned(bot: Bot, detail: RunDetail) -> RunOutcome:
    """Finish a run that stopped before its plan was journaled: it placed nothing (orders are placed
    only once journaled), so it is decided and planned now, from the current portfolio, as the run
    it was (its client order ids included). A harvest is not guessed at: it is closed as skipped."""
    bot._in_flight = False  # nothing of this run is on the venue yet
    run = detail.summary
    current = await bot.portfolio()
    if not any(s.kind is SnapshotKind.BEFORE for s in detail.snapshots):
        bot._record_before(run.id, current)
    if run.command == "harvest":
        planned = PlanView(
            current,
            Decision(False, "it placed nothing; run `trimtab tax harvest --execute` again"),
            Plan((), (), current.total_value),
            False,
        )
    else:  # guarded as a new run is (findings recorded once: not again if it got that far)
        guarded = await bot._guard(current, None if detail.guards else run.id)
        planned = await bot._plan(guarded, run.forced)
    said = planned.decision
    reason = f"resumed run {run.id}, stopped before its plan was recorded: {said.reason}"
    planned = replace(planned, decision=Decision(said.rebalance, reason))
    if run.reason is None:  # the run recorded no decision before it stopped
        bot.parts.ledger.record_decision(run.id, planned.decision, planned.targets)
    if not said.rebalance:
        return RunOutcome(run.id, RunStatus.SKIPPED, RunMode.LIVE, planned, (), None)
    return await bot._execute(run.id, run.started_at, RunMode.LIVE, planned)


def _planned(record: PlannedOrderRecord) -> PlannedOrder:
    """The journaled order ``record`` as the executor takes it."""
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

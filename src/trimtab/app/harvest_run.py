"""``trimtab tax harvest``: the tax-loss harvesting candidates, and with ``--execute`` the run that sells them.

The candidates and their plan come from :func:`~trimtab.tax.harvest_plan.plan_harvest`; executing them
is one live run in the ledger (command ``harvest``): the portfolio before, the decision (its reason names
the losses taken), the plan and its orders, the portfolio after, as a rebalance records. The caller
(:meth:`~trimtab.app.service.Bot.harvest`) holds the bot's run lock when it executes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.app.outcomes import HarvestOutcome, PlanView, RunOutcome
from trimtab.ledger.records import RunMode
from trimtab.policy.base import Decision
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.harvest_plan import harvest_reason, plan_harvest

if TYPE_CHECKING:
    from trimtab.app.service import Bot


async def run_harvest(bot: Bot, advisor: TaxAdvisor, min_loss: Decimal, *, execute: bool) -> HarvestOutcome:
    """The candidates losing at least ``min_loss`` and their plan; with ``execute`` (and a plan with
    orders), the run that carries it out. Refused while a run is unfinished."""
    portfolio = await bot.portfolio()
    history = bot._tax_history(advisor)
    found, plan = plan_harvest(
        advisor, portfolio.snapshot, portfolio.targets, history, bot.parts.planner, min_loss
    )
    if not execute or not plan.orders:
        return HarvestOutcome(found, plan)
    bot._check_can_start("harvest")
    planned = PlanView(portfolio, Decision(True, harvest_reason(found)), plan, forced=False)
    started = bot.parts.clock()
    run_id = bot._start_run("harvest", RunMode.LIVE, False, started)
    return HarvestOutcome(
        found, plan, await bot._guarded(run_id, _harvest_run(bot, run_id, started, planned))
    )


async def _harvest_run(bot: Bot, run_id: int, started: datetime, planned: PlanView) -> RunOutcome:
    bot._record_before(run_id, planned.portfolio)
    bot.parts.ledger.record_decision(run_id, planned.decision, planned.targets)
    return await bot._execute(run_id, started, RunMode.LIVE, planned)

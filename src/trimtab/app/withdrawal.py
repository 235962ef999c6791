"""``trimtab withdraw``: raise an amount of one asset for the owner to take out, and keep the rest on target.

One withdrawal is one run in the ledger (command ``withdraw``), like a rebalance: the portfolio before,
the decision (its reason says what is raised and how the sells were chosen), the plan and its orders,
the portfolio after. The sells are sized by :mod:`trimtab.planning.withdrawal` (the most over-target
assets first; with a ``tax:`` section, those that cost the least tax per unit raised, see
:func:`tax_preference`) and planned and executed like any rebalance, against pinned targets at which
nothing else trades.

Where the amount goes once raised:

* a paper account transfers it out (a simulated withdrawal): its balance drops, and the ledger records a
  set-aside released at once as ``transferred`` so the next run sees no unexplained cash flow;
* a real exchange keeps it for the owner to withdraw: a set-aside is recorded, and every later snapshot
  leaves it out of the amounts and the free balance (:class:`~trimtab.model.portfolio.Snapshot`), so no
  run re-invests it. It ends when the balance shows the owner withdrew it (:mod:`trimtab.app.cash_flows`)
  or with ``trimtab withdraw --cancel``, which gives it back to the portfolio.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from trimtab.app.cash_flows import set_aside_now
from trimtab.app.outcomes import PlanView, PortfolioView, RunOutcome
from trimtab.app.run_endings import ending
from trimtab.errors import ConfigError, LedgerError
from trimtab.ledger.cash_records import Released, SetAside
from trimtab.ledger.records import RunMode, RunStatus
from trimtab.model.money import ZERO, fmt
from trimtab.model.portfolio import Snapshot
from trimtab.planning.options import RebalanceTo, Sells
from trimtab.planning.planner import plan_rebalance
from trimtab.planning.withdrawal import WithdrawalSizing, excesses, size_withdrawal
from trimtab.policy.base import Decision
from trimtab.suggest import did_you_mean
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.history import quote_rate
from trimtab.tax.jurisdiction import TaxYear
from trimtab.tax.model import EventType, TaxEvent, priced_trade
from trimtab.tax.normalize import wallet_holdings

if TYPE_CHECKING:
    from trimtab.app.service import Bot

_WHERE = "command line"


@runtime_checkable
class TransfersOut(Protocol):
    """A venue that can move an amount out of the account itself: the paper venue."""

    async def transfer_out(self, asset: str, amount: Decimal) -> None: ...


@dataclass(frozen=True)
class WithdrawOutcome:
    """What ``trimtab withdraw`` did: the sizing, how the sells were ranked (``ranking``), the run, and
    how much of the asset is ``ready`` (``transferred`` out of a paper account, or set aside on a real
    exchange for the owner to withdraw; 0 in a dry run)."""

    sizing: WithdrawalSizing
    ranking: str
    run: RunOutcome
    ready: Decimal
    transferred: bool


def checked_request(view: PortfolioView, amount: Decimal, asset: str | None) -> str:
    """The asset to withdraw (default: the quote); a one-line ConfigError (exit 2) for a non-positive
    amount, an asset outside the portfolio, or more than the portfolio is worth."""
    if not amount.is_finite() or amount <= 0:
        raise ConfigError(_WHERE, "AMOUNT", f"must be a positive number, got {amount}")
    snapshot = view.snapshot
    name = (asset or snapshot.quote).strip().upper()
    if name not in view.assets:
        raise ConfigError(
            _WHERE,
            "--asset",
            f"{name} is not in the portfolio (its assets: {', '.join(view.assets)})"
            + did_you_mean(name, view.assets),
        )
    value = amount * snapshot.price(name)
    if value > view.total_value:
        raise ConfigError(
            _WHERE,
            "AMOUNT",
            f"{fmt(amount)} {name} is worth {fmt(value, 2)} {snapshot.quote}, more than the whole "
            f"portfolio ({fmt(view.total_value, 2)} {snapshot.quote})",
        )
    return name


def tax_preference(
    advisor: TaxAdvisor, history: Sequence[TaxEvent], snapshot: Snapshot, candidates: Mapping[str, Decimal]
) -> tuple[list[str], str]:
    """The ``candidates`` (asset -> quote value it can give) ranked by the estimated tax of selling that
    value, per unit of the quote raised, cheapest first (a loss, which saves tax, ranks before any gain;
    the quote's own cash costs none), and a sentence saying so. Each estimate is the change of the
    year's tax with that one sale added to the history (:meth:`TaxYear.adding`: the jurisdiction's
    netting, holding periods and allowances included); an asset whose lots the history lacks ranks last."""
    now = snapshot.taken_at
    currency = advisor.rules.currency
    rate = quote_rate(snapshot.quote, currency, now.date(), advisor.rates)
    year = TaxYear.of(advisor.rules, history, now)
    held = wallet_holdings(history, currency, advisor.wallet)
    costs: dict[str, Decimal] = {}
    unknown: list[str] = []
    for asset, value in sorted(candidates.items()):
        if asset == snapshot.quote:
            costs[asset] = ZERO
            continue
        price = snapshot.price(asset)
        units = value / price
        if held.get(asset, ZERO) < units:
            unknown.append(asset)
            continue
        sale = priced_trade(
            now,
            advisor.wallet,
            EventType.SELL,
            asset,
            units,
            price * rate,
            fee_rate=snapshot.fee_rate,
            currency=currency,
        )
        costs[asset] = year.adding([sale]).tax / (value * rate)
    ranked = sorted(costs, key=lambda a: (costs[a], a)) + unknown
    words = ", ".join(f"{a} {fmt(costs[a], 4)}" for a in sorted(costs, key=lambda a: (costs[a], a)))
    note = f"sold cheapest tax first (estimated {currency} of tax per {currency} raised: {words or 'none'})"
    if unknown:
        note += f"; {', '.join(unknown)} last (lots missing from the tax history)"
    return ranked, note


async def run_withdrawal(bot: Bot, amount: Decimal, asset: str | None, *, dry_run: bool) -> WithdrawOutcome:
    """Raise ``amount`` of ``asset`` (default: the quote) as one run recorded in the ledger (see the
    module docstring). The caller holds the bot's run lock (:meth:`Bot.withdraw`)."""
    parts = bot.parts
    ledger = parts.ledger
    if not dry_run:
        bot._check_can_start("withdraw")
    view = await bot.portfolio()
    name = checked_request(view, amount, asset)
    snapshot = view.snapshot
    preference: list[str] | None = None
    ranking = "sold the most over-target first"
    if parts.tax is not None:
        candidates = excesses(snapshot, view.targets, name, amount)
        preference, ranking = tax_preference(parts.tax, bot._tax_history(parts.tax), snapshot, candidates)
    steps = {a: rules.amount_step for a, rules in snapshot.markets.items()}
    sizing = size_withdrawal(
        snapshot,
        view.targets,
        name,
        amount,
        steps=steps,
        preference=preference,
        slippage_percent=parts.planner.slippage_percent,
    )
    if sizing.shortfall > 0:
        raise ConfigError(
            _WHERE,
            "AMOUNT",
            f"cannot raise {fmt(amount)} {name}: {fmt(sizing.shortfall, 2)} {snapshot.quote} of it would "
            "have to come from holdings that are external or locked",
        )
    settings = replace(
        parts.planner, sell_unlisted=False, rebalance_to=RebalanceTo.TARGET, sells=Sells.ALLOWED
    )
    plan = plan_rebalance(snapshot, sizing.targets, settings)
    decision = Decision(True, f"withdraw {fmt(amount)} {name}: {ranking}")
    planned = PlanView(view, decision, plan, forced=False)
    mode = RunMode.DRY_RUN if dry_run else RunMode.LIVE
    started = parts.clock()
    run_id = bot._start_run("withdraw", mode, False, started)
    ready: list[tuple[Decimal, bool]] = []

    async def job() -> RunOutcome:
        bot._record_before(run_id, view)
        ledger.record_decision(run_id, decision, sizing.targets)
        bot._record_plan(run_id, started, plan)
        if dry_run:
            return RunOutcome(run_id, RunStatus.COMPLETED, mode, planned, (), None)
        execution = await bot._trade(
            run_id, started, plan, snapshot=snapshot, targets=sizing.targets, settings=settings
        )
        ready.append(await _put_aside(bot, run_id, name, amount))
        return await bot._finish(run_id, mode, planned, execution)

    outcome = await bot._guarded(run_id, job())
    got, transferred = ready[0] if ready else (ZERO, False)
    return WithdrawOutcome(sizing, ranking, outcome, got, transferred)


async def _put_aside(bot: Bot, run_id: int, asset: str, amount: Decimal) -> tuple[Decimal, bool]:
    """Move what the sells raised (at most ``amount``) out of a paper account, or set it aside on a real
    exchange; record it. Returns the amount and whether it was transferred."""
    parts = bot.parts
    venue, ledger = parts.venue, parts.ledger
    balances = await venue.fetch_balances()
    held = balances.get(asset)
    free, total = (held.free, held.total) if held else (ZERO, ZERO)
    kept = set_aside_now(ledger, balances).kept.get(asset, ZERO)
    ready = min(amount, max(free - kept, ZERO))
    if ready <= 0:
        return ZERO, False
    at = parts.clock()
    if isinstance(venue, TransfersOut):
        await venue.transfer_out(asset, ready)
        ledger.record_set_aside(run_id, asset, ready, total, at, Released.TRANSFERRED)
        return ready, True
    ledger.record_set_aside(run_id, asset, ready, total, at)
    return ready, False


async def cancel_set_asides(bot: Bot) -> list[SetAside]:
    """Give every open set-aside back to the portfolio (``trimtab withdraw --cancel``); returns them.

    Recorded as a run (command ``withdraw-cancel``, nothing traded) whose snapshot, taken once they are
    released, holds the cash again: the next run sees no deposit where the set-aside came back."""
    parts = bot.parts
    ledger = parts.ledger
    open_ones = ledger.set_asides(open_only=True)
    if not open_ones:
        return []
    bot._check_kill_switch()  # a completed run would end the kill switch's count of failed runs
    run_id = bot._start_run("withdraw-cancel", RunMode.LIVE, False, parts.clock())
    ledger.release_set_asides([s.id for s in open_ones], parts.clock(), Released.CANCELLED)
    try:
        view = await bot.portfolio()
        bot._record_before(run_id, view)
    except BaseException as error:  # nothing is traded: the run ends here, never resumed as a rebalance
        ended = ending(error, in_flight=False)
        if ended is not None:
            with contextlib.suppress(LedgerError):
                ledger.finish_run(run_id, ended[0], parts.clock(), error=ended[1])
        raise
    what = ", ".join(f"{fmt(s.amount)} {s.asset} (run {s.run_id})" for s in open_ones)
    ledger.record_decision(
        run_id, Decision(False, f"gave back what withdrawals set aside: {what}"), view.targets
    )
    ledger.finish_run(run_id, RunStatus.COMPLETED, parts.clock())
    return open_ones

"""Top-up passes: their bound, when they start, the cash a run leaves above the quote's target, and a
resumed run's journaled passes.

A buy is sized for its worst allowed price, so a fill at the last price leaves cash; so do a routed
run's cross legs and sells when what they leave is too small for the buy leg. The executor's top-up
passes (:meth:`trimtab.execution.executor.Executor._top_ups`) spend what is above the quote's target.
This module holds the pure steps around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from trimtab.execution.client_ids import top_up_pass
from trimtab.model.money import HUNDRED, ZERO
from trimtab.model.orders import OrderResult, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings
from trimtab.planning.positions import managed_positions, managed_value

TOP_UP_PASSES = 4
"""At most this many top-up passes per run. Each pass leaves about ``slippage + fee`` of what it bought
in cash (a buy is sized for its worst price), so the cash left falls geometrically: with slippage 0.5 %
and fee 0.1 % from 0.6 % of the buys to 4e-5, 2e-7, 1e-9 and 8e-12 after four passes; even a 5 %
tolerance ends near 3e-7. A real market's minimum notional ends it sooner (``min_trade_usd`` does not
apply to a top-up: it decides whether a drift is worth a trade, and the run has decided); the bound
keeps a fractional venue from placing ever smaller orders."""

NEGLIGIBLE_SHARE = Decimal("1e-6")
"""Cash above the quote's target worth less than this share of the portfolio (0.0001 points) is left:
another pass would cost a plan and an order per asset to move a millionth of the value (a fractional
backtest would otherwise spend its every rebalance on passes of dust)."""

TOP_UP_MARGIN_PERCENT = Decimal("0.01")
"""The limit of a top-up buy is the slippage the run's buys really met, plus this margin (percent), never
more than ``slippage_tolerance``. A buy sized for the full tolerance leaves ``slippage + fee`` of itself in
cash when it fills near the last price; sized for the slippage observed it spends nearly all the cash in one
pass, and it still cannot overdraw (its limit bounds its fill). On a market that moved away since, the
top-up does not fill and the passes end: the next run invests what is left."""


def last_round_filled(done: Sequence[OrderResult], quote: str) -> bool:
    """Whether the last round of ``done`` filled anything: the orders of the highest top-up pass, else
    the quote buys (the buy leg, or a first plan without sells), else the first leg (cross legs and
    sells). The passes start and go on only after a round that filled: only fills move cash, and a
    round of unfilled orders (expired, cancelled) would only be placed again at the same prices."""
    quote_market = f"/{quote}"

    def round_of(result: OrderResult) -> tuple[int, bool]:
        buys_quote = result.side is Side.BUY and result.symbol.endswith(quote_market)
        return top_up_pass(result.client_order_id), buys_quote

    if not done:
        return False
    last = max(round_of(r) for r in done)
    return any(r.filled > 0 for r in done if round_of(r) == last)


def observed_slippage(done: Sequence[OrderResult], snapshot: Snapshot) -> Decimal | None:
    """The worst slippage (percent above the planning price, at least 0) the filled quote buys of
    ``done`` met, or None when no quote buy filled."""
    quote_market = f"/{snapshot.quote}"
    worst: Decimal | None = None
    for result in done:
        average = result.average_price
        if result.side is not Side.BUY or average is None or not result.symbol.endswith(quote_market):
            continue
        planned = snapshot.prices.get(result.symbol[: -len(quote_market)])
        if planned is None or planned <= 0:
            continue
        moved = max(ZERO, (average / planned - 1) * HUNDRED)
        worst = moved if worst is None else max(worst, moved)
    return worst


def top_up_slippage(done: Sequence[OrderResult], snapshot: Snapshot, tolerance: Decimal) -> Decimal:
    """The slippage a top-up pass sizes its buys for (see :data:`TOP_UP_MARGIN_PERCENT`)."""
    observed = observed_slippage(done, snapshot)
    return tolerance if observed is None else min(tolerance, observed + TOP_UP_MARGIN_PERCENT)


def cash_above_target(
    snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings
) -> Snapshot | None:
    """``snapshot`` with the quote's free balance cut to the cash above the quote's target weight (so a
    buy-only plan cannot spend the cash the owner asked to keep), or None when there is none worth a pass
    (:data:`NEGLIGIBLE_SHARE`).

    The portfolio value is the planner's: the quote's amount and every managed position at its price.
    """
    quote = snapshot.quote
    positions, _ = managed_positions(snapshot, targets, sell_unlisted=settings.sell_unlisted)
    amount, value = snapshot.amount(quote), managed_value(snapshot, positions)
    spendable = min(snapshot.free(quote), amount - value * targets.get(quote, ZERO) / HUNDRED)
    if spendable <= value * NEGLIGIBLE_SHARE:
        return None
    held = snapshot.balances.get(quote)
    total = held.total if held is not None else spendable
    return replace(snapshot, balances={**snapshot.balances, quote: Balance(spendable, total)})


def journaled_plans(
    replanned: Sequence[tuple[PlannedOrder, str]],
) -> tuple[Plan | None, list[Plan]]:
    """A resumed run's journaled buys planned after the first plan, as plans: the buy leg's (None when
    it has none) and one per top-up pass, in pass order (their skipped trades were not journaled)."""
    passes: dict[int, list[PlannedOrder]] = {}
    for order, cid in replanned:
        passes.setdefault(top_up_pass(cid), []).append(order)
    buy_leg = passes.pop(0, None)
    top_ups = [Plan(tuple(passes[number])) for number in sorted(passes)]
    return (Plan(tuple(buy_leg)) if buy_leg else None), top_ups

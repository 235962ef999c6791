"""The planner: which orders bring a portfolio back to its target weights.

Pure and deterministic: a :class:`~trimtab.model.portfolio.Snapshot`, target weights and settings in, a
:class:`~trimtab.planning.plan.Plan` out. The plan is safe to execute even when every order fills at
its worst allowed price: sells come first, and the buys are sized to the cash the sells produce at
their limit prices after fees, with every buy's locked ``amount x limit`` (plus a fee reserve) covered.

Here: :func:`plan_rebalance`, which chooses how a rebalance is planned (around frozen assets, routed
through cross pairs, or against the quote), and :func:`quote_plan`, which holds back the assets whose
buys cannot be placed. The orders of one pass are sized in :mod:`trimtab.planning.quote_pass` (its
steps are listed there); the settings are :class:`~trimtab.planning.settings.PlannerSettings`,
re-exported here where callers have always imported them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from trimtab.model.money import ZERO
from trimtab.model.portfolio import Snapshot
from trimtab.planning.constraints import exact_arithmetic
from trimtab.planning.effective_targets import effective_targets
from trimtab.planning.frozen_assets import around_frozen
from trimtab.planning.held_assets import held_notes, held_targets
from trimtab.planning.options import Routing
from trimtab.planning.plan import Plan, SkippedTrade
from trimtab.planning.quote_pass import QuotePass
from trimtab.planning.settings import PlannerSettings

__all__ = ["PlannerSettings", "estimated_fees", "plan_rebalance", "quote_plan"]


def plan_rebalance(
    snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings, *, first_leg: int = 0
) -> Plan:
    """The plan of one rebalance: with ``routing: cheapest``, sells allowed and cross pairs in the
    snapshot, routed through them where that is cheaper (:func:`trimtab.planning.routing.routed_plan`);
    otherwise every trade against the quote (:func:`quote_plan`). ``estimated_fees`` is always filled,
    ``quote_route_fees`` whenever routing is cheapest. An asset a guard froze (``snapshot.frozen``)
    stays where it is and the rest is rebalanced around it (:mod:`trimtab.planning.frozen_assets`)."""
    if snapshot.frozen:
        thawed, pinned, notes = around_frozen(snapshot, targets, sell_unlisted=settings.sell_unlisted)
        plan = plan_rebalance(thawed, pinned, settings, first_leg=first_leg)
        others = tuple(t for t in plan.skipped if t.asset not in snapshot.frozen)  # the pin's rounding
        return replace(plan, skipped=notes + others)
    targets = effective_targets(snapshot, targets, settings)  # rebalance_to, sells, buy-first
    if settings.routing is Routing.CHEAPEST and settings.allow_sells and snapshot.pairs:
        from trimtab.planning.routing import routed_plan  # scipy is imported only when it routes

        return routed_plan(snapshot, targets, settings, first_leg=first_leg)
    plan = quote_plan(snapshot, targets, settings, first_leg=first_leg)
    fees = estimated_fees(plan, snapshot.fee_rate)
    return replace(
        plan, estimated_fees=fees, quote_route_fees=None if settings.routing is Routing.QUOTE else fees
    )


def estimated_fees(plan: Plan, fee_rate: Decimal) -> Decimal:
    """What ``plan``'s orders pay at ``fee_rate``, in the portfolio quote: each order's value x the rate
    (a sell's fee comes out of its proceeds, a buy's out of what it receives; both are worth that)."""
    with exact_arithmetic():
        return sum((o.value for o in plan.orders), ZERO) * fee_rate


def quote_plan(
    snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings, *, first_leg: int = 0
) -> Plan:
    """The orders that move ``snapshot`` towards ``targets`` (percent per asset, summing to 100; the
    quote asset is cash and may have a target), sells first, and the trades that were skipped and why.
    The orders' legs are numbered from ``first_leg`` (the executor continues a run's numbering with it).

    Raises :class:`PlanningError` when a targeted asset has no price or market, or when the targets or
    the snapshot are invalid.

    Example: 0.1 BTC at 60000 and 4000 USDT (``V`` = 10000) with targets ``{"BTC": 50, "USDT": 50}``
    and slippage 0.5 % give one order: sell 0.01666 BTC (1000 / 60000 floored to the 0.00001 step) at
    a limit of 59700.
    """
    with exact_arithmetic():
        planner = QuotePass(snapshot, targets, settings)
        plan = planner.plan(first_leg)
        # A sell made to pay for a buy that cannot be placed would only move the portfolio into cash:
        # hold such an asset where it is and rebalance the others among themselves (see held_assets).
        held: dict[str, SkippedTrade] = {}
        while plan.sells and planner.unplaceable.keys() - held.keys():
            held |= {a: t for a, t in planner.unplaceable.items() if a not in held}
            pinned = held_targets(
                targets, held, quote=planner.quote, positions=planner.positions, value=planner.value
            )
            planner = QuotePass(snapshot, pinned, settings)
            plan = planner.plan(first_leg)
        if not held:
            return plan
        return Plan(plan.orders, held_notes(held) + plan.skipped, plan.total_value)

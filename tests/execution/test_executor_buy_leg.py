"""The executor's buy leg: planned again from the balances the sells left, numbered after the first plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from journals import Journal

from trimtab.execution.executor import Executor
from trimtab.model.orders import OrderResult, Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.pricedata import bundled_history
from trimtab.venues.paper import PaperSettings, PaperVenue

D = Decimal
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
TARGETS = {"BTC": D(50), "ETH": D(50)}
SETTINGS = PlannerSettings(D(10), D(100), D("0.5"))


async def rebalance(settings: PlannerSettings) -> tuple[Plan, Journal, tuple[OrderResult, ...]]:
    """All in BTC, half of it to sell for ETH, through a fresh paper venue."""
    venue = PaperVenue(
        PaperSettings(balances={"BTC": D("0.1")}, prices={"BTC": D(60000), "ETH": D(3000)}),
        quote="USDT",
        state_path=None,
        history=bundled_history(),
        clock=lambda: NOW,
    )
    prices = await venue.fetch_prices("USDT", ["BTC", "ETH"])
    markets = await venue.fetch_markets("USDT", ["BTC", "ETH"])
    snapshot = Snapshot("USDT", await venue.fetch_balances(), prices, markets, D("0.001"), NOW)
    plan = plan_rebalance(snapshot, TARGETS, settings)
    journal = Journal()
    execution = await Executor(venue, journal, lambda: NOW).execute(
        run_id=1, run_started=NOW, plan=plan, snapshot=snapshot, targets=TARGETS, settings=SETTINGS
    )
    return plan, journal, execution.results


async def test_the_buys_are_planned_again_and_numbered_after_the_first_plans_legs() -> None:
    plan, journal, results = await rebalance(SETTINGS)

    assert [(o.leg, o.side) for o in plan.orders] == [(0, Side.SELL), (1, Side.BUY)]
    (buy_plan, ids), *top_ups = journal.plans
    assert [(o.leg, o.asset, o.side) for o in buy_plan.orders] == [(2, "ETH", Side.BUY)]
    assert ids == {2: "tt-1-250101120000-b0"}
    # The buy left ~0.6 % of its 3,000 USDT (slippage + fee reserve): one top-up pass spends it.
    [(top_up, top_up_ids)] = top_ups
    assert [(o.leg, o.asset, o.side) for o in top_up.orders] == [(3, "ETH", Side.BUY)]
    assert top_up_ids == {3: "tt-1-250101120000-b1t1"}
    assert [r.client_order_id for r in results] == [
        "tt-1-250101120000-0",
        "tt-1-250101120000-b0",
        "tt-1-250101120000-b1t1",
    ]


async def test_a_first_plan_without_its_buys_places_the_same_orders() -> None:
    # The backtester plans the first leg without buys (buys_with_sells=False): the executor re-plans
    # them anyway, so the same orders fill at the same prices.
    _, _, full = await rebalance(SETTINGS)
    _, _, lean = await rebalance(replace(SETTINGS, buys_with_sells=False))

    assert [(r.client_order_id, r.side, r.amount, r.fills) for r in lean] == [
        (r.client_order_id, r.side, r.amount, r.fills) for r in full
    ]

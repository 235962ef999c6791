"""The executor: places a plan's orders on a venue, sells first, then buys re-planned from real cash.

Sells go out in plan order. If any sell was placed, balances are read again and the buy leg is planned
anew from the cash the sells actually produced (partial fills, better prices and fees included), so a
buy can never ask for money that did not arrive. Every order result is written to the ledger as soon
as the venue answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from trimtab.execution.client_ids import client_order_id
from trimtab.ledger.store import LedgerStore
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.portfolio import Snapshot
from trimtab.venues.port import OrderRequest, OrderResult, Venue


@dataclass(frozen=True)
class Execution:
    """What the executor did: every order result, and the buy plan it made after the sells."""

    results: tuple[OrderResult, ...]
    buy_plan: Plan | None


class Executor:
    """Places orders for one run and records each result in the ledger."""

    def __init__(self, venue: Venue, ledger: LedgerStore, clock: Callable[[], datetime]) -> None:
        self._venue = venue
        self._ledger = ledger
        self._clock = clock

    async def execute(
        self,
        *,
        run_id: int,
        run_started: datetime,
        plan: Plan,
        snapshot: Snapshot,
        targets: Mapping[str, Decimal],
        settings: PlannerSettings,
    ) -> Execution:
        """Execute ``plan`` (already journaled in the ledger) and return what happened."""
        results = [await self._place(run_id, run_started, order) for order in plan.sells]
        if not plan.sells:
            results += [await self._place(run_id, run_started, order) for order in plan.buys]
            return Execution(tuple(results), None)
        buy_plan = await self._replan_buys(snapshot, targets, settings, first_leg=len(plan.orders))
        ids = {o.leg: client_order_id(run_id, run_started, o.leg) for o in buy_plan.orders}
        self._ledger.record_plan(run_id, buy_plan, ids)
        results += [await self._place(run_id, run_started, order) for order in buy_plan.buys]
        return Execution(tuple(results), buy_plan)

    async def _place(self, run_id: int, run_started: datetime, order: PlannedOrder) -> OrderResult:
        request = OrderRequest(
            symbol=order.symbol,
            side=order.side,
            amount=order.amount,
            limit_price=order.limit_price,
            client_order_id=client_order_id(run_id, run_started, order.leg),
        )
        result = await self._venue.place_order(request)
        self._ledger.record_order(run_id, result, self._clock())
        return result

    async def _replan_buys(
        self,
        snapshot: Snapshot,
        targets: Mapping[str, Decimal],
        settings: PlannerSettings,
        first_leg: int,
    ) -> Plan:
        """Plan the buys again from the balances after the sells, at the prices of the original snapshot.

        The prices stay those the plan was made at: the slippage bound of every buy is measured from
        them, so a market that ran away between the legs cannot widen it.
        """
        balances = await self._venue.fetch_balances()
        after_sells = replace(snapshot, balances=balances)
        fresh = plan_rebalance(after_sells, targets, replace(settings, allow_sells=False))
        renumbered = tuple(replace(o, leg=first_leg + i) for i, o in enumerate(fresh.orders))
        return replace(fresh, orders=renumbered)

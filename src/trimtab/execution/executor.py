"""The executor: places a plan's orders on a venue, sells first, then buys re-planned from real cash.

Reads are retried by the venue adapters themselves; the executor only decides what an order of
unknown fate means.

Crash safety rests on three things:

- the plan is journaled in the ledger before the first order, every order has a deterministic client
  order id, and every answer is written to the ledger as soon as it arrives;
- an order whose fate is unknown (a timeout, a lost answer, an exchange that is busy) is looked up by
  its client order id before it is ever sent again, so it cannot be placed twice;
- a run that stopped half-way (killed, the venue went away, or the ledger could not record an answer)
  stays ``running`` in the ledger, and :meth:`Executor.resume` finishes it: it reconciles every
  journaled order with the venue, places the ones that never reached it, and plans the buys from the
  balances the sells really left.

Every buy is sized for its worst allowed price (``last x (1 + slippage)``, plus a fee reserve), so a fill
at the last price leaves about ``slippage + fee`` of what it bought in cash, and a routed run's cross legs
and sells can leave cash the buy leg finds too small to trade. Top-up passes spend it: while the last
round of orders filled something, cash above the quote's target remains and a buy-only plan from the real
balances has orders, that plan is journaled and placed, at most :data:`TOP_UP_PASSES` times, its buys
sized for the slippage the run's buys really met (:data:`~trimtab.execution.top_up.TOP_UP_MARGIN_PERCENT`),
so one pass usually spends the cash. Their client ids continue the buys' numbering and name the pass,
so :meth:`Executor.resume` finishes the passes a stopped run had left.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from trimtab.errors import DuplicateClientOrderId, GuardTripped, TemporaryVenueError
from trimtab.execution.client_ids import (
    client_order_id,
    is_replanned,
    replanned_buy_id,
    replanned_index,
    top_up_pass,
)
from trimtab.execution.top_up import (
    TOP_UP_PASSES,
    cash_above_target,
    journaled_plans,
    last_round_filled,
    top_up_slippage,
)
from trimtab.model.money import HUNDRED, ZERO, fmt
from trimtab.model.orders import OrderRequest, OrderResult, OrderStatus
from trimtab.model.portfolio import Snapshot
from trimtab.planning.options import Routing
from trimtab.planning.plan import Plan, PlannedOrder, spends_quote
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.venues.port import Venue

Sleep = Callable[[float], Awaitable[None]]


class Journal(Protocol):
    """Where the executor writes what it does: the ledger live, an in-memory journal in a backtest."""

    def record_plan(self, run_id: int, plan: Plan, client_order_ids: Mapping[int, str]) -> None: ...

    def record_order(self, run_id: int, result: OrderResult, at: datetime) -> None: ...


@dataclass(frozen=True)
class Execution:
    """What the executor did: every order result, the buy plan it made after the sells (None when the
    first plan had none), and the plan of each top-up pass it made after the buys, in order (a resumed
    run's include the journaled ones, their orders as journaled)."""

    results: tuple[OrderResult, ...]
    buy_plan: Plan | None
    top_ups: tuple[Plan, ...] = ()


@dataclass(frozen=True)
class ExecutionSettings:
    """``max_price_move_percent``: stop when a price moved more than this since planning.
    ``attempts``: how often an order of unknown fate is looked up (and, if absent, sent again).
    ``max_wait_seconds``: a longer Retry-After leaves the run open for the next run instead of waiting."""

    max_price_move_percent: Decimal = Decimal(2)
    attempts: int = 5
    pause_seconds: float = 0.5
    max_wait_seconds: float = 60.0


@dataclass(frozen=True)
class _Run:
    """What every leg of one run shares: its id and start (for client ids), the snapshot its plan was made
    at (the prices every re-plan keeps), its targets and the planner's settings."""

    run_id: int
    started: datetime
    snapshot: Snapshot
    targets: Mapping[str, Decimal]
    settings: PlannerSettings


async def _asyncio_sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported when a retry first waits: a backtest replays without an event loop
    and need not import asyncio (~20 ms of every backtest command's start)."""
    import asyncio

    await asyncio.sleep(seconds)


class Executor:
    """Places orders for one run and records each result in the ledger."""

    def __init__(
        self,
        venue: Venue,
        ledger: Journal,
        clock: Callable[[], datetime],
        settings: ExecutionSettings | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._venue = venue
        self._ledger = ledger
        self._clock = clock
        self._settings = settings or ExecutionSettings()
        self._sleep = sleep or _asyncio_sleep

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
        run = _Run(run_id, run_started, snapshot, targets, settings)
        ids = {o.leg: client_order_id(run_id, run_started, o.leg) for o in plan.orders}
        # First-leg orders (cross legs, then sells) before anything that spends the quote.
        first = plan.first_leg(snapshot.quote)
        results = [await self._place(run_id, order, ids[order.leg]) for order in first]
        if not first:
            results += [await self._place(run_id, order, ids[order.leg]) for order in plan.orders]
            next_leg = max((o.leg for o in plan.orders), default=-1) + 1
            return await self._top_ups(run, results, (), next_leg=next_leg)
        return await self._buy_leg(run, results, first_leg=len(plan.orders))

    async def resume(
        self,
        *,
        run_id: int,
        run_started: datetime,
        journal: Sequence[tuple[PlannedOrder, str]],
        snapshot: Snapshot,
        targets: Mapping[str, Decimal],
        settings: PlannerSettings,
    ) -> Execution:
        """Finish a run that stopped half-way, from its journal of (planned order, client order id).

        Every journaled order is first looked up on the venue; only those the venue never saw are placed.
        """
        # The stopped process may have sent an order just before it died: wait until such a request can
        # no longer execute, so a lookup that finds nothing really means the venue never saw it.
        await self._sleep(self._venue.order_request_lifetime)
        run = _Run(run_id, run_started, snapshot, targets, settings)
        first = [(o, cid) for o, cid in journal if not is_replanned(cid)]
        again = [(o, cid) for o, cid in journal if is_replanned(cid)]
        sells = [(o, cid) for o, cid in first if not spends_quote(o, snapshot.quote)]
        results = [await self._ensure(run_id, order, cid) for order, cid in sells]
        if not sells:
            results += [
                await self._ensure(run_id, order, cid)
                for order, cid in first
                if spends_quote(order, snapshot.quote)
            ]
        if again or not sells:
            results += [await self._ensure(run_id, order, cid) for order, cid in again]
            next_leg = max((o.leg for o, _ in journal), default=-1) + 1
            return await self._top_ups(run, results, again, next_leg=next_leg)
        return await self._buy_leg(run, results, first_leg=max(o.leg for o, _ in journal) + 1)

    # -- one order ------------------------------------------------------------------------------

    async def _ensure(self, run_id: int, order: PlannedOrder, cid: str) -> OrderResult:
        """The journaled order as the venue knows it, placing it only if the venue never saw it."""
        known = await self._venue.fetch_order(order.symbol, cid)
        if known is None:
            return await self._place(run_id, order, cid)
        return self._record(run_id, await self._settle(known))

    async def _place(self, run_id: int, order: PlannedOrder, cid: str) -> OrderResult:
        await self._check_price(order)
        request = OrderRequest(order.symbol, order.side, order.amount, order.limit_price, cid)
        sent_at = time.monotonic()
        try:
            result = await self._venue.place_order(request)
        except TemporaryVenueError as error:
            # The order may have reached the venue even though the answer did not reach us.
            result = await self._recover(request, error, sent_at)
        except DuplicateClientOrderId:
            # A venue that already has this client id says so; the order is the one we sent before.
            known = await self._venue.fetch_order(request.symbol, request.client_order_id)
            if known is None:
                raise
            result = known
        return self._record(run_id, await self._settle(result))

    async def _recover(
        self, request: OrderRequest, error: TemporaryVenueError, sent_at: float
    ) -> OrderResult:
        """Look the order up by its client id; send it again only when the venue has no such order and
        the request that went unanswered can no longer execute.

        An unanswered request may still be in transit: Binance accepts a signed request up to its
        ``recvWindow`` after signing, and refuses a reused client id only while the first order is open
        (an immediate-or-cancel order closes at once). So the lookup waits until the venue's
        ``order_request_lifetime`` has passed since sending, and at least the ``Retry-After`` it asked for.
        """
        last = error
        for attempt in range(self._settings.attempts):
            await self._wait(last, attempt, sent_at)
            try:
                found = await self._venue.fetch_order(request.symbol, request.client_order_id)
                if found is not None:
                    return found
                sent_at = time.monotonic()
                return await self._venue.place_order(request)
            except TemporaryVenueError as retry_error:
                last = retry_error
        raise TemporaryVenueError(
            f"order {request.client_order_id} ({request.side.value} {fmt(request.amount)} {request.symbol}) could "
            f"not be placed or found after {self._settings.attempts} attempts ({last}); the run stays open and "
            "is reconciled by the next run",
            retry_after=last.retry_after,
        )

    async def _wait(self, error: TemporaryVenueError, attempt: int, sent_at: float) -> None:
        in_transit = sent_at + self._venue.order_request_lifetime - time.monotonic()
        asked = error.retry_after or 0.0
        if asked > self._settings.max_wait_seconds:
            # A long ban: calling again would only lengthen it. The run stays open for the next run.
            raise TemporaryVenueError(
                f"{error} (the venue asked to wait {asked:.0f} s; the run stays open)", asked
            )
        await self._sleep(max(self._settings.pause_seconds * 2**attempt, asked, in_transit))

    async def _settle(self, result: OrderResult) -> OrderResult:
        """An immediate-or-cancel order should never stay open; if the venue still says open, ask again,
        and cancel it in the end: a resting order would lock funds and could fill unrecorded later."""
        symbol, cid = result.symbol, result.client_order_id
        for attempt in range(self._settings.attempts):
            if result.status is not OrderStatus.OPEN:
                return result
            await self._sleep(self._settings.pause_seconds * 2**attempt)
            refreshed = await self._venue.fetch_order(symbol, cid)
            result = refreshed or result
        if result.status is OrderStatus.OPEN:
            await self._venue.cancel_order(symbol, cid)
            result = await self._venue.fetch_order(symbol, cid) or result
        return result

    def _record(self, run_id: int, result: OrderResult) -> OrderResult:
        self._ledger.record_order(run_id, result, self._clock())
        return result

    async def _check_price(self, order: PlannedOrder) -> None:
        """Stop the run when the price moved more than allowed since the plan was made."""
        quote = order.symbol.split("/")[1]
        prices = await self._venue.fetch_prices(quote, [order.asset])
        now = prices.get(order.asset)
        if now is None:
            return  # the limit price still bounds the fill; the venue will refuse an unknown market
        move = abs(now - order.reference_price) / order.reference_price * HUNDRED
        if move > self._settings.max_price_move_percent:
            raise GuardTripped(
                f"{order.asset} moved {fmt(move, 2, fixed=True)}% since the plan was made "
                f"({fmt(order.reference_price)} -> {fmt(now)}, limit {fmt(self._settings.max_price_move_percent)}%); "
                f"stopped before placing leg {order.leg + 1} ({order.side.value} {order.symbol})"
            )

    # -- the buy leg ----------------------------------------------------------------------------

    async def _buy_leg(self, run: _Run, done: list[OrderResult], *, first_leg: int) -> Execution:
        """After the sells (``done``): plan the buys again from the balances they left, journal that plan
        before placing any of it, then place it.

        The prices stay those the plan was made at: the slippage bound of every buy is measured from
        them, so a market that ran away between the legs cannot widen it (the price guard stops it).
        """
        after_sells = replace(run.snapshot, balances=await self._venue.fetch_balances())
        buys_only = replace(run.settings, allow_sells=False, routing=Routing.QUOTE)  # the buy leg: quote only
        buy_plan = plan_rebalance(after_sells, run.targets, buys_only, first_leg=first_leg)
        ids = [replanned_buy_id(run.run_id, run.started, i) for i in range(len(buy_plan.orders))]
        journaled = tuple(zip(buy_plan.orders, ids, strict=True))
        done += await self._journal_and_place(run.run_id, buy_plan, journaled)
        next_leg = first_leg + len(buy_plan.orders)
        return await self._top_ups(run, done, journaled, next_leg=next_leg, bought=buy_plan)

    async def _journal_and_place(
        self, run_id: int, plan: Plan, orders: Sequence[tuple[PlannedOrder, str]]
    ) -> list[OrderResult]:
        """Journal ``plan`` with its client ids before any of its ``orders`` is placed, then place them."""
        self._ledger.record_plan(run_id, plan, {o.leg: cid for o, cid in orders})
        return [await self._place(run_id, order, cid) for order, cid in orders]

    # -- the top-up passes ----------------------------------------------------------------------

    async def _top_ups(
        self,
        run: _Run,
        done: list[OrderResult],
        replanned: Sequence[tuple[PlannedOrder, str]],
        *,
        next_leg: int,
        bought: Plan | None = None,
    ) -> Execution:
        """Spend the cash the buys left above the quote's target (see :data:`TOP_UP_PASSES`).

        ``replanned`` are the buys already planned after the first plan, with their client ids (a resumed
        run's journaled ones, placed by now): the passes continue their numbering and count. Each pass
        plans buys only, through the quote, from the real balances with the spendable cash capped at what
        is above the quote's target, at the prices the run was planned at, and without ``min_trade_usd``
        (only the markets' minimums bound an order); it is journaled before any of its orders is placed.
        ``bought`` is the buy leg's plan, when this run made one.

        The passes start whenever the run's last round of orders filled something: the buy leg (or the
        first plan's buys), or, when there were no buys, the first leg (cross legs and sells) — with
        ``routing: cheapest`` the cross legs often leave no quote buy worth ``min_trade_usd`` while their
        worst-case sizing and the sells left cash above the quote's target. Only fills leave cash behind:
        a round that filled nothing (expired, cancelled) ends the passes, and the next run deals with it.
        """
        index = max((replanned_index(cid) for _, cid in replanned), default=-1) + 1
        done_passes = max((top_up_pass(cid) for _, cid in replanned), default=0)
        plans: list[Plan] = []
        # min_trade_usd decides whether a drift is worth trading; the run has decided. A top-up finishes
        # its buys down to the market's own minimums (fees are proportional: a small order costs no more).
        snapshot, targets, settings = run.snapshot, run.targets, run.settings
        buys_only = replace(settings, allow_sells=False, routing=Routing.QUOTE, min_trade_value=ZERO)
        filled = last_round_filled(done, snapshot.quote)
        for top_up in range(done_passes + 1, TOP_UP_PASSES + 1):
            if not filled:
                break
            spendable = cash_above_target(
                replace(snapshot, balances=await self._venue.fetch_balances()), targets, settings
            )
            if spendable is None:
                break
            slippage = top_up_slippage(done, snapshot, settings.slippage_percent)
            plan = plan_rebalance(
                spendable, targets, replace(buys_only, slippage_percent=slippage), first_leg=next_leg
            )
            if not plan.orders:
                break
            ids = [
                replanned_buy_id(run.run_id, run.started, index + i, top_up) for i in range(len(plan.orders))
            ]
            placed = await self._journal_and_place(
                run.run_id, plan, tuple(zip(plan.orders, ids, strict=True))
            )
            done += placed
            filled = any(r.filled > 0 for r in placed)
            plans.append(plan)
            index, next_leg = index + len(plan.orders), next_leg + len(plan.orders)
        if bought is None:
            bought, journaled = journaled_plans(replanned)
            plans[:0] = journaled
        return Execution(tuple(done), bought, tuple(plans))

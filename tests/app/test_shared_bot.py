"""One bot shared by two asyncio tasks (the ``run`` loop and a web server): runs take turns, reads do not wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flaky_venue import FlakyVenue

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.ledger.records import RunMode, RunStatus
from trimtab.model.orders import OrderRequest, OrderResult
from trimtab.model.portfolio import Balance
from trimtab.venues.paper import PaperVenue

FIXED_NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class YieldingVenue(FlakyVenue):
    """A paper venue that hands the event loop over on every call, as a real exchange's network calls do
    (the paper venue alone answers without ever suspending, so two tasks could not interleave)."""

    def __init__(self, inner: PaperVenue) -> None:
        super().__init__(inner)
        self.paper = inner
        self.calls: list[str] = []
        self.placing = asyncio.Event()  # set when the first order arrives
        self.gate: asyncio.Event | None = None  # orders wait for it, when set

    async def fetch_balances(self) -> dict[str, Balance]:
        await asyncio.sleep(0)
        self.calls.append("balances")
        return await super().fetch_balances()

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        await asyncio.sleep(0)
        return await super().fetch_prices(quote, assets)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        self.placing.set()
        await asyncio.sleep(0)
        if self.gate is not None:
            await self.gate.wait()
        self.calls.append("order")
        return await super().place_order(request)


def shared_bot(path: Path) -> tuple[Bot, YieldingVenue]:
    bot = build_bot(load_config(path), path, clock=lambda: FIXED_NOW)
    assert isinstance(bot.parts.venue, PaperVenue)
    venue = YieldingVenue(bot.parts.venue)
    fast = replace(bot.parts.execution, pause_seconds=0.0)
    return Bot(replace(bot.parts, venue=venue, execution=fast)), venue


async def test_two_rebalances_at_once_take_turns_and_the_second_starts_from_the_first(
    write_config: Callable[..., Path],
) -> None:
    bot, venue = shared_bot(write_config())
    try:
        first, second = await asyncio.gather(bot.rebalance(), bot.rebalance(command="run"))
        ledger = bot.parts.ledger
        runs = ledger.list_runs(10)
        details = [ledger.run_detail(run.id) for run in reversed(runs)]
        recorded, _ = ledger.recorded_orders(venue.name)
    finally:
        await bot.close()
    # Both complete: the first trades the drifted portfolio back to its targets ...
    assert (first.status, first.mode) == (RunStatus.COMPLETED, RunMode.LIVE)
    assert first.results
    assert first.after is not None
    # ... the second waited for it, read the account it left and found nothing to do.
    assert second.status is RunStatus.SKIPPED
    assert not second.planned.decision.rebalance
    assert second.results == ()
    assert second.planned.portfolio.snapshot.balances == first.after.snapshot.balances
    # Nothing interleaved: one balance read before the first order (the first run's; the second run
    # read the account only once the first had finished), and none of the orders after the last read.
    assert venue.calls[: venue.calls.index("order")] == ["balances"]
    assert venue.calls[-1] == "balances"
    # The ledger has two runs, the first one's orders recorded once, and the account agrees with it.
    assert [(d.summary.command, d.summary.status) for d in details if d is not None] == [
        ("rebalance", RunStatus.COMPLETED),
        ("run", RunStatus.SKIPPED),
    ]
    assert len(venue.placed) == len(first.results) == len(recorded)
    assert len({r.client_order_id for r in first.results}) == len(first.results)
    assert recorded == venue.paper.executed_orders()


async def test_reads_do_not_wait_for_a_run_and_close_waits_for_it(write_config: Callable[..., Path]) -> None:
    bot, venue = shared_bot(write_config())
    venue.gate = asyncio.Event()
    run = asyncio.create_task(bot.rebalance())
    await venue.placing.wait()
    # A run is placing its first order: status, plan and the schedule answer at once.
    portfolio = await asyncio.wait_for(bot.portfolio(), timeout=5)
    assert portfolio.total_value > 0
    assert bot.now() == FIXED_NOW
    assert bot.next_check() > FIXED_NOW
    closing = asyncio.create_task(bot.close())
    await asyncio.sleep(0.01)
    assert not closing.done(), "close waits for the run going on"
    venue.gate.set()
    outcome = await run
    await closing
    assert outcome.status is RunStatus.COMPLETED
    assert outcome.results


def test_next_check_follows_the_policy_from_the_bot_clock(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot = build_bot(load_config(path), path, clock=lambda: FIXED_NOW)
    try:
        assert bot.now() == FIXED_NOW
        assert bot.next_check() == bot.parts.policy.next_check(FIXED_NOW)
        later = FIXED_NOW + timedelta(days=3)
        assert bot.next_check(later) == bot.parts.policy.next_check(later) > later
    finally:
        asyncio.run(bot.close())


async def test_history_and_run_detail_read_the_ledger(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot = build_bot(load_config(path), path, clock=lambda: FIXED_NOW)
    try:
        assert bot.history(5) == []
        outcome = await bot.rebalance(dry_run=True)
        [summary] = bot.history(5)
        detail = bot.run_detail(outcome.run_id)
        assert bot.run_detail(outcome.run_id + 1) is None
    finally:
        await bot.close()
    assert (summary.id, summary.mode, summary.status) == (
        outcome.run_id,
        RunMode.DRY_RUN,
        RunStatus.COMPLETED,
    )
    assert detail is not None
    assert detail.summary == summary

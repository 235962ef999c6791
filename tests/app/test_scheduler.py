"""The ``run`` loop's schedule without a terminal: each check and each wait is reported as plain data,
a stop ends the loop between checks, a failed check is reported and does not end it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from flaky_venue import FlakyVenue

from trimtab.app.assembly import build_bot
from trimtab.app.scheduler import CheckDone, LoopEvent, Scheduler, Sleeping
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import OrderRejected
from trimtab.ledger.records import RunStatus
from trimtab.model.orders import OrderRequest

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def bot_of(path: Path) -> Bot:
    return build_bot(load_config(path), path, clock=lambda: NOW)


async def test_a_stop_while_waiting_ends_the_loop_before_the_next_check(
    write_config: Callable[..., Path],
) -> None:
    bot = bot_of(write_config())
    scheduler = Scheduler(bot)
    events: list[LoopEvent] = []

    def report(event: LoopEvent) -> None:
        events.append(event)
        if isinstance(event, Sleeping):
            scheduler.stop()  # as SIGINT would, while the loop waits hours for the next check

    try:
        checks = await scheduler.run(report)
    finally:
        await bot.close()
    assert checks == 1
    done, sleeping = events
    assert isinstance(done, CheckDone)
    assert done.error is None
    assert done.outcome is not None
    assert done.outcome.status == RunStatus.COMPLETED
    assert done.outcome.results
    assert sleeping == Sleeping(bot.next_check(NOW))
    assert sleeping.next_check > NOW
    assert scheduler.stopping


async def test_max_runs_ends_the_loop_without_waiting(write_config: Callable[..., Path]) -> None:
    bot = bot_of(write_config())
    events: list[LoopEvent] = []
    try:
        checks = await Scheduler(bot, max_runs=1).run(events.append)
    finally:
        await bot.close()
    assert checks == 1
    [done] = events
    assert isinstance(done, CheckDone)
    assert done.outcome is not None
    assert [run.id for run in bot.history(10)] == [done.outcome.run_id]


async def test_a_stop_before_the_first_check_makes_none(write_config: Callable[..., Path]) -> None:
    bot = bot_of(write_config())
    scheduler = Scheduler(bot)
    scheduler.stop()
    events: list[LoopEvent] = []
    try:
        assert await scheduler.run(events.append) == 0
    finally:
        await bot.close()
    assert events == []
    assert bot.history(10) == []


async def test_a_failed_check_is_reported_with_its_error_and_the_loop_goes_on_to_wait(
    write_config: Callable[..., Path],
) -> None:
    built = bot_of(write_config())
    venue = FlakyVenue(built.parts.venue)

    def reject_buys(request: OrderRequest) -> None:
        if request.side.value == "buy":
            raise OrderRejected("Account has insufficient balance for requested action.")

    venue.before_place = reject_buys
    bot = Bot(replace(built.parts, venue=venue))
    scheduler = Scheduler(bot)
    events: list[LoopEvent] = []

    def report(event: LoopEvent) -> None:
        events.append(event)
        if isinstance(event, Sleeping):
            scheduler.stop()

    try:
        assert await scheduler.run(report) == 1
    finally:
        await bot.close()
    done, sleeping = events
    assert isinstance(done, CheckDone)
    assert done.outcome is None
    assert isinstance(done.error, OrderRejected)
    assert "insufficient balance" in str(done.error)
    assert isinstance(sleeping, Sleeping)
    [run] = bot.history(10)
    assert run.status == RunStatus.FAILED

"""The ``run`` loop on a replayed market: the bot's clock is the market's, so a monthly calendar fires once
per replayed month and the ledger records market times; a restart resumes where the ledger stopped; the
end of the price data ends the loop cleanly. A fake wall clock makes a year pass in no real time: each
time the loop is about to sleep, the test moves the wall clock by exactly the wait the bot asks for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from configs import MONTHLY, yaml_config
from fake_wall import FakeWall

from trimtab.app.assembly import build_bot
from trimtab.app.scheduler import CheckDone, LoopEvent, MarketEnded, Scheduler, Sleeping
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import ConfigError
from trimtab.ledger.records import RunStatus

WALL = datetime(2031, 1, 1, tzinfo=UTC)


def replay_config(start: str, *, speed: int = 86400, weights: dict[str, object] | None = None) -> str:
    return yaml_config(
        weights=weights or {"BTC": 50, "ETH": 30, "USDT": 20},
        rebalancing=MONTHLY,
        exchange={"name": "paper", "balances": {"USDT": 10000}, "replay": {"start": start, "speed": speed}},
    )


async def run_loop(bot: Bot, wall: FakeWall, max_runs: int | None) -> list[LoopEvent]:
    events: list[LoopEvent] = []

    def report(event: LoopEvent) -> None:
        events.append(event)
        if isinstance(event, Sleeping):  # the loop sleeps exactly this long: let that wall time pass
            wall.advance(bot.wall_seconds_until(event.next_check))

    await Scheduler(bot, max_runs=max_runs).run(report)
    return events


async def test_a_monthly_calendar_rebalances_once_per_replayed_month(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(replay_config("2024-01-01"))
    wall = FakeWall(WALL)
    bot = build_bot(load_config(path), path, wall_clock=wall)
    try:
        assert bot.now() == datetime(2024, 1, 1, tzinfo=UTC)
        # a month of market time is 31 wall seconds at a day per second
        assert bot.wall_seconds_until(datetime(2024, 2, 1, tzinfo=UTC)) == pytest.approx(31.0)
        events = await run_loop(bot, wall, max_runs=6)
        runs = list(reversed(bot.history(10)))
    finally:
        await bot.close()
    done = [e for e in events if isinstance(e, CheckDone)]
    assert [e.error for e in done] == [None] * 6
    assert [r.started_at for r in runs] == [datetime(2024, month, 1, tzinfo=UTC) for month in range(1, 7)]
    assert all(r.status is RunStatus.COMPLETED and r.rebalance and r.order_count for r in runs)
    sleeps = [e.next_check for e in events if isinstance(e, Sleeping)]
    assert sleeps == [datetime(2024, month, 1, tzinfo=UTC) for month in range(2, 7)]


async def test_a_run_happens_at_one_market_instant(write_config: Callable[..., Path]) -> None:
    """Every read of this wall clock moves it a second (a day of market time at this speed), yet the run,
    its fills and its record share one market time."""
    path = write_config(replay_config("2024-01-01"))

    class RushingWall(FakeWall):
        def __call__(self) -> datetime:
            self.now += timedelta(seconds=1)
            return self.now

    bot = build_bot(load_config(path), path, wall_clock=RushingWall(WALL))
    try:
        outcome = await bot.rebalance()
        detail = bot.run_detail(outcome.run_id)
    finally:
        await bot.close()
    assert detail is not None
    started = detail.summary.started_at
    assert detail.summary.finished_at == started
    assert outcome.results
    assert {f.timestamp for r in outcome.results for f in r.fills} == {started}


async def test_a_restarted_replay_resumes_from_the_last_recorded_run(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(replay_config("2024-01-01"))
    wall = FakeWall(WALL)
    bot = build_bot(load_config(path), path, wall_clock=wall)
    try:
        await run_loop(bot, wall, max_runs=3)
        last = bot.history(1)[0]
    finally:
        await bot.close()
    assert last.started_at == datetime(2024, 3, 1, tzinfo=UTC)
    again = build_bot(load_config(path), path, wall_clock=FakeWall(WALL))
    try:
        assert again.now() == last.finished_at
        outcome = await again.rebalance()  # the March rebalance is done: nothing before April
    finally:
        await again.close()
    assert outcome.status is RunStatus.SKIPPED
    assert not outcome.planned.decision.rebalance


async def test_the_end_of_the_price_data_ends_the_loop_cleanly(write_config: Callable[..., Path]) -> None:
    path = write_config(replay_config("2025-12-01"))
    wall = FakeWall(WALL)
    bot = build_bot(load_config(path), path, wall_clock=wall)
    try:
        events = await run_loop(bot, wall, max_runs=None)
        runs = bot.history(10)
        failures = bot.parts.ledger.consecutive_failures()
    finally:
        await bot.close()
    *checks, ended = events
    assert isinstance(ended, MarketEnded)
    assert ended.at == datetime(2026, 2, 1, tzinfo=UTC)
    assert "the replay reached the end of its price data at 2026-02-01 00:00 UTC" in ended.reason
    assert [e.error for e in checks if isinstance(e, CheckDone)] == [None, None]
    # the run that found the end is closed as skipped and not counted by the kill switch
    assert runs[0].status is RunStatus.SKIPPED
    assert failures == (0, None)


def test_a_fixed_clock_is_refused_with_a_replay(
    write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(replay_config("2024-01-01"))
    monkeypatch.setenv("TRIMTAB_NOW", "2024-05-01T00:00:00Z")
    with pytest.raises(ConfigError, match=r"TRIMTAB_NOW: a fixed clock cannot run with exchange\.replay"):
        build_bot(load_config(path), path)
    assert not (path.parent / "data").exists()  # refused before anything was written


async def test_without_a_replay_wall_seconds_are_clock_seconds(write_config: Callable[..., Path]) -> None:
    path = write_config()
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    bot = build_bot(load_config(path), path, clock=lambda: now)
    try:
        assert bot.wall_seconds_until(now + timedelta(hours=2)) == 7200.0
        assert bot.wall_seconds_until(now - timedelta(hours=2)) == 0.0
    finally:
        await bot.close()

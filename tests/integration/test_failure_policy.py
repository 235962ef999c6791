"""The failure policy on real ccxt binance against the emulator: which failed runs count towards the kill
switch (``risk.max_consecutive_failures: 2`` here), the ``run`` loop's retry backoff after temporary
exchange trouble, and ``trimtab run --max-runs`` exit codes.

Temporary trouble (503, 429, maintenance, a dropped or refused connection, a timeout) fails the run marked
``temporary: ...`` and is never counted: three in a row leave the bot trading. A wrong key (401/-2015) or a
refused order (-2010 insufficient balance, -1013 filter failure) counts: two in a row trip the kill switch.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from binance_emulator import BinanceEmulator
from bot_helpers import (
    DRIFTED,
    KEY,
    KEY_ENV,
    NOW,
    SECRET,
    SECRET_ENV,
    Sleeps,
    assert_invariants,
    emulator_config,
    fast_ccxt_venue,
    runs,
    trimtab_command,
    with_hooks,
)

from trimtab.app.assembly import build_bot
from trimtab.app.scheduler import CheckDone, LoopEvent, Scheduler, Sleeping
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import (
    TEMPORARY_MARK,
    FatalVenueError,
    InsufficientFunds,
    KillSwitchTripped,
    OrderRejected,
    TemporaryVenueError,
    VenueError,
)
from trimtab.ledger.records import RunStatus
from trimtab.model.orders import OrderRequest, Side

ACCOUNT = "/api/v3/account"
ORDER = "/api/v3/order"
AUTH_FAULT = (401, -2015, "Invalid API-key, IP, or permissions for action.")


pytestmark = pytest.mark.usefixtures("emulator_keys")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    """The drifted account: a check that gets through rebalances."""
    async with BinanceEmulator(balances=DRIFTED) as emu:
        yield emu


def policy_config(folder: Path, base_url: str) -> Path:
    """The emulator config with a kill switch at 2 failed runs (threshold: a check every hour)."""
    path = emulator_config(folder, base_url)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["risk"] = {"max_consecutive_failures": 2}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


class Clock:
    """The bot's clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def policy_bot(path: Path, clock: Clock | None = None) -> Bot:
    """``build_bot`` on ``path``, its venue's read retries not sleeping (see ``bot_helpers.emulator_bot``)."""
    bot = build_bot(load_config(path), path, clock=clock or (lambda: NOW))
    await bot.parts.venue.close()
    venue = fast_ccxt_venue(path, Sleeps())
    return Bot(replace(bot.parts, venue=venue, execution=replace(bot.parts.execution, pause_seconds=0.0)))


async def failed_run(bot: Bot, error: type[VenueError]) -> VenueError:
    with pytest.raises(error) as caught:
        await bot.rebalance(command="run")
    return caught.value


async def closed_port_url() -> str:
    emulator = BinanceEmulator()
    await emulator.start()
    url = emulator.base_url
    await emulator.stop()
    return url


# ------------------------------------------------------------------------------------------- not counted


@pytest.mark.parametrize(
    ("fault", "arg"),
    [("http503", None), ("http429", 1), ("maintenance", None), ("disconnect", None), ("timeout", 1.0)],
)
async def test_three_temporary_failures_do_not_trip_a_kill_switch_of_two(
    emulator: BinanceEmulator, tmp_path: Path, fault: str, arg: object
) -> None:
    config = policy_config(tmp_path, emulator.base_url)
    bot = await policy_bot(config)
    try:
        emulator.add_fault(fault, path=ACCOUNT, method="GET", times=1000, arg=arg)
        for _ in range(3):
            await failed_run(bot, TemporaryVenueError)
        ledger = bot.parts.ledger
        assert [r.status for r in runs(ledger)] == [RunStatus.FAILED] * 3
        assert all(r.error is not None and r.error.startswith(TEMPORARY_MARK) for r in runs(ledger))
        assert ledger.consecutive_failures() == (0, None)

        emulator.faults.clear()  # the exchange is back: the bot trades, no override needed
        outcome = await bot.rebalance(command="run")
        assert outcome.status == RunStatus.COMPLETED
        assert outcome.results
        assert_invariants(emulator, ledger)
    finally:
        await bot.close()


async def test_a_refused_connection_is_temporary_and_never_trips_the_kill_switch(tmp_path: Path) -> None:
    config = policy_config(tmp_path, await closed_port_url())
    bot = await policy_bot(config)
    try:
        for _ in range(4):  # the fourth is refused by the network again, not by the kill switch
            error = await failed_run(bot, TemporaryVenueError)
            assert "connection refused" in str(error)
        assert bot.parts.ledger.consecutive_failures() == (0, None)
    finally:
        await bot.close()


async def test_temporary_trouble_in_flight_leaves_the_run_open_until_a_check_finishes_it(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    """503 on every balance read once the sell filled: the run stays ``running``; two more checks find
    the exchange still failing and leave it open; the next one resumes and completes the same run. The
    kill switch (2) never counted any of it."""
    bot = await policy_bot(policy_config(tmp_path, emulator.base_url))
    hooked, venue = with_hooks(bot)

    async def busy_after_the_sell(request: OrderRequest) -> None:
        if request.side is Side.SELL:
            emulator.add_fault("http503", path=ACCOUNT, method="GET", times=1000)

    venue.after_place = busy_after_the_sell
    try:
        await failed_run(hooked, TemporaryVenueError)
        venue.after_place = None
        for _ in range(2):
            await failed_run(hooked, TemporaryVenueError)
        [run] = runs(bot.parts.ledger)
        assert run.status == RunStatus.RUNNING
        emulator.faults.clear()
        outcome = await hooked.rebalance(command="run")
        assert outcome.run_id == run.id
        assert [r.status for r in runs(bot.parts.ledger)] == [RunStatus.COMPLETED]
        assert_invariants(emulator, bot.parts.ledger)
    finally:
        await bot.close()


# ------------------------------------------------------------------------------------------- counted


@pytest.mark.parametrize(
    ("path", "method", "answer", "error"),
    [
        (ACCOUNT, "GET", AUTH_FAULT, FatalVenueError),
        (
            ORDER,
            "POST",
            (400, -2010, "Account has insufficient balance for requested action."),
            InsufficientFunds,
        ),
        (ORDER, "POST", (400, -1013, "Filter failure: LOT_SIZE"), OrderRejected),
    ],
    ids=["auth-2015", "insufficient-funds", "invalid-order"],
)
async def test_two_counted_failures_trip_a_kill_switch_of_two(
    emulator: BinanceEmulator,
    tmp_path: Path,
    path: str,
    method: str,
    answer: tuple[int, int, str],
    error: type[VenueError],
) -> None:
    bot = await policy_bot(policy_config(tmp_path, emulator.base_url))
    try:
        emulator.add_fault("error", path=path, method=method, times=1000, arg=answer)
        for _ in range(2):
            failed = await failed_run(bot, error)
            assert answer[2] in str(failed)
        assert [r.error for r in runs(bot.parts.ledger)] == [str(failed)] * 2  # unmarked
        with pytest.raises(KillSwitchTripped, match="the last 2 runs failed"):
            await bot.rebalance(command="run")
    finally:
        await bot.close()


async def test_a_wrong_key_counts(
    emulator: BinanceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator itself refuses the key (401, -2015): ccxt AuthenticationError, counted."""
    monkeypatch.setenv(KEY_ENV, "wrong-key-5e2d")
    bot = await policy_bot(policy_config(tmp_path, emulator.base_url))
    try:
        for _ in range(2):
            await failed_run(bot, FatalVenueError)
        with pytest.raises(KillSwitchTripped):
            await bot.rebalance(command="run")
    finally:
        await bot.close()


async def test_temporary_failures_between_counted_ones_do_not_reset_the_count(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    """auth, 503, auth: the exchange being down says nothing about the key; the kill switch trips."""
    bot = await policy_bot(policy_config(tmp_path, emulator.base_url))
    try:
        emulator.add_fault("error", path=ACCOUNT, method="GET", arg=AUTH_FAULT)
        await failed_run(bot, FatalVenueError)
        emulator.add_fault("http503", path=ACCOUNT, method="GET", times=4)
        await failed_run(bot, TemporaryVenueError)
        emulator.add_fault("error", path=ACCOUNT, method="GET", arg=AUTH_FAULT)
        await failed_run(bot, FatalVenueError)
        with pytest.raises(KillSwitchTripped, match="the last 2 runs failed"):
            await bot.rebalance(command="run")
    finally:
        await bot.close()


# ------------------------------------------------------------------------------------------- backoff


async def test_the_run_loop_retries_temporary_trouble_with_capped_backoff_reset_by_a_success(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    """Seven checks fail with 503: the loop retries after 30 s, 60 s, 120 s, 240 s, 480 s, then every
    15 min (the cap). The eighth check rebalances: the next check is the policy's (an hour later). A new
    failure starts again at 30 s. The fake clock jumps to each next check. (That a retry never comes later
    than the policy's own check is tests/app/test_retry_schedule.py's.)"""
    clock = Clock(NOW)
    bot = await policy_bot(policy_config(tmp_path, emulator.base_url), clock)
    scheduler = Scheduler(bot, max_runs=10)
    waits: list[tuple[timedelta, int]] = []
    done: list[CheckDone] = []

    def report(event: LoopEvent) -> None:
        if isinstance(event, CheckDone):
            done.append(event)
            if len(done) == 7:
                emulator.faults.clear()
            if len(done) == 8:
                emulator.add_fault("http503", path=ACCOUNT, method="GET", times=1000)
        elif isinstance(event, Sleeping):
            waits.append((event.next_check - clock.at, event.retry))
            clock.at = event.next_check  # the wait is then over at once

    emulator.add_fault("http503", path=ACCOUNT, method="GET", times=1000)
    try:
        assert await scheduler.run(report) == 10
    finally:
        await bot.close()
    seconds = [(int(wait.total_seconds()), retry) for wait, retry in waits]
    assert seconds == [(30, 1), (60, 2), (120, 3), (240, 4), (480, 5), (900, 6), (900, 7), (3600, 0), (30, 1)]
    assert [d.outcome is not None for d in done] == [False] * 7 + [True, False, False]
    assert [r.status for r in runs(bot.parts.ledger)] == ["failed"] * 7 + ["completed", "failed", "failed"]
    assert isinstance(scheduler.last_error, TemporaryVenueError)
    assert bot.parts.ledger.consecutive_failures() == (0, None)


# ------------------------------------------------------------------------------------------- run --max-runs


async def run_command(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *trimtab_command(), "run", "-c", str(config), "--max-runs", "1", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, KEY_ENV: KEY, SECRET_ENV: SECRET, "COLUMNS": "200", **(env or {})},
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.mark.slow
async def test_run_max_runs_exits_1_when_its_last_check_failed_temporarily(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    config = policy_config(tmp_path, emulator.base_url)
    emulator.add_fault("http503", path=ACCOUNT, method="GET", times=1000)
    code, out, err = await run_command(config)
    assert code == 1
    assert "run failed (temporary exchange trouble, not counted by the kill switch)" in out
    [line] = err.splitlines()
    assert line.startswith(
        "error: the last check failed (temporary exchange trouble, not counted by the kill switch): "
    )
    assert "OperationFailed" in line


@pytest.mark.slow
async def test_run_max_runs_exits_1_when_its_last_check_failed_for_a_wrong_key(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    config = policy_config(tmp_path, emulator.base_url)
    code, out, err = await run_command(config, "--json", env={KEY_ENV: "wrong-key-9a0c"})
    assert code == 1
    [event] = [json.loads(line) for line in out.splitlines()]
    assert (event["event"], event["status"], event["failure"]) == ("run", "failed", "counted")
    [line] = err.splitlines()
    assert line.startswith("error: the last check failed (counted by the kill switch): ")
    assert "wrong-key-9a0c" not in err + out


@pytest.mark.slow
async def test_run_max_runs_exits_0_when_its_last_check_succeeded(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    config = policy_config(tmp_path, emulator.base_url)
    code, out, err = await run_command(config)
    assert (code, err) == (0, "")
    assert "Stopped after 1 check." in out

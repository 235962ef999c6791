"""The ``run`` loop's schedule: check on the policy's schedule until stopped.

A stop never interrupts a run half-way: :meth:`Scheduler.stop` is noted, the current run finishes and
is recorded, and the loop ends before the next check. A failed run is reported and the loop goes on to
the next check (an unfinished one is resumed there): after temporary exchange trouble or an unsafe market
(a guard: a depegged quote, stale prices) sooner, with capped backoff (:mod:`trimtab.app.retry_schedule`), otherwise at the policy's next check; a tripped
kill switch or an account that disagrees with the ledger ends the loop with that error, since every
further check would refuse the same way.

The loop reports what happens through a callback of plain data (:class:`CheckDone`, :class:`Sleeping`):
the command line prints it, a web page or a notifier can show or send it.

>>> scheduler = Scheduler(bot, max_runs=3)  # doctest: +SKIP
>>> checks = await scheduler.run(print)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from trimtab.app.outcomes import RunOutcome
from trimtab.app.retry_schedule import retry_check
from trimtab.app.service import Bot
from trimtab.errors import (
    AccountMismatch,
    Failure,
    KillSwitchTripped,
    PortfolioBusy,
    TemporaryVenueError,
    TrimtabError,
    failure_of,
)
from trimtab.venues.replay import ReplayEnded


@dataclass(frozen=True)
class CheckDone:
    """One check finished: the run it recorded (``outcome``), or the error that failed it (``error``;
    the loop goes on to the next check)."""

    outcome: RunOutcome | None
    error: TrimtabError | None = None


@dataclass(frozen=True)
class Sleeping:
    """Between two checks: the loop waits until ``next_check`` (aware, UTC) unless stopped first.
    ``retry``: how many checks in a row failed by temporary exchange trouble (0: the policy's check)."""

    next_check: datetime
    retry: int = 0


@dataclass(frozen=True)
class MarketEnded:
    """A replayed market ran out of prices at market time ``at`` (``reason``: the one line saying so): the
    loop has ended cleanly, nothing failed. The run that found it is closed as skipped."""

    at: datetime
    reason: str


LoopEvent = CheckDone | Sleeping | MarketEnded


class Scheduler:
    """Runs ``bot``'s checks (``rebalance(command="run")``) until stopped or after ``max_runs`` checks.

    ``override_kill_switch`` applies to the first check only (the human looked once). One scheduler
    runs once; :meth:`stop` may be called at any time from the event loop's thread (a signal handler,
    another task).
    """

    def __init__(self, bot: Bot, *, max_runs: int | None = None, override_kill_switch: bool = False) -> None:
        self._bot = bot
        self._max_runs = max_runs
        self._override_kill_switch = override_kill_switch
        self._stop = asyncio.Event()
        self._temporary_failures = 0  # checks in a row failed by temporary exchange trouble
        #: The error of the last check made, None when it succeeded (``run --max-runs`` exits 1 on one).
        self.last_error: TrimtabError | None = None

    def stop(self) -> None:
        """End the loop once the current check (if any) has finished and been recorded."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self, report: Callable[[LoopEvent], None]) -> int:
        """Check until stopped, calling ``report`` after each check and before each wait; returns how
        many checks were made. Raises :class:`KillSwitchTripped` and :class:`AccountMismatch` (a human
        must look), and :class:`PortfolioBusy` when this process lost the portfolio's lock."""
        checks = 0
        override_kill_switch = self._override_kill_switch
        while not self._stop.is_set():
            try:
                outcome = await self._bot.rebalance(command="run", override_kill_switch=override_kill_switch)
                self.last_error = None
                report(CheckDone(outcome))
            except (KillSwitchTripped, AccountMismatch, PortfolioBusy):
                raise  # every further check would refuse the same way (or another process drives it now)
            except ReplayEnded as error:  # the replay is over: an end, not a failure
                self.last_error = None
                report(MarketEnded(error.at, str(error)))
                break
            except TrimtabError as error:
                self.last_error = error
                report(CheckDone(None, error))
            override_kill_switch = False  # only for the first run after the human looked
            checks += 1
            if self._max_runs is not None and checks >= self._max_runs:
                break
            now = self._bot.now()
            next_check = self._next_check(now)
            report(Sleeping(next_check, self._temporary_failures))
            with contextlib.suppress(TimeoutError):
                # wall time: on a replayed market the bot's clock runs faster than the wall clock
                await asyncio.wait_for(self._stop.wait(), timeout=self._bot.wall_seconds_until(next_check))
        return checks

    def _next_check(self, now: datetime) -> datetime:
        """The policy's next check; after temporary exchange trouble a sooner retry (see the module)."""
        policy_check = self._bot.next_check(now)
        error = self.last_error
        if error is None or failure_of(error) not in (Failure.TEMPORARY, Failure.MARKET):
            self._temporary_failures = 0
            return policy_check
        self._temporary_failures += 1
        retry_after = error.retry_after if isinstance(error, TemporaryVenueError) else None
        return retry_check(now, policy_check, self._temporary_failures, retry_after)

"""The ``trimtab run`` loop's terminal side: SIGINT and SIGTERM stop it, each check and wait is one
console line (or one ``--json`` event line).

The schedule itself (check, wait for the next check, stop between runs, the kill switch ending the
loop) is :class:`trimtab.app.scheduler.Scheduler`: a signal never interrupts a run half-way, it is
noted, the current run finishes and is recorded, and the loop ends before the next check.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from trimtab.app.documents import run_event, sleep_event
from trimtab.app.outcomes import RunOutcome
from trimtab.app.scheduler import CheckDone, LoopEvent, MarketEnded, Scheduler
from trimtab.app.service import Bot
from trimtab.cli.flag_hints import error_line
from trimtab.cli.support import emit_json_line
from trimtab.errors import Failure, GuardTripped, KillSwitchTripped, TrimtabError, failure_of

if TYPE_CHECKING:
    from trimtab.notify import Notifier


@dataclass(frozen=True)
class LoopEnd:
    """How the loop ended: how many checks it made, and the error of the last one (None: it succeeded)."""

    checks: int
    last_error: TrimtabError | None


async def run_loop(
    bot: Bot,
    *,
    out: Console,
    as_json: bool,
    max_runs: int | None = None,
    override_kill_switch: bool = False,
    notifier: Notifier | None = None,
) -> LoopEnd:
    """Run checks until SIGINT or SIGTERM (or ``max_runs``). Every event goes to ``notifier`` too (a
    kill switch or guard ending the loop as well); it is closed at the end, the messages still being
    sent waited for a bounded time."""
    scheduler = Scheduler(bot, max_runs=max_runs, override_kill_switch=override_kill_switch)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, scheduler.stop)

    def report(event: LoopEvent) -> None:
        _show(out, as_json, event)
        if notifier is not None:
            notifier.report(event)

    try:
        checks = await scheduler.run(report)
        return LoopEnd(checks, scheduler.last_error)
    except GuardTripped as error:  # the kill switch, or an account that disagrees with the ledger
        if notifier is not None:
            (notifier.kill_switch if isinstance(error, KillSwitchTripped) else notifier.guard)(error)
        raise
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        if notifier is not None:
            await notifier.aclose()


def _show(out: Console, as_json: bool, event: LoopEvent) -> None:
    if isinstance(event, CheckDone):
        _report(out, as_json, event.outcome, event.error)
    elif isinstance(event, MarketEnded):  # a replay ran out of prices: the loop ends, nothing failed
        if as_json:
            emit_json_line({"event": "replay_ended", "at": event.at.isoformat(), "reason": event.reason})
        else:
            out.print(f"[bold]replay over:[/] {escape(event.reason)}")
    else:
        _announce(out, as_json, event.next_check, event.retry)


def _report(out: Console, as_json: bool, outcome: RunOutcome | None, error: TrimtabError | None) -> None:
    line = None if error is None else error_line(error)
    if as_json:
        event = run_event(outcome, line)
        if error is not None:
            event["failure"] = failure_of(error).value  # temporary | bad input | counted
        emit_json_line(event)
    elif error is not None:
        out.print(f"[yellow]run failed ({failure_words(error)}):[/] {escape(line or '')}")
    elif outcome is not None:
        when = outcome.planned.portfolio.snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        out.print(
            f"{when} run {outcome.run_id}: {outcome.planned.decision.reason}"
            + (f" — {len(outcome.results)} orders" if outcome.results else "")
        )


def _announce(out: Console, as_json: bool, next_check: datetime, retry: int) -> None:
    if as_json:
        emit_json_line({**sleep_event(next_check), **({"retry": retry} if retry else {})})
    else:
        what = f"retry {retry}" if retry else "next check"
        out.print(f"{what} at {next_check:%Y-%m-%d %H:%M:%S} UTC (Ctrl-C to stop)")


def failure_words(error: TrimtabError) -> str:
    """What ``error`` means for the kill switch, in words (see :func:`trimtab.errors.failure_of`)."""
    return _FAILURE_WORDS[failure_of(error)]


_FAILURE_WORDS = {
    Failure.TEMPORARY: "temporary exchange trouble, not counted by the kill switch",
    Failure.BAD_INPUT: "bad input, not counted by the kill switch",
    Failure.COUNTED: "counted by the kill switch",
    Failure.MARKET: "unsafe market, not counted by the kill switch",
}

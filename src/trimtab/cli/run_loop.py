"""The ``trimtab run`` loop's terminal side: SIGINT and SIGTERM stop it, each check and wait is one
console line (or one ``--json`` event line).

The schedule itself (check, wait for the next check, stop between runs, the kill switch ending the
loop) is :class:`trimtab.app.scheduler.Scheduler`: a signal never interrupts a run half-way, it is
noted, the current run finishes and is recorded, and the loop ends before the next check.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime

from rich.console import Console

from trimtab.app.documents import run_event, sleep_event
from trimtab.app.outcomes import RunOutcome
from trimtab.app.scheduler import CheckDone, LoopEvent, Scheduler
from trimtab.app.service import Bot
from trimtab.cli.flag_hints import error_line
from trimtab.cli.support import emit_json_line


async def run_loop(
    bot: Bot, *, out: Console, as_json: bool, max_runs: int | None = None, override_kill_switch: bool = False
) -> int:
    """Run checks until SIGINT or SIGTERM (or ``max_runs``); returns how many checks were made."""
    scheduler = Scheduler(bot, max_runs=max_runs, override_kill_switch=override_kill_switch)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, scheduler.stop)
    try:
        return await scheduler.run(lambda event: _show(out, as_json, event))
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _show(out: Console, as_json: bool, event: LoopEvent) -> None:
    if isinstance(event, CheckDone):
        _report(out, as_json, event.outcome, None if event.error is None else error_line(event.error))
    else:
        _announce(out, as_json, event.next_check)


def _report(out: Console, as_json: bool, outcome: RunOutcome | None, error: str | None) -> None:
    if as_json:
        emit_json_line(run_event(outcome, error))
    elif outcome is None:
        out.print(f"[yellow]run failed, next check as scheduled:[/] {error}")
    else:
        when = outcome.planned.portfolio.snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        out.print(
            f"{when} run {outcome.run_id}: {outcome.planned.decision.reason}"
            + (f" — {len(outcome.results)} orders" if outcome.results else "")
        )


def _announce(out: Console, as_json: bool, next_check: datetime) -> None:
    if as_json:
        emit_json_line(sleep_event(next_check))
    else:
        out.print(f"next check at {next_check:%Y-%m-%d %H:%M:%S} UTC (Ctrl-C to stop)")

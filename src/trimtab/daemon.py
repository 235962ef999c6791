"""The ``trimtab run`` loop: check on the policy's schedule until SIGINT or SIGTERM.

A signal never interrupts a run half-way: it is noted, the current run finishes and is recorded, and
the loop ends before the next check. Temporary venue failures are reported and retried at the next
check; any other failure ends the loop with its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from datetime import datetime

from rich.console import Console

from trimtab.errors import TemporaryVenueError
from trimtab.service import Bot, RunOutcome


async def run_loop(bot: Bot, *, out: Console, as_json: bool, max_runs: int | None = None) -> int:
    """Run checks until stopped; returns how many checks were made."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    checks = 0
    try:
        while not stop.is_set():
            try:
                outcome = await bot.rebalance(command="run")
                _report(out, as_json, outcome, None)
            except TemporaryVenueError as error:
                _report(out, as_json, None, str(error))
            checks += 1
            if max_runs is not None and checks >= max_runs:
                break
            now = bot.parts.clock()
            next_check = bot.parts.policy.next_check(now)
            _announce(out, as_json, next_check)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, (next_check - now).total_seconds()))
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return checks


def _report(out: Console, as_json: bool, outcome: RunOutcome | None, error: str | None) -> None:
    if as_json:
        if outcome is None:
            line: dict[str, object] = {"event": "run", "status": "failed", "error": error}
        else:
            line = {
                "event": "run",
                "run_id": outcome.run_id,
                "status": outcome.status,
                "rebalance": outcome.planned.decision.rebalance,
                "reason": outcome.planned.decision.reason,
                "orders": len(outcome.results),
            }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
    elif outcome is None:
        out.print(f"[yellow]check failed, will retry at the next check:[/] {error}")
    else:
        when = outcome.planned.portfolio.snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        out.print(
            f"{when} run {outcome.run_id}: {outcome.planned.decision.reason}"
            + (f" — {len(outcome.results)} orders" if outcome.results else "")
        )


def _announce(out: Console, as_json: bool, next_check: datetime) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"event": "sleep", "next_check": next_check.isoformat()}) + "\n")
        sys.stdout.flush()
    else:
        out.print(f"next check at {next_check:%Y-%m-%d %H:%M:%S} UTC (Ctrl-C to stop)")

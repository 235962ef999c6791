"""The ``trimtab run`` loop: check on the policy's schedule until SIGINT or SIGTERM.

A signal never interrupts a run half-way: it is noted, the current run finishes and is recorded, and
the loop ends before the next check. A failed run is reported and the loop goes on to the next check
(an unfinished one is resumed there); after ``risk.max_consecutive_failures`` failed runs in a row
the kill switch stops the loop with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from datetime import datetime

from rich.console import Console

from trimtab.errors import AccountMismatch, KillSwitchTripped, TrimtabError
from trimtab.service import Bot, RunOutcome


async def run_loop(
    bot: Bot, *, out: Console, as_json: bool, max_runs: int | None = None, override_kill_switch: bool = False
) -> int:
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
                outcome = await bot.rebalance(command="run", override_kill_switch=override_kill_switch)
                _report(out, as_json, outcome, None)
            except (KillSwitchTripped, AccountMismatch):
                raise  # every further check would refuse the same way: a human must look
            except TrimtabError as error:
                _report(out, as_json, None, str(error))
            override_kill_switch = False  # only for the first run after the human looked
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
        out.print(f"[yellow]run failed, next check as scheduled:[/] {error}")
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

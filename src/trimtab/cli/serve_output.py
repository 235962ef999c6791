"""What ``trimtab serve`` prints for each event of its fleet: one human line, or one JSON object
(``--json``, for log shippers). The run and wait events are ``trimtab run --json``'s, with the
portfolio's name added."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trimtab.app.documents import run_event, sleep_event
from trimtab.app.fleet_parts import Busy, Checked, FleetEvent, PortfolioState, Serving, StateChanged, Stopped
from trimtab.app.scheduler import CheckDone, MarketEnded, Sleeping
from trimtab.cli.run_loop import failure_words
from trimtab.errors import TrimtabError, failure_of

ErrorLine = Callable[[TrimtabError], str]


def json_event(event: FleetEvent, error_line: ErrorLine) -> dict[str, Any]:
    name = {"portfolio": event.portfolio}
    if isinstance(event, Serving):
        return {"event": "serving", **name, "config": str(event.config_path), "state": event.state.value}
    if isinstance(event, Busy):
        return {"event": "busy", **name, "config": str(event.config_path), "message": event.message}
    if isinstance(event, Checked):
        done = event.event
        if isinstance(done, CheckDone):
            report = name | run_event(done.outcome, None if done.error is None else error_line(done.error))
            if done.error is not None:
                report["failure"] = failure_of(done.error).value  # temporary | bad input | counted
            return report
        if isinstance(done, MarketEnded):
            return {"event": "replay_ended", **name, "at": done.at.isoformat(), "reason": done.reason}
        return name | sleep_event(done.next_check) | ({"retry": done.retry} if done.retry else {})
    if isinstance(event, StateChanged):
        return {"event": "state", **name, "state": event.state.value, "reason": _reason(event, error_line)}
    assert isinstance(event, Stopped)
    return {"event": "stopped", **name}


def text_line(event: FleetEvent, error_line: ErrorLine) -> str:
    name = event.portfolio
    if isinstance(event, Serving):
        if event.state is PortfolioState.PAUSED:
            return (
                f"{name}: serving {event.config_path}, paused (POST /api/portfolios/{name}/resume resumes it)"
            )
        return f"{name}: serving {event.config_path}"
    if isinstance(event, Busy):
        return f"{name}: skipped, driven elsewhere: {event.message}"
    if isinstance(event, Checked):
        done = event.event
        if isinstance(done, MarketEnded):
            return f"{name}: replay over: {done.reason}"
        if isinstance(done, Sleeping):
            what = f"retry {done.retry}" if done.retry else "next check"
            return f"{name}: {what} at {done.next_check:%Y-%m-%d %H:%M:%S} UTC"
        if done.outcome is None:
            assert done.error is not None
            return f"{name}: run failed ({failure_words(done.error)}): {error_line(done.error)}"
        outcome = done.outcome
        when = outcome.planned.portfolio.snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        orders = f" — {len(outcome.results)} orders" if outcome.results else ""
        return f"{name}: {when} run {outcome.run_id}: {outcome.planned.decision.reason}{orders}"
    if isinstance(event, StateChanged):
        if event.state is PortfolioState.KILL_SWITCH:
            return (
                f"{name}: stopped, its schedule waits for you: {_reason(event, error_line)} "
                f"(POST /api/portfolios/{name}/resume once fixed)"
            )
        return f"{name}: {event.state.value}, {event.reason}"
    assert isinstance(event, Stopped)
    return f"{name}: stopped"


def _reason(event: StateChanged, error_line: ErrorLine) -> str:
    return error_line(event.error) if event.error is not None else event.reason

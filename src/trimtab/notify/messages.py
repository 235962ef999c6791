"""The words of a notification, composed from the app's plain data (:class:`RunOutcome` and its JSON
document, :func:`trimtab.app.documents.run_report`) — never from a front end's rendering.

A message is plain text a phone shows well: a title naming the portfolio and what happened, then a few
short lines. Every text passes through :func:`trimtab.redaction.redact` (an error message may quote a
venue's answer).

>>> failed("main", "binance: network down").title
'trimtab main: run failed'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from trimtab.app.documents import run_report
from trimtab.app.outcomes import RunOutcome
from trimtab.config.notify_section import NotifyEvent
from trimtab.ledger.records import RunMode, RunStatus
from trimtab.model.money import fmt
from trimtab.redaction import redact


class Severity(StrEnum):
    """How a message is flagged where the service can show it (apprise's notify types)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    FAILURE = "failure"


@dataclass(frozen=True)
class Message:
    """One notification: what it is about, its title and body, and how urgent it looks."""

    event: NotifyEvent | None  # None: a test message
    title: str
    body: str
    severity: Severity = Severity.INFO


def _title(portfolio: str, what: str) -> str:
    return f"trimtab {portfolio}: {what}"


def _money(text: str, quote: str) -> str:
    return f"{fmt(Decimal(text), 2, fixed=True, thousands=True)} {quote}"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def rebalanced(portfolio: str, outcome: RunOutcome) -> Message:
    """A run that placed its orders, or planned them in a dry run: decision and reason, the orders
    (side, asset, amount, price), fees and the value after."""
    report = run_report(outcome)
    quote = report["quote"]
    dry = outcome.mode is RunMode.DRY_RUN
    lines = [_decision_line(report)]
    if dry:
        lines.append("Dry run: nothing was placed. Planned orders:" if report["orders"] else "No orders.")
        lines += [_planned_order(order, quote) for order in report["orders"]]
        what = f"dry run, {len(report['orders'])} orders planned"
    else:
        lines.append("Orders:" if report["results"] else "No orders were needed.")
        lines += [_order_result(result, quote) for result in report["results"]]
        what = f"rebalanced, {len(report['results'])} orders"
        fees = ", ".join(f"{fmt(Decimal(v))} {asset}" for asset, v in report["fees"].items())
        if fees:
            lines.append(f"Fees: {fees} (worth {_money(report['fees_value'], quote)})")
        route = outcome.route_fee_line()
        if route is not None:
            lines.append(f"Route: {route}")
    lines.append(f"Value before: {_money(report['total_value'], quote)}")
    if report["after"] is not None:
        lines.append(f"Value after: {_money(report['after']['total_value'], quote)}")
    lines.append(_run_line(outcome))
    return Message(
        NotifyEvent.REBALANCED, _title(portfolio, what), redact("\n".join(lines)), Severity.SUCCESS
    )


def skipped(portfolio: str, outcome: RunOutcome, unsent: int = 0, since: datetime | None = None) -> Message:
    """A check that found nothing to do; ``unsent`` more were collapsed into it since ``since``."""
    report = run_report(outcome)
    lines = [_decision_line(report), f"Value: {_money(report['total_value'], report['quote'])}"]
    if unsent and since is not None:
        lines.append(f"{unsent} more checks found nothing to do since {_when(since)} (not sent one by one).")
    lines.append(_run_line(outcome))
    return Message(NotifyEvent.SKIPPED, _title(portfolio, "nothing to do"), redact("\n".join(lines)))


def failed(portfolio: str, error: str) -> Message:
    """A run that failed; the run loop tries again at the next check."""
    body = f"Error: {error}\nNothing more was placed; the next check tries again."
    return Message(NotifyEvent.FAILED, _title(portfolio, "run failed"), redact(body), Severity.FAILURE)


def kill_switch(portfolio: str, error: str) -> Message:
    """Too many failed runs in a row: the bot refuses to trade until a human looks."""
    body = f"{error}\nThe bot does not trade this portfolio until you fix the cause and override the kill switch."
    return Message(
        NotifyEvent.KILL_SWITCH,
        _title(portfolio, "kill switch tripped, trading stopped"),
        redact(body),
        Severity.FAILURE,
    )


def guard(portfolio: str, error: str) -> Message:
    """A safety guard stopped a run (a price moved too far, the account disagrees with the ledger)."""
    body = f"{error}\nNothing more was placed."
    return Message(
        NotifyEvent.GUARD, _title(portfolio, "a safety guard stopped a run"), redact(body), Severity.WARNING
    )


def frozen(portfolio: str, reasons: Mapping[str, str]) -> Message:
    """Assets a guard froze (a halted market, a crash held back until resumed): not traded, the rest
    rebalanced around them."""
    lines = [f"- {asset}: {reason}" for asset, reason in sorted(reasons.items())]
    lines.append("They are not traded; the rest of the portfolio is rebalanced around them.")
    if any("resumed" in reason for reason in reasons.values()):
        lines.append("A crashed asset is bought again once you resume it (trimtab guards --resume ASSET).")
    what = f"{', '.join(sorted(reasons))} frozen by a guard"
    return Message(NotifyEvent.FROZEN, _title(portfolio, what), redact("\n".join(lines)), Severity.WARNING)


def trial(portfolio: str, now: datetime) -> Message:
    """``trimtab notify-test``: proves the way to the owner works."""
    body = (
        f"A test message from trimtab for the portfolio {portfolio}, sent {_when(now)}. Notifications work."
    )
    return Message(None, _title(portfolio, "test message"), body)


def _decision_line(report: Mapping[str, Any]) -> str:
    decision = report["decision"]
    said = "rebalance" if decision["rebalance"] else "no rebalance"
    forced = " (forced)" if decision["forced"] else ""
    return f"Decision: {said}{forced}: {decision['reason']}"


def _asset(symbol: str) -> str:
    return symbol.split("/", maxsplit=1)[0]


def _planned_order(order: Mapping[str, Any], quote: str) -> str:
    return f"- {order['side']} {order['amount']} {_asset(order['symbol'])} at {_money(order['limit_price'], quote)}"


def _order_result(result: Mapping[str, Any], quote: str) -> str:
    price = result["average_price"] or result["limit_price"]
    amount = result["filled"] if Decimal(result["filled"]) else result["amount"]
    line = f"- {result['side']} {amount} {_asset(result['symbol'])} at {_money(price, quote)}"
    if result["filled"] != result["amount"]:
        line += f" ({result['status']}: {result['filled']} of {result['amount']} filled)"
    return line


def _run_line(outcome: RunOutcome) -> str:
    taken = outcome.planned.portfolio.snapshot.taken_at
    status = "" if outcome.status is RunStatus.COMPLETED else f", {outcome.status}"
    return f"Run {outcome.run_id} ({outcome.mode}{status}), {_when(taken)}"

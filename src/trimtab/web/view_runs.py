"""Runs: the table of runs (the portfolio page's recent runs, the history page), the history page with
its status filter and pages, and one run with its plan, orders and fills."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from trimtab.app.dashboard import RunsPage
from trimtab.app.documents import summary_report
from trimtab.ledger.records import RunStatus, RunSummary
from trimtab.web.html import Markup, join, money, number, tag, when
from trimtab.web.layout import num_cell, table

# The portfolio page's recent runs (fits half a screen; a phone keeps Run, Started, Status, Value) and
# the history's (every column; the run page has the rest).
RECENT_HEAD = ["Run", "Started", "Status", "Decision", "Orders", "Fees", "Value"]
HISTORY_HEAD = ["Run", "Started", "Command", "Status", "Decision", "Orders", "Traded", "Fees", "Value after"]
PHONE_HIDES = frozenset({"Command", "Decision", "Orders", "Traded", "Fees"})
SHORT_REASON = 90


def fee_amount(amount: str, asset: str, quote: str) -> str:
    """A fee as shown: in the quote currency a value of money (2 decimals, unless that would show a
    fee as nothing), in any other asset the exact amount."""
    if asset == quote and (Decimal(amount) == 0 or abs(Decimal(amount)) >= Decimal("0.01")):
        return money(amount)
    return number(amount)


def fees_cell(fees: Mapping[str, str], quote: str, **attrs: object) -> Markup:
    """One line per currency, each with its exact amount in ``data-value``."""
    if not fees:
        return tag("td", "—", **attrs)
    lines = [
        tag("span", f"{fee_amount(amount, asset, quote)} {asset}", data_asset=asset, data_value=amount)
        for asset, amount in fees.items()
    ]
    return tag("td", *lines, **attrs)


def fees_text(fees: Mapping[str, str], quote: str) -> str:
    return ", ".join(f"{fee_amount(amount, asset, quote)} {asset}" for asset, amount in fees.items()) or "—"


def decision_text(run: Mapping[str, Any]) -> str:
    if run["reason"] is None:
        return str(run["error"] or "no decision recorded")
    return ("rebalance: " if run["rebalance"] else "no rebalance: ") + str(run["reason"])


def decision_short(run: Mapping[str, Any]) -> tuple[str, str]:
    """The verdict (``rebalance``, ``no rebalance``, ``error``) and the reason's first clause: the
    policy and what it saw, without the figures (``threshold: inside the band``)."""
    if run["reason"] is None:
        text = str(run["error"] or "no decision recorded")
        return "error" if run["error"] else "—", _clip(text)
    reason = str(run["reason"])
    first = reason.split(";", maxsplit=1)[0].split(" (", maxsplit=1)[0].strip()
    return ("rebalance" if run["rebalance"] else "no rebalance"), _clip(first)


def _clip(text: str) -> str:
    return text if len(text) <= SHORT_REASON else text[: SHORT_REASON - 1].rstrip() + "…"


def run_row(name: str, summary: RunSummary, quote: str, *, full: bool) -> Markup:
    """A row of a runs table: ``full`` for the history (every column), else the recent runs'."""
    run = summary_report(summary)
    status = run["status"]
    verdict, why = decision_short(run)
    value = run["value_after"] or run["value_before"]
    phone = "secondary"
    return tag(
        "tr",
        tag("th", tag("a", str(run["run_id"]), href=f"/p/{name}/runs/{run['run_id']}"), scope="row"),
        tag("td", when(summary.started_at, compact=True), data_field="started"),
        tag(
            "td",
            run["command"] + (" (dry run)" if run["mode"] == "dry-run" else ""),
            data_field="command",
            class_=phone,
        )
        if full
        else None,
        tag(
            "td",
            tag("span", status, class_=f"status status-{status}"),
            data_field="status",
            data_value=status,
        ),
        tag(
            "td",
            tag("span", verdict, class_="verdict"),
            " · " if why else None,
            tag("span", why, class_="muted") if why else None,
            data_field="decision",
            class_=f"reason {phone}",
            title=decision_text(run),
        ),
        tag("td", str(run["orders"]), data_field="orders", class_=f"num {phone}"),
        num_cell(money(run["traded_value"]), run["traded_value"], field="traded", extra=phone)
        if full
        else None,
        fees_cell(run["fees"], quote, data_field="fees", class_=f"num lines {phone}"),
        num_cell(money(value), value, field="value-after"),
        data_run_id=str(run["run_id"]),
        data_status=status,
    )


def runs_table(
    table_id: str, name: str, quote: str, runs: Sequence[RunSummary], caption: str, *, full: bool
) -> Markup:
    return table(
        table_id,
        caption,
        HISTORY_HEAD if full else RECENT_HEAD,
        [run_row(name, run, quote, full=full) for run in runs],
        empty="No runs recorded yet.",
        secondary=PHONE_HIDES,
    )


def _link(name: str, status: RunStatus | None, page: int = 1) -> str:
    query = {k: v for k, v in (("status", status.value if status else None), ("page", page)) if v and v != 1}
    return f"/p/{name}/history" + (f"?{urlencode(query)}" if query else "")


def history(name: str, quote: str, found: RunsPage) -> Markup:
    """Runs of one portfolio, newest first, 50 a page, filtered by status."""
    filters = [
        tag(
            "a",
            f"all ({sum(found.counts.values())})",
            href=_link(name, None),
            data_filter_status="",
            aria_current="page" if found.status is None else None,
        )
    ]
    for status in RunStatus:
        filters.append(
            tag(
                "a",
                f"{status.value} ({found.counts.get(status, 0)})",
                href=_link(name, status),
                data_filter_status=status.value,
                aria_current="page" if found.status is status else None,
            )
        )
    pager = []
    if found.page > 1:
        pager.append(tag("a", "← newer", href=_link(name, found.status, found.page - 1), rel="prev"))
    pager.append(tag("span", f"page {found.page} of {found.pages} · {found.total} runs"))
    if found.page < found.pages:
        pager.append(tag("a", "older →", href=_link(name, found.status, found.page + 1), rel="next"))
    shown = found.status.value if found.status else "all"
    return join(
        tag("p", tag("a", f"← {name}", href=f"/p/{name}"), class_="crumbs"),
        tag("h1", f"{name}: history"),
        tag("nav", "Status: ", join(*filters), aria_label="Filter by status", class_="filters"),
        runs_table(
            "history",
            name,
            quote,
            found.runs,
            f"Runs of {name} ({shown}), newest first; times in UTC, values in {quote}",
            full=True,
        ),
        tag("nav", *pager, aria_label="Pages", class_="pager"),
    )

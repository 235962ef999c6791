"""The portfolio page (``/p/{name}``): allocation against target (chart and table), the decision and
its planned orders, the actions, recent runs, the equity curve, fees paid and the tax year.

The allocation table shows the ``status --json`` document's numbers as ``trimtab status`` does: amounts
and prices exact (grouped: ``20,102.55``), values with 2 decimals, weights and targets with 2 decimals
and ``%``, drifts in signed percentage points (``+7.10 pts``); each cell's ``data-value`` holds the
document's exact string. A phone leaves out the amount and the price (the columns that matter first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trimtab.app.dashboard import EquityPoint, FeesPaid
from trimtab.app.dashboard_tax import TaxGlance
from trimtab.app.fleet import ServedPortfolio
from trimtab.ledger.records import GuardHold, RunSummary
from trimtab.model.money import fmt
from trimtab.web.charts import allocation_chart, equity_chart
from trimtab.web.html import Markup, join, money, number, points, tag, weight, when
from trimtab.web.layout import SECONDARY, num_cell, section, table
from trimtab.web.view_guards import guards_section
from trimtab.web.view_overview import state_badge
from trimtab.web.view_runs import runs_table
from trimtab.web.view_tax import tax_section

EQUITY_TABLE_ROWS = 100


@dataclass(frozen=True)
class PortfolioPage:
    portfolio: ServedPortfolio
    status: Mapping[str, Any] | None
    status_error: str | None
    plan: Mapping[str, Any] | None  # plan --json
    plan_error: str | None
    runs: Sequence[RunSummary]
    equity: Sequence[EquityPoint]
    fees: Mapping[str, FeesPaid]
    tax: TaxGlance | None
    tax_error: str | None
    writes: bool
    holds: Sequence[GuardHold] = ()  # the crash guard's holds in force


def portfolio_page(data: PortfolioPage) -> Markup:
    portfolio = data.portfolio
    quote = portfolio.config.quote
    return join(
        _head(data),
        tag(
            "div",
            guards_section(portfolio.name, data.holds, writes=data.writes),
            section("Allocation", *_allocation(data), id="allocation-section", class_="wide"),
            section("Decision", *_decision(data), id="decision-section"),
            section("Fees paid", _fees(data.fees, quote), id="fees"),
            section("Equity", *_equity(data.equity, quote), id="equity-section", class_="wide"),
            tax_section(data.tax, data.tax_error) if portfolio.config.tax is not None else None,
            section(
                "Recent runs",
                runs_table(
                    "runs",
                    portfolio.name,
                    quote,
                    data.runs,
                    (
                        f"The latest {len(data.runs)} runs, newest first"
                        if len(data.runs) > 1
                        else "The latest run"
                    )
                    + f"; times in UTC, values in {quote}",
                    full=False,
                ),
                tag("p", tag("a", "All runs, filtered by status →", href=f"/p/{portfolio.name}/history")),
                id="runs-section",
                class_="wide",
            ),
            class_="grid",
        ),
    )


def _head(data: PortfolioPage) -> Markup:
    portfolio = data.portfolio
    total = data.status["total_value"] if data.status is not None else None
    disabled = None if data.writes else True
    why = None if data.writes else "Writes are off: start the server with TRIMTAB_WEB_TOKEN set."
    return tag(
        "div",
        tag("h1", portfolio.name, " ", state_badge(portfolio.state.value, id="state")),
        tag(
            "p",
            "Value ",
            tag("strong", money(total), data_field="total-value", data_value=total, class_="num"),
            " ",
            portfolio.config.quote,
            " · last run ",
            _last_run(portfolio),
            " · next check ",
            when(portfolio.next_check),
            class_="facts",
        ),
        tag(
            "p",
            "The kill switch stopped this portfolio's checks: its last runs failed (see ",
            tag("a", "the failed runs", href=f"/p/{portfolio.name}/history?status=failed"),
            "), or its account disagrees with its ledger. Once you know why, Resume runs the next check "
            "despite it, once.",
            id="kill-switch",
            class_="error",
        )
        if portfolio.state.value == "kill_switch"
        else None,
        tag(
            "div",
            tag(
                "label",
                tag("input", type="checkbox", name="force", id="force"),
                " force (even if the policy says no)",
                class_="force",
            ),
            tag(
                "button",
                "Rebalance now",
                type="button",
                class_="primary",
                data_action="rebalance",
                data_portfolio=portfolio.name,
                disabled=disabled,
            ),
            tag(
                "button",
                "Pause",
                type="button",
                data_action="pause",
                data_portfolio=portfolio.name,
                disabled=disabled,
            ),
            tag(
                "button",
                "Resume",
                type="button",
                data_action="resume",
                data_portfolio=portfolio.name,
                disabled=disabled,
            ),
            tag("p", why, class_="muted") if why else None,
            class_="actions",
            aria_label="Actions",
            role="group",
        ),
        class_="page-head",
    )


def _last_run(portfolio: ServedPortfolio) -> Markup:
    run = portfolio.last_run
    if run is None:
        return Markup("none yet")
    return join(
        tag("a", f"run {run.run_id}", href=f"/p/{portfolio.name}/runs/{run.run_id}"),
        " (",
        tag("span", run.status, class_=f"status status-{run.status}"),
        ", ",
        when(run.time),
        ")",
    )


def _allocation(data: PortfolioPage) -> list[Markup | None]:
    if data.status is None:
        return [tag("p", f"Could not read the portfolio: {data.status_error}", class_="error")]
    weights: Mapping[str, Mapping[str, str]] = data.status["weights"]
    band = data.portfolio.config.threshold
    rows = []
    for asset, w in weights.items():
        over = band is not None and abs(Decimal(w["drift"])) > band
        rows.append(
            tag(
                "tr",
                tag("th", asset, scope="row"),
                num_cell(number(w["amount"]), w["amount"], field="amount", extra=SECONDARY),
                num_cell(number(w["price"]), w["price"], field="price", extra=SECONDARY),
                num_cell(money(w["value"]), w["value"], field="value"),
                num_cell(weight(w["current"]), w["current"], field="weight"),
                num_cell(weight(w["target"]), w["target"], field="target"),
                num_cell(points(w["drift"]), w["drift"], field="drift", extra="over" if over else None),
                data_asset=asset,
            )
        )
    unmanaged: Mapping[str, str] = data.status.get("unmanaged", {})
    dust: Mapping[str, Mapping[str, str]] = data.status.get("dust", {})
    band_text = (
        f"The shaded band is the target ± {fmt(band)} points: a drift outside it triggers a rebalance."
        if band is not None
        else "A calendar policy rebalances on its schedule, whatever the drift."
    )
    return [
        tag(
            "div",
            tag(
                "div",
                allocation_chart(weights, band),
                tag("p", band_text, " Bars: the current weight; lines: the target.", class_="muted legend"),
                class_="chart-box",
            ),
            tag(
                "div",
                table(
                    "allocation",
                    f"Holdings at {_moment(data.status['taken_at'])}; prices and values in "
                    f"{data.status['quote']}, drift in percentage points",
                    ["Asset", "Amount", "Price", "Value", "Weight", "Target", "Drift"],
                    rows,
                    empty="No assets.",
                    secondary={"Amount", "Price"},
                ),
                class_="table-box",
            ),
            class_="alloc",
        ),
        tag(
            "p",
            "Held but not managed: " + ", ".join(f"{number(v)} {a}" for a, v in unmanaged.items()),
            class_="muted",
        )
        if unmanaged
        else None,
        tag(
            "p",
            "Dust, too small to sell and kept out of the weights: "
            + ", ".join(f"{number(d['amount'])} {a}" for a, d in dust.items()),
            class_="muted",
        )
        if dust
        else None,
        *_outside(data.status),
    ]


def _outside(status: Mapping[str, Any]) -> list[Markup | None]:
    """External holdings (in the amounts above, never traded), amounts set aside for a withdrawal and
    the cash flows seen since the last run, one line each."""
    external: Mapping[str, str] = status.get("external", {})
    kept: Mapping[str, str] = status.get("set_aside", {})
    flows: list[Mapping[str, Any]] = status.get("cash_flows", [])
    lines: list[Markup | None] = []
    if external:
        held = ", ".join(f"{number(v)} {a}" for a, v in external.items())
        lines.append(
            tag("p", f"Of which external: {held} (counted in the weights, never traded)", class_="muted")
        )
    if kept:
        held = ", ".join(f"{number(v)} {a}" for a, v in kept.items())
        lines.append(tag("p", f"Set aside for a withdrawal: {held}, outside the portfolio", class_="muted"))
    for flow in flows:
        amount = Decimal(flow["amount"])
        kind = "Deposit" if amount > 0 else "Withdrawal"
        lines.append(
            tag("p", f"{kind} of {number(str(abs(amount)))} {flow['asset']} since run {flow['run_id']}")
        )
    return lines


def _moment(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _decision(data: PortfolioPage) -> list[Markup]:
    plan = data.plan
    if plan is None:
        return [tag("p", f"Could not plan: {data.plan_error}", id="decision", class_="error")]
    decision = plan["decision"]
    due = bool(decision["rebalance"])
    parts: list[Markup] = [
        tag(
            "p",
            tag("strong", "Rebalance due" if due else "No rebalance now"),
            " — ",
            decision["reason"],
            id="decision",
            data_rebalance="true" if due else "false",
        )
    ]
    if due:
        rows = [
            tag(
                "tr",
                tag("th", str(order["leg"] + 1), scope="row", class_=SECONDARY),
                tag("td", order["side"], data_field="side"),
                tag("td", order["symbol"], data_field="symbol"),
                num_cell(number(order["amount"]), order["amount"], field="amount"),
                num_cell(
                    number(order["limit_price"]), order["limit_price"], field="limit-price", extra=SECONDARY
                ),
                num_cell(money(order["value"]), order["value"], field="value"),
                data_leg=str(order["leg"]),
            )
            for order in plan["orders"]
        ]
        parts.append(
            table(
                "planned-orders",
                "The orders a rebalance now would place, in order (sells first)",
                ["#", "Side", "Market", "Amount", "Limit price", "Value"],
                rows,
                empty="No order to place now (see below).",
                secondary={"#", "Limit price"},
            )
        )
        advice = plan.get("tax") or {}
        for deferred in advice.get("deferred", []):
            parts.append(
                tag(
                    "p",
                    f"Deferred: sell {number(deferred['amount'])} {deferred['asset']} until {deferred['until']}"
                    f" — {deferred['reason']}",
                    class_="muted",
                    data_deferred=deferred["asset"],
                )
            )
        if advice.get("estimated_tax") is not None:
            parts.append(
                tag(
                    "p",
                    f"Estimated tax of these orders: {money(advice['estimated_tax'])} {advice.get('currency', '')}",
                    class_="muted",
                )
            )
        for skipped in plan.get("skipped", []):
            parts.append(
                tag(
                    "p",
                    f"Skipped: {skipped['side']} {skipped['asset']} ({money(skipped['value'])}): {skipped['reason']}",
                    class_="muted",
                )
            )
    return parts


def _fees(fees: Mapping[str, FeesPaid], quote: str) -> Markup:
    items = []
    for period, label in (("month", "This month"), ("year", "This year"), ("all", "All time")):
        paid = fees.get(period, FeesPaid())
        other = ", ".join(f"{fmt(amount)} {asset}" for asset, amount in paid.other.items())
        items.append(
            tag(
                "div",
                tag("dt", label),
                tag(
                    "dd",
                    tag("span", money(paid.value), class_="num", data_value=fmt(paid.value)),
                    f" {quote}",
                    f" + {other}" if other else "",
                    tag("span", f"{paid.fills} fill{'s' if paid.fills != 1 else ''}", class_="muted fills"),
                ),
                data_period=period,
            )
        )
    return join(
        tag("dl", *items, class_="fees"),
        tag(
            "p",
            "Live runs only; calendar month and year in UTC; fees in the base asset valued at the fill's price.",
            class_="muted",
        ),
    )


def _equity(points: Sequence[EquityPoint], quote: str) -> list[Markup | None]:
    shown = list(reversed(points))[:EQUITY_TABLE_ROWS]
    rows = [
        tag(
            "tr",
            tag("th", when(point.taken_at, compact=True), scope="row"),
            num_cell(money(point.value), fmt(point.value)),
            tag("td", str(point.run_id)),
            tag("td", "rebalanced" if point.kind.value == "after" else "checked"),
        )
        for point in shown
    ]
    rebalances = sum(1 for point in points if point.kind.value == "after")
    return [
        equity_chart(points, quote),
        tag(
            "p",
            tag("span", "●", class_="legend-dot", aria_hidden="true"),
            " a rebalance: the value just after the run traded (dashed line: its time). "
            f"{rebalances} in this curve.",
            class_="muted legend",
        )
        if rebalances and len({point.taken_at for point in points}) > 1
        else None,
        tag(
            "details",
            tag("summary", f"The curve as a table (the latest {len(shown)} of {len(points)} points)"),
            table(
                "equity",
                f"Portfolio value in {quote}, newest first; times in UTC",
                ["Time", "Value", "Run", "Point"],
                rows,
                empty="No values recorded yet.",
            ),
            id="equity-details",
        )
        if points
        else None,
    ]

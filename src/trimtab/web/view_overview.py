"""The overview (``/``): one row per served portfolio — value, largest drift against its band, state,
last run, next check — each linking to its page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from trimtab.app.dashboard import largest_drift
from trimtab.app.fleet import ServedPortfolio
from trimtab.app.fleet_parts import StandbyPortfolio
from trimtab.model.money import fmt
from trimtab.web.errors import clean
from trimtab.web.html import Markup, join, money, points, tag, when
from trimtab.web.layout import table


def state_badge(state: str, **attrs: object) -> Markup:
    return tag("span", state, class_=f"state state-{state}", data_value=state, **attrs)


def last_run_cell(portfolio: ServedPortfolio) -> Markup:
    run = portfolio.last_run
    if run is None:
        return tag("td", "no run yet", data_field="last-run", data_label="Last run")
    result = run.status + (" · rebalanced" if run.rebalance and run.status == "completed" else "")
    return tag(
        "td",
        tag("a", f"run {run.run_id}", href=f"/p/{portfolio.name}/runs/{run.run_id}"),
        " · ",
        when(run.time),
        " · ",
        tag("span", result, class_=f"status status-{run.status}"),
        data_field="last-run",
        data_label="Last run",
        data_run_id=str(run.run_id),
        data_status=run.status,
        title=run.error or run.reason or None,
    )


def drift_cell(status: Mapping[str, Any] | None, band: Decimal | None) -> Markup:
    found = largest_drift(status) if status is not None else None
    if found is None:
        return tag("td", "—", data_field="drift", data_label="Largest drift")
    asset, drift = found
    over = band is not None and abs(Decimal(drift)) > band
    band_text = f" (band ±{fmt(band)})" if band is not None else ""
    return tag(
        "td",
        tag("span", asset, class_="asset"),
        " ",
        tag("span", points(drift), class_="num"),
        tag("span", band_text, class_="muted"),
        data_field="drift",
        data_label="Largest drift",
        data_value=drift,
        data_asset=asset,
        class_="num over" if over else "num",
    )


def overview(
    portfolios: Sequence[tuple[ServedPortfolio, Mapping[str, Any] | None, str | None]],
    standby: Sequence[StandbyPortfolio] = (),
) -> Markup:
    """``portfolios``: each with its ``status --json`` document (None when it could not be read) and
    that read's error; ``standby``: the portfolios another process sharing their ledger drives."""
    rows = []
    for portfolio, status, error in portfolios:
        name = portfolio.name
        value = status["total_value"] if status is not None else None
        rows.append(
            tag(
                "tr",
                tag("th", tag("a", name, href=f"/p/{name}"), scope="row", data_field="name"),
                tag(
                    "td",
                    money(value),
                    " ",
                    tag("span", portfolio.config.quote, class_="unit"),
                    data_field="value",
                    data_value=value,
                    data_label="Value",
                    class_="num",
                    title=error,
                ),
                drift_cell(status, portfolio.config.threshold),
                tag(
                    "td",
                    state_badge(portfolio.state.value),
                    data_field="state",
                    data_value=portfolio.state.value,
                    data_label="State",
                ),
                last_run_cell(portfolio),
                tag("td", when(portfolio.next_check), data_field="next-check", data_label="Next check"),
                data_portfolio=name,
            )
        )
    count = len(portfolios)
    return join(
        tag("h1", "Portfolios"),
        tag(
            "p",
            f"{count} portfolio{'s' if count != 1 else ''} served"
            + (f" here, {len(standby)} on standby" if standby else "")
            + ". Largest drift: the asset furthest from its "
            "target, in percentage points of the portfolio, against the band that triggers a rebalance.",
            class_="lead",
        ),
        table(
            "portfolios",
            "Served portfolios",
            ["Portfolio", "Value", "Largest drift", "State", "Last run", "Next check"],
            rows,
            empty="No portfolio is served.",
            cards=True,
        ),
        standby_list(standby),
    )


def standby_list(standby: Sequence[StandbyPortfolio]) -> Markup:
    """The portfolios driven elsewhere: each with its driver (this process takes it over when it stops)."""
    if not standby:
        return join()
    items = [
        tag(
            "li",
            state_badge("standby"),
            " ",
            tag("strong", w.name),
            f": driven by {clean(w.holder).replace('`', '')}",
            data_portfolio=w.name,
        )
        for w in standby
    ]
    return join(
        tag("h2", "On standby"),
        tag("p", "Driven by another trimtab serve that shares their ledger; taken over here when it stops."),
        tag("ul", *items, class_="standby"),
    )

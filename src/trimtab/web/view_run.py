"""One run (``/p/{name}/runs/{id}``): its summary, the orders it planned, each order as the venue last
reported it with its fills, and the holdings before and after side by side.

Values of money show 2 decimals; amounts, prices and fees of a fill as exact as the venue gave them
(the run page is the full detail).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from trimtab.app.documents import detail_report
from trimtab.ledger.records import PositionRecord, RunDetail, SnapshotKind
from trimtab.model.money import fmt
from trimtab.web.html import Markup, join, money, number, tag, weight, when
from trimtab.web.layout import SECONDARY, num_cell, section, table
from trimtab.web.view_runs import decision_text, fees_text

PLAN_HEAD = ["#", "Side", "Market", "Amount", "Limit price", "Value", "Placed"]
ORDERS_HEAD = ["Client order id", "Side", "Market", "Amount", "Filled", "Average price", "Status"]
HOLDINGS_HEAD = [
    "Asset",
    "Weight before",
    "Weight after",
    "Target",
    "Value before",
    "Value after",
    "Amount before",
    "Amount after",
    "Price",
]
HOLDINGS_PHONE_HIDES = frozenset({"Value before", "Amount before", "Amount after", "Price"})


def run_page(name: str, quote: str, detail: RunDetail) -> Markup:
    run = detail_report(detail)
    return join(
        tag(
            "p",
            tag("a", f"← {name}", href=f"/p/{name}"),
            " · ",
            tag("a", "history", href=f"/p/{name}/history"),
            class_="crumbs",
        ),
        tag("h1", f"{name}: run {run['run_id']}"),
        tag(
            "div",
            section("Summary", _summary(run, detail, quote), id="run-summary"),
            section("Planned orders", _planned(detail, quote), id="run-plan"),
            section("Orders", *_orders(run), id="run-orders", class_="wide"),
            section("Holdings before and after", _holdings(detail, quote), id="run-snapshots", class_="wide"),
            class_="grid",
        ),
    )


def _summary(run: dict[str, object], detail: RunDetail, quote: str) -> Markup:
    summary = detail.summary
    facts = [
        ("Started", "started", when(summary.started_at)),
        ("Finished", "finished", when(summary.finished_at)),
        ("Command", "command", f"{run['command']} ({run['mode']}{', forced' if run['forced'] else ''})"),
        ("Venue", "venue", run["venue"]),
        ("Status", "status", tag("span", run["status"], class_=f"status status-{run['status']}")),
        ("Decision", "decision", decision_text(run)),
        ("Value before", "value-before", _money_in(run["value_before"], quote)),
        ("Value after", "value-after", _money_in(run["value_after"], quote)),
        ("Traded", "traded", _money_in(run["traded_value"], quote)),
        ("Fees", "fees", fees_text(run["fees"], quote)),  # type: ignore[arg-type]
    ]
    if run["quote_route_fees"] is not None:  # routing: cheapest, against the fees of the quote-only route
        facts.append(("Quote-only route", "quote-route-fees", _route_fees(run, quote)))
    return join(
        tag(
            "dl",
            *(join(tag("dt", label), tag("dd", value, data_field=key)) for label, key, value in facts),
            class_="facts",
        ),
        tag("p", run["error"], class_="error") if run["error"] else None,
    )


def _route_fees(run: dict[str, object], quote: str) -> Markup:
    """``32.09 USDT in fees (saved 14.59 USDT)``: what the quote-only route would have paid, and what
    routing saved (``cost … more`` when it did not; no verdict for a run that placed nothing)."""
    saved = run["fees_saved"]
    if saved is None:
        verdict = None
    elif Decimal(str(saved)) >= 0:
        verdict = tag("span", f"saved {money(str(saved))} {quote}", data_field="fees-saved", data_value=saved)
    else:
        cost = money(-Decimal(str(saved)))
        verdict = tag("span", f"cost {cost} {quote} more", data_field="fees-saved", data_value=saved)
    return join(
        _money_in(run["quote_route_fees"], quote),
        " in fees",
        join(" (", verdict, ")") if verdict is not None else None,
    )


def _money_in(value: object, quote: str) -> Markup:
    if value is None:
        return Markup("—")
    return tag("span", f"{money(str(value))} {quote}", data_value=str(value))


def _planned(detail: RunDetail, quote: str) -> Markup:
    """Every leg the ledger recorded: the plan, then (after partial or cheaper sells) the buys re-planned
    from what the sells really raised; a leg never placed says so, so that a re-planned run does not read
    as twice the orders."""
    placed = {order.client_order_id for order in detail.orders}
    rows = [
        tag(
            "tr",
            tag("th", str(order.leg + 1), scope="row", class_=SECONDARY),
            tag("td", order.side.value, data_field="side"),
            tag("td", order.symbol),
            num_cell(number(fmt(order.amount)), fmt(order.amount)),
            num_cell(number(fmt(order.limit_price)), fmt(order.limit_price)),
            num_cell(money(order.value), fmt(order.value)),
            tag(
                "td",
                "placed" if order.client_order_id in placed else "not placed",
                data_field="placed",
                data_order=order.client_order_id if order.client_order_id in placed else None,
                title=order.client_order_id,
                class_=None if order.client_order_id in placed else "muted",
            ),
            data_leg=str(order.leg),
        )
        for order in detail.planned_orders
    ]
    # A cross pair's limit (ETH/BTC) is in its own quote asset, not the portfolio's.
    crossed = sorted({o.symbol for o in detail.planned_orders if not o.symbol.endswith(f"/{quote}")})
    limits = ""
    if crossed:
        base, pair_quote = crossed[0].split("/")
        limits = f"; a cross pair's limit price in its own quote: {pair_quote} per {base} on {crossed[0]}"
    return table(
        "planned-orders",
        f"The orders the run planned, in order (values in {quote}{limits}); buys re-planned from what the "
        "sells really raised come after the plan, and replace its buys",
        PLAN_HEAD,
        rows,
        empty="No orders were planned.",
        secondary={"#", "Placed"},
    )


def _orders(run: dict[str, object]) -> list[Markup]:
    orders, fills = [], []
    for order in run["orders_detail"]:  # type: ignore[attr-defined]
        orders.append(
            tag(
                "tr",
                tag("th", order["client_order_id"], scope="row"),
                tag("td", order["side"]),
                tag("td", order["symbol"]),
                num_cell(number(order["amount"]), order["amount"]),
                num_cell(number(order["filled"]), order["filled"]),
                num_cell(number(order["average_price"]), order["average_price"]),
                tag("td", order["status"], data_field="status"),
                data_order=order["client_order_id"],
            )
        )
        for fill in order["fills"]:
            fills.append(
                tag(
                    "tr",
                    tag("th", order["client_order_id"], scope="row"),
                    num_cell(number(fill["amount"]), fill["amount"]),
                    num_cell(number(fill["price"]), fill["price"]),
                    num_cell(f"{number(fill['fee'])} {fill['fee_asset']}", fill["fee"]),
                    data_order=order["client_order_id"],
                )
            )
    return [
        table(
            "orders",
            "The orders as the venue last reported them",
            ORDERS_HEAD,
            orders,
            empty="No orders were placed.",
        ),
        tag("h3", "Fills", id="fills-heading"),
        table(
            "fills", "Every fill, with its fee", ["Order", "Amount", "Price", "Fee"], fills, empty="No fills."
        ),
    ]


def _holdings(detail: RunDetail, quote: str) -> Markup:
    """One row per asset: its weight, value and amount before and after the trades."""
    sides: dict[SnapshotKind, dict[str, PositionRecord]] = {
        snap.kind: {pos.asset: pos for pos in snap.positions} for snap in detail.snapshots
    }
    before, after = sides.get(SnapshotKind.BEFORE, {}), sides.get(SnapshotKind.AFTER, {})
    assets = list(dict.fromkeys([*before, *after]))
    rows = []
    for asset in assets:
        was, now = before.get(asset), after.get(asset)
        either = now or was
        assert either is not None
        rows.append(
            tag(
                "tr",
                tag("th", asset, scope="row"),
                _cell(was, "weight"),
                _cell(now, "weight"),
                _cell(either, "target"),
                _cell(was, "value", SECONDARY),
                _cell(now, "value"),
                _cell(was, "amount", SECONDARY),
                _cell(now, "amount", SECONDARY),
                _cell(either, "price", SECONDARY),
                data_asset=asset,
            )
        )
    return table(
        "snapshots",
        f"The portfolio before and after the run (values and prices in {quote})",
        HOLDINGS_HEAD,
        rows,
        empty="No snapshot recorded.",
        secondary=HOLDINGS_PHONE_HIDES,
    )


def _exact(value: Decimal) -> str:
    return number(fmt(value))


SHOWN: dict[str, Callable[[Decimal], str]] = {"weight": weight, "target": weight, "value": money}


def _cell(position: PositionRecord | None, field: str, extra: str | None = None) -> Markup:
    """A number of one side's position: weights and targets in %, values of money with 2 decimals,
    amounts and prices exact; a dash for an asset the side does not hold."""
    classes = f"num {extra}" if extra else "num"
    if position is None:
        return tag("td", "—", class_=classes)
    exact: Decimal = getattr(position, field)
    shown = SHOWN.get(field, _exact)(exact)
    return tag("td", shown, class_=classes, data_value=fmt(exact))

"""Human output: rich tables for the portfolio, a plan, a run and the history."""

from __future__ import annotations

from decimal import Decimal

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trimtab.app.outcomes import PlanView, PortfolioView, RunOutcome, fee_totals
from trimtab.cli.advice_output import print_advice
from trimtab.cli.tables import FittedTable
from trimtab.ledger.records import RunMode, RunStatus
from trimtab.ledger.store import RunDetail, RunSummary
from trimtab.model.money import fmt
from trimtab.planning.plan import Plan


def _table(title: str) -> Table:
    return FittedTable(title=title, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")


def _pct(value: Decimal) -> str:
    return f"{fmt(value, 2, fixed=True)}%"


def _signed(value: Decimal) -> str:
    """A drift in points: ``+0.00`` or ``-0.00`` says which side of the target a tiny one is on."""
    return fmt(value, 2, fixed=True, sign=True, negative_zero=True)


def _money(value: Decimal) -> str:
    return fmt(value, 2, fixed=True, thousands=True)


def _amount(value: Decimal) -> str:
    return fmt(value)


def portfolio_table(view: PortfolioView, title: str = "Portfolio") -> Table:
    quote = view.snapshot.quote
    table = _table(f"{title}: {_money(view.total_value)} {quote} (prices and values in {quote})")
    for column in ("asset", "amount", "price", "value", "weight", "target", "drift"):
        table.add_column(column, justify="left" if column == "asset" else "right")
    for asset in view.assets:
        current = view.weights[asset]
        target = view.targets.get(asset, Decimal(0))
        drift = current - target
        style = "bold red" if abs(drift) >= 5 else ("yellow" if abs(drift) >= 1 else "")
        table.add_row(
            asset,
            _amount(view.snapshot.amount(asset)),
            _amount(view.snapshot.price(asset)),
            _money(view.snapshot.value(asset)),
            _pct(current),
            _pct(target),
            f"[{style}]{_signed(drift)}[/]" if style else _signed(drift),
        )
    return table


def print_portfolio(console: Console, view: PortfolioView, title: str = "Portfolio") -> None:
    console.print(portfolio_table(view, title))
    if view.unmanaged:
        held = ", ".join(f"{_amount(a)} {asset}" for asset, a in view.unmanaged.items())
        console.print(f"[dim]Held outside the targets and left alone: {held}[/]")
    print_outside(console, view)


def print_outside(console: Console, view: PortfolioView) -> None:
    """The holdings apart from the exchange's tradable balance, and the cash flows seen since the last
    run: ``of which external: 0.5 BTC (counted, never traded)``."""
    snapshot = view.snapshot
    if snapshot.external:
        held = ", ".join(f"{_amount(a)} {asset}" for asset, a in sorted(snapshot.external.items()))
        console.print(f"Of which external: {held} (counted in the weights, never traded)")
    if snapshot.set_aside:
        kept = ", ".join(f"{_amount(a)} {asset}" for asset, a in sorted(snapshot.set_aside.items()))
        console.print(
            f"Set aside for a withdrawal: {kept} on the exchange, outside the portfolio "
            "(`trimtab withdraw --cancel` gives it back)"
        )
    for flow in view.cash_flows:
        console.print(f"[yellow]Cash flow: {flow.words}[/] (worth {_money(flow.value)} {snapshot.quote})")
    for asset, dust in view.dust.items():  # the reason names its worth where the worth is the reason
        console.print(
            f"[dim]Dust (kept out of the weights): {_amount(dust.amount)} {asset}, {dust.reason}[/]"
        )


def plan_table(plan: Plan, quote: str) -> Table:
    crossed = any(not o.symbol.endswith(f"/{quote}") for o in plan.orders)  # see print_plan
    table = _table(f"Orders in execution order ({'' if crossed else 'limit and '}value in {quote})")
    for column in ("#", "side", "symbol", "amount", "limit", "value"):
        table.add_column(column, justify="right" if column not in ("side", "symbol") else "left")
    for order in plan.orders:
        side = "[red]sell[/]" if order.side.value == "sell" else "[green]buy[/]"
        table.add_row(
            str(order.leg + 1),
            side,
            order.symbol,
            _amount(order.amount),
            _amount(order.limit_price),
            _money(order.value),
        )
    return table


def print_plan(console: Console, planned: PlanView) -> None:
    verdict = "[bold green]rebalance[/]" if planned.decision.rebalance else "[bold]no rebalance[/]"
    console.print(f"Decision: {verdict} — {planned.decision.reason}")
    quote = planned.portfolio.snapshot.quote
    if planned.plan.orders:
        console.print(plan_table(planned.plan, quote))
        crossed = sorted({o.symbol for o in planned.plan.orders if not o.symbol.endswith(f"/{quote}")})
        if crossed:
            base, pair_quote = crossed[0].split("/")
            console.print(
                f"A cross pair's limit is in its own quote ({crossed[0]}: {pair_quote} per {base}); "
                f"others in {quote}."
            )
    elif planned.tax is not None and planned.tax.deferred:
        console.print(
            "Nothing to trade now: the sells are deferred for tax (below), and nothing else is off."
        )
    elif planned.decision.rebalance:
        console.print(
            "Nothing to trade: every difference is below the minimum trade size or the market minimums."
        )
    for skipped in planned.plan.skipped:
        console.print(f"[dim]skipped {skipped.side.value} {skipped.asset}: {skipped.reason}[/]")
    route = planned.plan.quote_route_fees
    if planned.plan.orders and route is not None:
        estimate = planned.plan.estimated_fees
        console.print(
            f"Estimated fees: {_money(estimate)} {quote} (quote-only route: {_money(route)} {quote}, "
            f"saves {_money(route - estimate)})"
        )
    if planned.tax is not None:
        print_advice(console, planned.tax)


def print_outcome(console: Console, outcome: RunOutcome) -> None:
    quote = outcome.planned.portfolio.snapshot.quote
    if outcome.results:
        crossed = any(not r.symbol.endswith(f"/{quote}") for r in outcome.results)
        priced = (
            f"price in the market's quote; cost in {quote} unless named"
            if crossed
            else f"prices and cost in {quote}"
        )
        table = _table(f"Executed ({priced})")
        for column in ("side", "symbol", "status", "filled", "price", "cost", "fee"):
            table.add_column(column, justify="left" if column in ("side", "symbol", "status") else "right")
        for result in outcome.results:
            fees = ", ".join(f"{_amount(v)} {a}" for a, v in fee_totals([result]).items()) or "-"
            average = result.average_price
            paid_in = result.symbol.split("/")[1]
            cost = _money(result.cost) if paid_in == quote else f"{_amount(result.cost)} {paid_in}"
            table.add_row(
                result.side.value,
                result.symbol,
                result.status.value,
                _amount(result.filled)
                if result.filled == result.amount
                else f"{_amount(result.filled)} of {_amount(result.amount)}",
                _amount(average) if average is not None else "-",
                cost,
                fees,
            )
        console.print(table)
    if outcome.replanned_buys is not None and outcome.replanned_buys.buys:
        console.print(
            "[dim]The buys were planned again after the sells, from the cash the sells really produced.[/]"
        )
    if outcome.top_ups:
        passes, topped = len(outcome.top_ups), sum(len(p.orders) for p in outcome.top_ups)
        console.print(
            f"[dim]{passes} top-up pass{'es' if passes > 1 else ''} ({topped} orders) spent the cash left by "
            "buys sized for their worst allowed price.[/]"
        )
    print_dust_sweep(console, outcome)
    if outcome.after is not None:
        print_portfolio(console, outcome.after, "After")
    what = {
        RunStatus.SKIPPED: "nothing to do",
        RunStatus.COMPLETED: "dry run, nothing placed"
        if outcome.mode is RunMode.DRY_RUN
        else f"{len(outcome.results)} orders",
    }.get(outcome.status, outcome.status)
    fees = ", ".join(f"{_amount(v)} {a}" for a, v in outcome.fees.items())
    if fees:
        fees = f"; fees {fees} (worth {_money(outcome.fees_value)} {quote})"
    console.print(f"Run {outcome.run_id} {outcome.status}: {what}{fees}")
    route = outcome.route_fee_line()
    if route is not None:
        console.print(route)


def print_dust_sweep(console: Console, outcome: RunOutcome) -> None:
    """The run's dust conversion, if one was tried: what went into what, what was left and why."""
    sweep = outcome.dust_sweep
    if sweep is None:
        return
    conversion = sweep.conversion
    if conversion is not None and conversion.converted:
        given = ", ".join(f"{_amount(c.amount)} {c.asset}" for c in conversion.converted)
        console.print(
            f"Dust converted: {given} into {_amount(conversion.received)} {conversion.into} "
            f"(charge {_amount(conversion.fee)} {conversion.into})"
        )
    if conversion is not None:
        for asset, why in conversion.left.items():
            console.print(f"[dim]Dust of {asset} left: {why}[/]")
    if sweep.error is not None:
        console.print(f"[yellow]{sweep.error}[/]")


def history_table(runs: list[RunSummary]) -> Table:
    """One row per run, its reason wrapped to fit the terminal (``history --run N`` also shows the fees
    and orders)."""
    rows = []
    for run in runs:
        after = run.value_after if run.value_after is not None else run.value_before
        rows.append(
            (
                str(run.id),
                run.started_at.strftime("%Y-%m-%d %H:%M"),
                "dry run"
                if run.mode is RunMode.DRY_RUN and run.status is RunStatus.COMPLETED
                else run.status,
                str(run.order_count),
                _money(run.traded_value),
                _money(after) if after is not None else "-",
            )
        )
    # What routing saved over the quote-only route: a column only when some listed run was routed.
    routed = any(run.fees_saved is not None for run in runs)
    table = _table("Ledger: runs, newest first (details: trimtab history --run N)")
    for header in ("run", "started (UTC)", "status", "orders", "traded", "value", "saved"):
        if header == "saved" and not routed:
            continue
        right = header in ("run", "orders", "traded", "value", "saved")
        table.add_column(header, justify="right" if right else "left")
    # The reason wraps to the room left (FittedTable): a number in it is never cut.
    table.add_column("reason")
    for run, row in zip(runs, rows, strict=True):
        saved = (_money(run.fees_saved) if run.fees_saved is not None else "-",) if routed else ()
        table.add_row(*row, *saved, run.error or run.reason or "")
    return table


def route_fees_text(run: RunSummary, quote: str) -> str | None:
    """A routed run's fees against the quote-only route's: ``fees 17.50 USDT (quote-only route:
    32.09 USDT, saved 14.59)``; None unless the run was routed and placed orders."""
    saved = run.fees_saved
    if saved is None or run.quote_route_fees is None or run.fees_value is None:
        return None
    verdict = f"saved {_money(saved)}" if saved >= 0 else f"cost {_money(-saved)} more"
    return (
        f"fees {_money(run.fees_value)} {quote} "
        f"(quote-only route: {_money(run.quote_route_fees)} {quote}, {verdict})"
    )


def print_detail(console: Console, detail: RunDetail, *, orders: bool = True) -> None:
    run = detail.summary
    fees = ", ".join(f"{_amount(v)} {a}" for a, v in run.fees.items()) or "none"
    value = "-"
    if run.value_before is not None:
        value = _money(run.value_before)
        if run.value_after is not None:
            value += f" -> {_money(run.value_after)}"
    console.print(
        f"Run {run.id} ({run.command}, {run.mode}{', forced' if run.forced else ''}) {run.status} "
        f"at {run.started_at:%Y-%m-%d %H:%M:%S} UTC on {run.venue}"
    )
    console.print(f"  decision: {run.reason or '-'}")
    if run.error:
        console.print(f"  [red]error: {run.error}[/]")
    for finding in detail.guards:
        console.print(f"  guard ({finding.guard}): {escape(finding.message)}")
    console.print(
        f"  orders: {run.order_count}, traded {_money(run.traded_value)}, fees {fees}; value {value}"
    )
    routed = route_fees_text(run, detail.snapshots[0].quote) if detail.snapshots else None
    if routed is not None:
        console.print(f"  {routed}")
    if detail.orders and not orders:
        ids = ", ".join(o.client_order_id for o in detail.orders)
        console.print(f"  client order ids: {ids}")
    if detail.orders and orders:
        table = _table("Orders")
        for column in ("client order id", "side", "symbol", "status", "filled", "avg price", "fees"):
            table.add_column(column)
        for order in detail.orders:
            order_fees: dict[str, Decimal] = {}
            for fill in order.fills:
                order_fees[fill.fee_asset] = order_fees.get(fill.fee_asset, Decimal(0)) + fill.fee
            table.add_row(
                order.client_order_id,
                order.side,
                order.symbol,
                order.status,
                f"{_amount(order.filled)} / {_amount(order.amount)}",
                _amount(order.average_price) if order.average_price is not None else "-",
                ", ".join(f"{_amount(v)} {a}" for a, v in order_fees.items()) or "-",
            )
        console.print(table)

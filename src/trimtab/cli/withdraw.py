"""``trimtab withdraw AMOUNT [--asset USDT]``: raise cash (or an asset) for the owner to take out.

The sells and where the amount goes are :mod:`trimtab.app.withdrawal`'s; this module reads the flags,
holds the portfolio's lock like ``rebalance`` and prints what was sold and what is ready.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trimtab.cli.support import (
    DEFAULT_CONFIG,
    ConfigOption,
    DebugOption,
    JsonOption,
    decimal_flag,
    emit_json,
    guarded,
    out,
)
from trimtab.errors import ConfigError

if TYPE_CHECKING:
    from trimtab.app.withdrawal import WithdrawOutcome
    from trimtab.ledger.cash_records import SetAside


def withdraw(
    amount: Annotated[
        str | None, typer.Argument(help="How much to raise, in the asset (default: the quote currency).")
    ] = None,
    asset: Annotated[
        str | None, typer.Option("--asset", help="The asset to raise (default: the quote).")
    ] = None,
    cancel: Annotated[
        bool,
        typer.Option("--cancel", help="Give what earlier withdrawals set aside back to the portfolio."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan the sells, record the run, place nothing.")
    ] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Sell the most over-target holdings (with a tax: section, the cheapest in tax) to raise AMOUNT,
    keeping the rest on target, and record it as a run.

    On the paper exchange the amount then leaves the account; on a real exchange it stays set aside,
    never re-invested, until the balance shows you withdrew it (or --cancel)."""

    def action() -> None:
        if cancel:
            if amount is not None:
                raise ConfigError("command line", "--cancel", "takes no AMOUNT")
            _print_cancelled(_cancel(config), as_json)
            return
        if amount is None:
            raise ConfigError("command line", "AMOUNT", "missing: how much to withdraw (or --cancel)")
        value = decimal_flag("AMOUNT", amount, positive=True)
        outcome = _withdraw(config, value, asset, dry_run)
        if as_json:
            emit_json(withdraw_json(outcome))
        else:
            print_withdrawal(outcome)

    guarded(debug, action)


def _withdraw(config: Path, amount: Any, asset: str | None, dry_run: bool) -> WithdrawOutcome:
    from trimtab.cli.main import with_bot

    return with_bot(config, lambda bot: bot.withdraw(amount, asset, dry_run=dry_run), drives="withdraw")


def _cancel(config: Path) -> list[SetAside]:
    from trimtab.cli.main import with_bot

    return with_bot(config, lambda bot: bot.cancel_withdrawals(), drives="withdraw --cancel")


def withdraw_json(outcome: WithdrawOutcome) -> dict[str, Any]:
    """``withdraw --json``: the run's document (as ``rebalance --json``) with what was raised."""
    from trimtab.app import documents as reports
    from trimtab.model.money import fmt

    sizing = outcome.sizing
    report = reports.run_report(outcome.run)
    report["withdrawal"] = {
        "asset": sizing.asset,
        "amount": fmt(sizing.amount),
        "value": fmt(sizing.value),
        "sells": {a: fmt(v) for a, v in sizing.sells.items()},
        "ranking": outcome.ranking,
        "ready": fmt(outcome.ready),
        "where": "dry run"
        if outcome.run.mode == "dry-run"
        else ("transferred" if outcome.transferred else "set aside"),
    }
    return report


def print_withdrawal(outcome: WithdrawOutcome) -> None:
    from trimtab.cli import render
    from trimtab.model.money import fmt

    run, sizing = outcome.run, outcome.sizing
    render.print_portfolio(out, run.planned.portfolio, "Before")
    render.print_plan(out, run.planned)
    render.print_outcome(out, run)
    what = f"{fmt(sizing.amount)} {sizing.asset}"
    if run.mode == "dry-run":
        out.print(f"Dry run: nothing sold; run `trimtab withdraw {fmt(sizing.amount)}` to raise {what}.")
    elif outcome.ready < sizing.amount:
        out.print(f"[yellow]Only {fmt(outcome.ready)} {sizing.asset} of {what} could be raised.[/]")
    elif outcome.transferred:
        out.print(f"[bold green]{what} is withdrawn:[/] it left the paper account (run {run.run_id}).")
    else:
        out.print(
            f"[bold green]{what} is ready to withdraw[/] (run {run.run_id}); it is set aside and no run "
            "re-invests it until it leaves the account (`trimtab withdraw --cancel` gives it back)."
        )


def _print_cancelled(released: list[SetAside], as_json: bool) -> None:
    from trimtab.model.money import fmt

    if as_json:
        emit_json(
            {"released": [{"run_id": s.run_id, "asset": s.asset, "amount": fmt(s.amount)} for s in released]}
        )
    elif not released:
        out.print("Nothing is set aside for a withdrawal.")
    else:
        what = ", ".join(f"{fmt(s.amount)} {s.asset} (run {s.run_id})" for s in released)
        out.print(f"Given back to the portfolio: {what}. The next rebalance invests it.")

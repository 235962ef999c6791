"""``trimtab tax harvest`` output: the candidates as a table or as JSON.

:func:`harvest_json` (``--json``): ``jurisdiction``, ``currency``, ``year`` (UK: the year the tax
year starts in), ``min_loss``, ``candidates`` (one per asset: ``asset``, ``units``, ``cost``,
``value`` (net of the sell fee), ``unrealized_loss``, ``saving`` (tax saved this year with the
rebuy), ``saving_without_rebuy``, ``fees`` (round trip), ``allowed``, ``worthwhile``, ``harvest``,
``rule``, and ``lots``: the lot pieces sold, empty in the UK), ``saving`` (the chosen candidates
together), ``skipped`` (sells the market refuses) and ``executed`` (null without ``--execute``; else
``run_id`` (null when nothing was worth harvesting), ``status``, ``orders`` and ``fees``). Money and
amounts are decimal strings. Not tax advice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trimtab.app.documents import order_result
from trimtab.app.outcomes import HarvestOutcome
from trimtab.cli.tables import FittedTable
from trimtab.cli.tax_output import NOT_TAX_ADVICE
from trimtab.model.money import fmt
from trimtab.tax.harvest import Candidate, Harvest
from trimtab.tax.jurisdictions import jurisdiction


def harvest_json(outcome: HarvestOutcome, *, executed: bool) -> dict[str, Any]:
    harvest = outcome.harvest
    return {
        "jurisdiction": harvest.jurisdiction,
        "currency": harvest.currency,
        "year": harvest.year,
        "min_loss": fmt(harvest.min_loss),
        "candidates": [_candidate_json(c) for c in harvest.candidates],
        "saving": fmt(harvest.saving),
        "skipped": [
            {"asset": s.asset, "value": fmt(s.value), "reason": s.reason} for s in outcome.plan.skipped
        ],
        "executed": _executed_json(outcome) if executed else None,
    }


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {
        "asset": candidate.asset,
        "units": fmt(candidate.units),
        "cost": fmt(candidate.cost),
        "value": fmt(candidate.value),
        "unrealized_loss": fmt(candidate.unrealized_loss),
        "saving": fmt(candidate.saving),
        "saving_without_rebuy": fmt(candidate.saving_without_rebuy),
        "fees": fmt(candidate.fees),
        "allowed": candidate.allowed,
        "worthwhile": candidate.worthwhile,
        "harvest": candidate.harvest,
        "rule": candidate.rule,
        "lots": [
            {
                "lot_id": lot.lot_id,
                "amount": fmt(lot.amount),
                "acquired": lot.acquired.isoformat(),
                "cost": fmt(lot.cost),
                "value": fmt(lot.value),
                "held_over_a_year": lot.mature,
                "counts": lot.counts,
            }
            for lot in candidate.lots
        ],
    }


def _executed_json(outcome: HarvestOutcome) -> dict[str, Any]:
    run = outcome.run
    if run is None:
        return {"run_id": None, "status": "nothing to harvest", "orders": [], "fees": {}}
    return {
        "run_id": run.run_id,
        "status": run.status,
        "orders": [order_result(result) for result in run.results],
        "fees": {asset: fmt(amount) for asset, amount in run.fees.items()},
    }


def _money(value: Decimal) -> str:
    return fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP, thousands=True, negative_zero=True)


def _year(harvest: Harvest) -> str:
    return jurisdiction(harvest.jurisdiction).year_label(harvest.year)


def _verdict(candidate: Candidate) -> str:
    if candidate.harvest:
        return "[green]yes[/]"
    return "no: not allowed" if not candidate.allowed else "no: not worthwhile"


def harvest_table(harvest: Harvest) -> Table:
    table = FittedTable(
        title=f"Tax-loss harvest {harvest.jurisdiction.upper()} {_year(harvest)} (losses above "
        f"{_money(harvest.min_loss)} {harvest.currency}, money in {harvest.currency})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        title_style="bold",
    )
    table.add_column("asset")
    for column in ("units", "cost", "value", "unrealized loss", "tax saved (rebuy)"):
        table.add_column(column, justify="right")  # a number has no space: only the header may wrap
    table.add_column("harvest", no_wrap=True)
    table.add_column("rule", min_width=24)
    for c in harvest.candidates:
        table.add_row(
            escape(c.asset),
            fmt(c.units),
            _money(c.cost),
            _money(c.value),
            _money(c.unrealized_loss),
            _money(c.saving),
            _verdict(c),
            escape(c.rule),
        )
    return table


def print_harvest(console: Console, outcome: HarvestOutcome, *, execute: bool) -> None:
    """The candidates, the totals and what ``--execute`` does (or did not do); the disclaimer last
    unless a run follows (the caller prints the run after this)."""
    harvest = outcome.harvest
    currency = harvest.currency
    if not harvest.candidates:
        console.print(
            f"No holding has an unrealized loss above {_money(harvest.min_loss)} {currency}.", soft_wrap=True
        )
    else:
        console.print(harvest_table(harvest))
        loss = sum((c.unrealized_loss for c in harvest.candidates), Decimal(0))
        chosen = harvest.chosen
        line = f"Unrealized loss: {_money(loss)} {currency}. "
        if chosen:
            fees = sum((c.fees for c in chosen), Decimal(0))
            line += (
                f"Harvesting {', '.join(c.asset for c in chosen)} saves an estimated "
                f"{_money(harvest.saving)} {currency} of tax in {_year(harvest)} (round-trip fees "
                f"about {_money(fees)} {currency})."
            )
        else:
            line += "Nothing is worth harvesting: no candidate is both allowed and worth its fees."
        console.print(line, soft_wrap=True)
    for skipped in outcome.plan.skipped:
        console.print(f"[dim]skipped: {escape(skipped.reason)}[/]", soft_wrap=True)
    if execute and not outcome.plan.orders:
        console.print("Nothing to harvest: no order placed.", soft_wrap=True)
    elif not execute and outcome.plan.orders:
        console.print(
            "Run with --execute to sell these and buy back to the targets through the executor.",
            soft_wrap=True,
        )
    console.print(NOT_TAX_ADVICE, soft_wrap=True)

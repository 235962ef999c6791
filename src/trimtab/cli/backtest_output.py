"""What ``trimtab backtest`` prints: the JSON shape, the table, the trades CSV, and the tax figures of
``--jurisdiction`` (:mod:`trimtab.backtest.tax`)."""

from __future__ import annotations

import csv
import math
from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from trimtab.backtest.figures import METRIC_LABELS, metric_cells, rate_cell
from trimtab.backtest.metrics import Metrics
from trimtab.backtest.study import Study
from trimtab.cli.tables import FittedTable
from trimtab.errors import ConfigError
from trimtab.model.money import fmt

if TYPE_CHECKING:  # the tax stack is imported by the runs with --jurisdiction or a tax-aware config only
    from trimtab.backtest.tax import RunTax, StudyTax
    from trimtab.backtest.tax_aware import TaxAwareReplay


JSON_PLACES = 10  # the floats of the vectorised backtest in the JSON, and the after-tax CAGR


def decimal_text(value: float) -> str | None:
    """A float of the vectorised backtest as the README's JSON writes numbers: a decimal string (to 10
    places, without exponent), or None when it is not a number (a Sharpe ratio of a flat series)."""
    if math.isnan(value) or math.isinf(value):
        return None
    return fmt(value, JSON_PLACES)


def metrics_report(metrics: Metrics) -> dict[str, Any]:
    """The metrics as JSON: counts (``rebalances``) as integers, every other number a decimal string."""
    return {
        key: (decimal_text(value) if isinstance(value, float) else value)
        for key, value in asdict(metrics).items()
    }


def study_report(study: Study) -> dict[str, Any]:
    times = study.frame.times
    return {
        "assets": list(study.strategy.assets),
        "start": str(times[0].astype("datetime64[s]")) + "Z",
        "end": str(times[-1].astype("datetime64[s]")) + "Z",
        "bars": len(times),
        "bar": study.frame.bar,
        "strategy": metrics_report(study.strategy_metrics),
        "buy_and_hold": metrics_report(study.hold_metrics),
        "premium": decimal_text(study.premium),
        "theoretical_premium": decimal_text(study.theoretical_premium),
    }


def print_study(console: Console, study: Study, title: str) -> None:
    s, h = study.strategy_metrics, study.hold_metrics
    table = FittedTable(title=title, title_justify="left")
    table.add_column("")
    table.add_column("strategy", justify="right")
    table.add_column("buy and hold", justify="right")
    for row in zip(METRIC_LABELS, metric_cells(s), metric_cells(h), strict=True):
        table.add_row(*row)
    console.print(table)
    console.print(
        f"Rebalancing premium: {study.premium:+.2%} a year in log growth against buy-and-hold "
        f"(theory, ½(Σwσ² − σp²) of the same data: {study.theoretical_premium:+.2%})"
    )


def write_trades(path: Path, study: Study) -> None:
    """Every fill of the strategy as CSV: time, symbol, side, amount, price, value, fee, fee_asset."""
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "symbol", "side", "amount", "price", "value", "fee", "fee_asset"])
            for t in study.strategy.trades:
                writer.writerow(
                    [
                        t.time.isoformat(),
                        t.symbol,
                        t.side.value,
                        fmt(t.amount),
                        fmt(t.price),
                        fmt(t.value),
                        fmt(t.fee),
                        t.fee_asset,
                    ]
                )
    except OSError as error:
        raise ConfigError(str(path), "--trades", f"cannot write the file ({error.strerror})") from None


# -- tax (backtest --jurisdiction) -----------------------------------------------------------

TAX_COLUMNS = ("strategy realized", "strategy tax", "buy-and-hold realized", "buy-and-hold tax")


def _run_tax_json(run: RunTax) -> dict[str, Any]:
    cagr = run.after_tax_cagr
    return {
        "tax_paid": _cents(run.tax_paid),
        "liquidation_tax": _cents(run.liquidation_tax),
        "final_value": _cents(run.final_value),
        "after_tax_final_value": _cents(run.after_tax_final_value),
        "after_tax_cagr": fmt(cagr, JSON_PLACES) if cagr is not None else None,
    }


def tax_report(tax: StudyTax) -> dict[str, Any]:
    """The ``tax`` object of ``backtest --json``: money in the report currency as decimal strings
    rounded to cents (half up), the after-tax CAGR a fraction to 10 places."""
    rules = tax.rules
    rates = rules.country.rates_json(rules)
    return {
        "jurisdiction": rules.jurisdiction,
        "currency": tax.currency,
        "rules": tax.setup.source,
        "rates": rates,
        "conversion": tax.setup.rates.source if tax.setup.rates is not None else None,
        "quote_counted_as_currency": tax.parity,
        "years": [
            {
                "year": s.year,
                "label": tax.label(s.year),
                "strategy": {"realized": _cents(s.realized), "tax": _cents(s.tax)},
                "buy_and_hold": {"realized": _cents(h.realized), "tax": _cents(h.tax)},
            }
            for s, h in zip(tax.strategy.years, tax.hold.years, strict=True)
        ],
        "strategy": _run_tax_json(tax.strategy),
        "buy_and_hold": _run_tax_json(tax.hold),
        "notes": tax_notes(tax),
    }


def parity_note(tax: StudyTax) -> str | None:
    """The warning that the figures are the quote counted 1:1 as the currency, and how to convert them."""
    if not tax.parity:
        return None
    quote, currency = tax.quote, tax.currency
    return (
        f"{quote} was counted 1:1 as {currency} (no --rates): the figures are in {quote}, not {currency}; "
        f"give --rates FILE.csv (date,rate) for {currency} figures."
    )


def tax_notes(tax: StudyTax) -> list[str]:
    """What the figures assume, one sentence each (the human output ends with them)."""
    from trimtab.cli.tax_output import NOT_TAX_ADVICE

    parity = parity_note(tax)
    return [
        *([parity] if parity is not None else []),
        f"Rates: {tax.rates_used()}.",
        "Taxes are modelled as paid from outside the portfolio (both runs compound untaxed); "
        "after-tax value = final value - tax paid - tax of selling everything at the last close.",
        NOT_TAX_ADVICE,
    ]


def print_tax(console: Console, tax: StudyTax) -> None:
    """The tax of each year, both runs side by side, then the after-tax results and the notes."""
    currency = tax.currency
    years = FittedTable(
        title=f"Estimated tax ({tax.rules.jurisdiction.upper()}, {currency})", title_justify="left"
    )
    years.add_column("tax year")
    for name in TAX_COLUMNS:
        years.add_column(name, justify="right")
    for ys, yh in zip(tax.strategy.years, tax.hold.years, strict=True):
        years.add_row(
            tax.label(ys.year), _money(ys.realized), _money(ys.tax), _money(yh.realized), _money(yh.tax)
        )
    console.print(years)
    s, h = tax.strategy, tax.hold
    after = FittedTable(title=f"After tax ({currency})", title_justify="left")
    after.add_column("")
    after.add_column("strategy", justify="right")
    after.add_column("buy and hold", justify="right")
    after.add_row("tax paid during the run", _money(s.tax_paid), _money(h.tax_paid))
    after.add_row("tax of selling all at the end", _money(s.liquidation_tax), _money(h.liquidation_tax))
    after.add_row("final value", _money(s.final_value), _money(h.final_value))
    after.add_row("after-tax final value", _money(s.after_tax_final_value), _money(h.after_tax_final_value))
    after.add_row("after-tax CAGR", rate_cell(s.after_tax_cagr), rate_cell(h.after_tax_cagr))
    console.print(after)
    parity = parity_note(tax)
    for note in tax_notes(tax):
        console.print(f"[yellow]{escape(note)}[/]" if note == parity else escape(note), soft_wrap=True)


def _cents(value: Decimal) -> str:
    """Tax money in the JSON: cents, half up, as a tax form rounds (never ``-0.00``)."""
    return fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    """Tax money in the tables: :func:`_cents` with thousands separators."""
    return fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP, thousands=True)


def deferral_report(deferral: TaxAwareReplay) -> dict[str, Any]:
    """How a tax-aware backtest deferred: ``jurisdiction``, ``defer_days``, ``hard_band`` (points) and
    ``deferred`` (how many sells were left for later, counting each rebalance that deferred one)."""
    return {
        "jurisdiction": deferral.rules.jurisdiction,
        "defer_days": deferral.defer_days,
        "hard_band": fmt(deferral.hard_band),
        "deferred": len(deferral.deferred),
    }

"""A tax report as data, CSV and tables: the shapes behind ``trimtab tax report``.

- :func:`report_json`: ``disposals`` (``asset``, ``wallet``, ``amount``, ``acquired``, ``disposed``,
  ``proceeds``, ``cost``, ``gain`` and ``term`` short/long for the US, ``taxable`` true/false for
  Germany, ``rule`` same-day/30-day/pool for the UK) and ``totals`` (US ``short_term``,
  ``long_term``, ``total``; Germany ``taxable_result``, ``taxable`` after the Freigrenze,
  ``freigrenze``, ``tax_free_result``; UK ``net_gain``, ``gains``, ``losses``,
  ``annual_exempt_amount``, ``taxable_gain``, ``proceeds``, ``allowable_costs``, ``disposal_count``).
  Amounts and money are exact decimal strings (every digit the computation has, no rounding);
  dates are ISO ``YYYY-MM-DD`` local dates, ``acquired`` is null for a pooled row.
- :func:`csv_text`: one row per disposal in the layout of the form it goes on. Money is rounded to
  cents (half up) and the gain is computed from the rounded cells, so every row adds up as printed;
  the rounded rows may therefore differ from the exact totals by a few cents. Numbers use a decimal
  point; the file is UTF-8.

  - US, Form 8949: ``term`` (short = Part I, long = Part II; short-term rows first), (a) description
    ("0.5 BTC"), (b) date acquired (MM/DD/YYYY, or VARIOUS), (c) date sold, (d) proceeds, (e) cost,
    (f) code (W for a wash sale), (g) adjustment, (h) gain or (loss) = (d) - (e) + (g).
  - Germany, Anlage SO (private Veräußerungsgeschäfte): Art des Wirtschaftsguts, Anschaffungsdatum,
    Veräußerungsdatum (TT.MM.JJJJ), Veräußerungspreis, Anschaffungskosten, Gewinn/Verlust,
    steuerpflichtig (ja/nein). There is no Werbungskosten column: fees are already inside the
    figures (the Veräußerungspreis is net of the sale's fees, the Anschaffungskosten include the
    purchase's), see :mod:`trimtab.tax.normalize`.
  - UK: asset, amount, acquired (ISO date, or "pool" for the section 104 pool), disposed, proceeds,
    cost, gain, rule.
- :func:`print_report`: the disposals as a table (at most ``limit`` rows shown), then the totals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trimtab.money import fmt
from trimtab.tables import FittedTable
from trimtab.tax.germany import GermanReport
from trimtab.tax.model import Disposal, Term
from trimtab.tax.uk import UKReport
from trimtab.tax.us import USReport

TaxReport = USReport | GermanReport | UKReport

CURRENCIES = {"us": "USD", "de": "EUR", "uk": "GBP"}
ROW_LIMIT = 50
NOT_TAX_ADVICE = "Not tax advice: check these figures with a tax adviser before you file."
CENT = Decimal("0.01")

US_COLUMNS = (
    "term",
    "(a) Description of property",
    "(b) Date acquired",
    "(c) Date sold or disposed of",
    "(d) Proceeds",
    "(e) Cost or other basis",
    "(f) Code",
    "(g) Amount of adjustment",
    "(h) Gain or (loss)",
)
DE_COLUMNS = (
    "Art des Wirtschaftsguts",
    "Anschaffungsdatum",
    "Veräußerungsdatum",
    "Veräußerungspreis",
    "Anschaffungskosten",
    "Gewinn/Verlust",
    "steuerpflichtig",
)
UK_COLUMNS = ("asset", "amount", "acquired", "disposed", "proceeds", "cost", "gain", "rule")


def jurisdiction_of(report: TaxReport) -> str:
    """``us``, ``de`` or ``uk``."""
    if isinstance(report, USReport):
        return "us"
    return "de" if isinstance(report, GermanReport) else "uk"


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to cents, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# -- JSON ---------------------------------------------------------------------------------------


def disposal_json(row: Disposal) -> dict[str, Any]:
    """One disposal; exactly one of ``term``, ``taxable``, ``rule`` is present, per jurisdiction."""
    data: dict[str, Any] = {
        "asset": row.asset,
        "wallet": row.wallet,
        "amount": fmt(row.amount),
        "acquired": _iso(row.acquired),
        "disposed": row.disposed.isoformat(),
        "proceeds": fmt(row.proceeds),
        "cost": fmt(row.cost),
        "gain": fmt(row.gain),
    }
    if row.term is not None:
        data["term"] = row.term.value
        if row.adjustment:
            data["adjustment"] = fmt(row.adjustment)  # a wash sale (off for crypto), code W
    elif row.taxable is not None:
        data["taxable"] = row.taxable
    elif row.rule is not None:
        data["rule"] = row.rule.value
    return data


def totals_json(report: TaxReport) -> dict[str, Any]:
    """The year's totals (see the module docstring)."""
    if isinstance(report, USReport):
        return {
            "short_term": fmt(report.short_term),
            "long_term": fmt(report.long_term),
            "total": fmt(report.total),
        }
    if isinstance(report, GermanReport):
        return {
            "taxable_result": fmt(report.taxable_result),
            "taxable": fmt(report.taxable),
            "freigrenze": fmt(report.freigrenze),
            "tax_free_result": fmt(report.tax_free_result),
        }
    return {
        "net_gain": fmt(report.net_gain),
        "gains": fmt(report.gains),
        "losses": fmt(report.losses),
        "annual_exempt_amount": fmt(report.annual_exempt_amount),
        "taxable_gain": fmt(report.taxable_gain),
        "proceeds": fmt(report.proceeds),
        "allowable_costs": fmt(report.allowable_costs),
        "disposal_count": report.disposal_count,
    }


def report_json(report: TaxReport) -> dict[str, Any]:
    """The whole report: jurisdiction, year, currency (and the US lot method), disposals, totals."""
    jurisdiction = jurisdiction_of(report)
    data: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "year": report.year,
        "currency": CURRENCIES[jurisdiction],
    }
    if isinstance(report, USReport):
        data["method"] = report.method
    data["disposals"] = [disposal_json(row) for row in report.disposals]
    data["totals"] = totals_json(report)
    return data


# -- CSV ----------------------------------------------------------------------------------------


def _us_row(row: Disposal) -> list[str]:
    proceeds, cost, adjustment = cents(row.proceeds), cents(row.cost), cents(row.adjustment)
    return [
        (row.term or Term.SHORT).value,
        f"{fmt(row.amount)} {row.asset}",
        row.acquired.strftime("%m/%d/%Y") if row.acquired else "VARIOUS",
        row.disposed.strftime("%m/%d/%Y"),
        str(proceeds),
        str(cost),
        "W" if adjustment else "",
        str(adjustment) if adjustment else "",
        str(proceeds - cost + adjustment),
    ]


def _de_row(row: Disposal) -> list[str]:
    proceeds, cost = cents(row.proceeds), cents(row.cost)
    return [
        f"{fmt(row.amount)} {row.asset}",
        row.acquired.strftime("%d.%m.%Y") if row.acquired else "",
        row.disposed.strftime("%d.%m.%Y"),
        str(proceeds),
        str(cost),
        str(proceeds - cost),
        "ja" if row.taxable else "nein",
    ]


def _uk_row(row: Disposal) -> list[str]:
    proceeds, cost = cents(row.proceeds), cents(row.cost)
    return [
        row.asset,
        fmt(row.amount),
        row.acquired.isoformat() if row.acquired else "pool",
        row.disposed.isoformat(),
        str(proceeds),
        str(cost),
        str(proceeds - cost),
        row.rule.value if row.rule else "",
    ]


def csv_rows(report: TaxReport) -> tuple[tuple[str, ...], list[list[str]]]:
    """The header and the rows of the report's CSV."""
    if isinstance(report, USReport):
        ordered = sorted(report.disposals, key=lambda row: row.term is Term.LONG)  # stable: Part I, II
        return US_COLUMNS, [_us_row(row) for row in ordered]
    if isinstance(report, GermanReport):
        return DE_COLUMNS, [_de_row(row) for row in report.disposals]
    return UK_COLUMNS, [_uk_row(row) for row in report.disposals]


def csv_text(report: TaxReport) -> str:
    """The report's CSV (see the module docstring), header first, ``\\n`` line ends."""
    header, rows = csv_rows(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


# -- tables -------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return str(cents(value))


def _title(report: TaxReport) -> str:
    currency = CURRENCIES[jurisdiction_of(report)]
    if isinstance(report, USReport):
        return f"US disposals {report.year} ({currency}, lots {report.method})"
    if isinstance(report, GermanReport):
        return f"Private Veräußerungsgeschäfte {report.year} ({currency}, § 23 EStG, FIFO per wallet)"
    return f"UK disposals {report.year}/{(report.year + 1) % 100:02d} ({currency}, share matching)"


def _class(row: Disposal) -> str:
    if row.term is not None:
        return row.term.value
    if row.taxable is not None:
        return "yes" if row.taxable else "no"
    return row.rule.value if row.rule else ""


def disposals_table(report: TaxReport, rows: Sequence[Disposal]) -> Table:
    """``rows`` of ``report`` as a table that fits 80 columns in the usual cases: amount and asset in
    one cell ("0.5 BTC", as on Form 8949), a wallet column only when the rows come from several
    wallets; when space runs out those two wrap first, while dates and numbers keep their width."""
    kind = {"us": "term", "de": "taxable", "uk": "rule"}[jurisdiction_of(report)]
    wallets = len({row.wallet for row in rows}) > 1
    table = FittedTable(
        title=_title(report),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        title_style="bold",
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("asset", overflow="fold")
    if wallets:
        table.add_column("wallet", overflow="fold")
    for column in ("acquired", "disposed"):
        table.add_column(column, no_wrap=True)
    for column in ("proceeds", "cost", "gain"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column(kind, no_wrap=True)
    for row in rows:
        acquired = row.acquired.isoformat() if row.acquired else ("pool" if row.rule else "various")
        table.add_row(
            escape(f"{fmt(row.amount)} {row.asset}"),
            *([escape(row.wallet)] if wallets else []),
            acquired,
            row.disposed.isoformat(),
            _money(row.proceeds),
            _money(row.cost),
            _money(row.gain),
            _class(row),
        )
    return table


def totals_lines(report: TaxReport) -> list[str]:
    """The year's totals as lines of text, money rounded to cents."""
    currency = CURRENCIES[jurisdiction_of(report)]

    def money(value: Decimal) -> str:
        return f"{cents(value):,} {currency}"

    if isinstance(report, USReport):
        return [
            f"Short-term gain (loss): {money(report.short_term)}",
            f"Long-term gain (loss): {money(report.long_term)}",
            f"Total: {money(report.total)}",
        ]
    if isinstance(report, GermanReport):
        return [
            f"Taxable result (held 1 year or less): {money(report.taxable_result)}",
            f"Freigrenze {report.year}: {money(report.freigrenze)}; "
            f"taxable after it: {money(report.taxable)}",
            f"Tax-free result (held more than 1 year): {money(report.tax_free_result)}",
        ]
    return [
        f"Disposals: {report.disposal_count}; proceeds {money(report.proceeds)}, "
        f"allowable costs {money(report.allowable_costs)}",
        f"Gains {money(report.gains)}, losses {money(report.losses)}, net gain {money(report.net_gain)}",
        f"Annual exempt amount: {money(report.annual_exempt_amount)}; "
        f"taxable gain: {money(report.taxable_gain)}",
    ]


def print_report(
    console: Console, report: TaxReport, *, limit: int = ROW_LIMIT, csv_path: str | None = None
) -> None:
    """The disposals (the first ``limit``, then a line counting the rest), the totals, the disclaimer."""
    rows = report.disposals
    if rows:
        console.print(disposals_table(report, rows[:limit]))
        if len(rows) > limit:
            where = f"all of them are in {csv_path}" if csv_path else "use --csv FILE for all of them"
            rest = len(rows) - limit
            console.print(f"… {rest} more disposal{'' if rest == 1 else 's'} ({where})", soft_wrap=True)
    else:
        console.print(f"{_title(report)}: no disposals.", soft_wrap=True)
    for line in totals_lines(report):
        console.print(line, soft_wrap=True)
    console.print(NOT_TAX_ADVICE, soft_wrap=True)

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
import itertools
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trimtab.app.documents import disposal_json
from trimtab.cli.tables import FittedTable
from trimtab.model.money import fmt
from trimtab.tax.jurisdictions import JURISDICTIONS, TaxReport, of_report
from trimtab.tax.jurisdictions.germany import GERMANY
from trimtab.tax.jurisdictions.uk import UK
from trimtab.tax.jurisdictions.us import US
from trimtab.tax.model import Disposal

__all__ = ["TaxReport"]  # re-exported: callers type reports with it

CURRENCIES = {code: country.currency for code, country in JURISDICTIONS.items()}
ROW_LIMIT = 50
NOT_TAX_ADVICE = "Not tax advice: check these figures with a tax adviser before you file."

# The report CSV's header of each jurisdiction (the jurisdictions hold them; named here for callers).
US_COLUMNS = US.csv_columns
DE_COLUMNS = GERMANY.csv_columns
UK_COLUMNS = UK.csv_columns


def jurisdiction_of(report: TaxReport) -> str:
    """``us``, ``de`` or ``uk``."""
    return of_report(report).code


# -- JSON ---------------------------------------------------------------------------------------


def totals_json(report: TaxReport) -> dict[str, Any]:
    """The year's totals (see the module docstring)."""
    return of_report(report).totals_json(report)


def report_json(report: TaxReport) -> dict[str, Any]:
    """The whole report: jurisdiction, year, currency (and the US lot method), disposals, totals."""
    country = of_report(report)
    data: dict[str, Any] = {
        "jurisdiction": country.code,
        "year": report.year,
        "currency": country.currency,
    }
    data |= country.report_facts(report)
    data["disposals"] = [disposal_json(row) for row in report.disposals]
    data["totals"] = totals_json(report)
    return data


# -- CSV ----------------------------------------------------------------------------------------


def csv_rows(report: TaxReport) -> tuple[tuple[str, ...], Iterator[list[str]]]:
    """The header and the rows of the report's CSV (made as they are read)."""
    country = of_report(report)
    return country.csv_columns, country.csv_rows(report)


def csv_chunks(report: TaxReport, rows_per_chunk: int = 2000) -> Iterator[str]:
    """The report's CSV (see the module docstring) in pieces of ``rows_per_chunk`` rows, header first,
    ``\\n`` line ends: a million disposals are written without holding their text at once."""
    header, rows = csv_rows(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for chunk in _batches(rows, rows_per_chunk):
        writer.writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _batches(rows: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    """``rows`` in lists of ``size`` (itertools.batched, Python 3.12)."""
    while batch := list(itertools.islice(rows, size)):
        yield batch


def csv_text(report: TaxReport) -> str:
    """The report's CSV as one text (see :func:`csv_chunks`)."""
    return "".join(csv_chunks(report))


# -- tables -------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP, negative_zero=True)


def _title(report: TaxReport) -> str:
    return of_report(report).title(report)


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
    kind = of_report(report).class_column
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
    country = of_report(report)

    def money(value: Decimal) -> str:
        text = fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP, thousands=True, negative_zero=True)
        return f"{text} {country.currency}"

    return country.totals_lines(report, money)


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

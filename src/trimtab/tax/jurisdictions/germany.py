"""Germany as a jurisdiction: the rules are in :mod:`trimtab.tax.germany`; this is what the rest of
trimtab asks of them.

The estimated tax of a year: the § 23 result after the Freigrenze cliff times the personal rate (a net
loss saves nothing this year; carry-back and carry-forward are not counted). Not tax advice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trimtab.model.money import ZERO, cents, fmt
from trimtab.tax.dates import de_period_end
from trimtab.tax.germany import GermanReport, de_reports
from trimtab.tax.jurisdictions.base import Jurisdiction, Money, percent
from trimtab.tax.model import Disposal
from trimtab.tax.normalize import Record

if TYPE_CHECKING:
    from trimtab.tax.jurisdiction import TaxRules


class Germany(Jurisdiction[GermanReport]):
    code = "de"
    name = "Germany"
    report_type = GermanReport
    mature_results_count = False  # gains and losses of lots held over a year are irrelevant
    no_choice = "Germany leaves no choice: FIFO per wallet is the rule (BMF 06.03.2025 Rz. 61-62)"
    plan_note = (
        "Germany: FIFO within a wallet; lot choice exists only across wallets, and trimtab trades one "
        "({wallet}), so its sells consume that wallet's oldest lots"
    )
    class_column = "taxable"
    csv_columns = (
        "Art des Wirtschaftsguts",
        "Anschaffungsdatum",
        "Veräußerungsdatum",
        "Veräußerungspreis",
        "Anschaffungskosten",
        "Gewinn/Verlust",
        "steuerpflichtig",
    )

    def matures(self, acquired: date) -> date | None:
        return de_period_end(acquired) + timedelta(days=1)  # held more than one year: tax-free

    def reports(
        self, rules: TaxRules, records: Iterable[Record], years: Iterable[int]
    ) -> Mapping[int, GermanReport]:
        return de_reports(records, years=years)

    def tax_on(self, rules: TaxRules, report: GermanReport) -> Decimal:
        return max(report.taxable, ZERO) * rules.rate

    def rates_sentence(self, rules: TaxRules) -> str:
        return f"personal rate {percent(rules.rate)}% above the Freigrenze"

    def title(self, report: GermanReport) -> str:
        return f"Private Veräußerungsgeschäfte {report.year} ({self.currency}, § 23 EStG, FIFO per wallet)"

    def totals_json(self, report: GermanReport) -> dict[str, Any]:
        return {
            "taxable_result": fmt(report.taxable_result),
            "taxable": fmt(report.taxable),
            "freigrenze": fmt(report.freigrenze),
            "tax_free_result": fmt(report.tax_free_result),
        }

    def totals_lines(self, report: GermanReport, money: Money) -> list[str]:
        return [
            f"Taxable result (held 1 year or less): {money(report.taxable_result)}",
            f"Freigrenze {report.year}: {money(report.freigrenze)}; "
            f"taxable after it: {money(report.taxable)}",
            f"Tax-free result (held more than 1 year): {money(report.tax_free_result)}",
        ]

    def csv_rows(self, report: GermanReport) -> Iterator[list[str]]:
        """Anlage SO: fees are inside the figures, so there is no Werbungskosten column."""
        return (_anlage_so_row(row) for row in report.disposals)


def _anlage_so_row(row: Disposal) -> list[str]:
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


GERMANY = Germany()

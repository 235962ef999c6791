"""The United Kingdom as a jurisdiction: the rules are in :mod:`trimtab.tax.uk`; this is what the rest
of trimtab asks of them.

The tax year runs 6 April to 5 April and is named by the year it starts in (2024 = 2024/25). Costs
come from share matching (same day, 30 days, section 104 pool), not lots: there is no lot order to
choose and nothing to defer. The estimated tax of a year: the net gain above the annual exempt amount
times the CGT rate. Not tax advice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trimtab.model.money import cents, fmt
from trimtab.tax.dates import uk_tax_year, uk_tax_year_bounds
from trimtab.tax.jurisdictions.base import Jurisdiction, Money, percent
from trimtab.tax.lots import LotBook
from trimtab.tax.model import Disposal
from trimtab.tax.normalize import Record
from trimtab.tax.uk import ANNUAL_EXEMPT_AMOUNTS, UKReport, uk_reports

if TYPE_CHECKING:
    from trimtab.tax.jurisdiction import TaxRules


class UnitedKingdom(Jurisdiction[UKReport]):
    code = "uk"
    name = "UK"
    report_type = UKReport
    pools = True
    no_choice = (
        "the UK leaves no choice: share matching (same day, 30 days, section 104 pool) is the law "
        "(TCGA 1992 s104-s106A)"
    )
    plan_note = (
        "UK: share matching sets the cost (same day, 30 days, section 104 pool); a buy within 30 days "
        "of a disposal re-matches it, and the estimate includes that"
    )
    class_column = "rule"
    csv_columns = ("asset", "amount", "acquired", "disposed", "proceeds", "cost", "gain", "rule")
    first_tax_year = min(ANNUAL_EXEMPT_AMOUNTS)
    first_year_why = "the annual exempt amounts known here"

    def tax_year(self, day: date) -> int:
        return uk_tax_year(day)

    def tax_year_bounds(self, year: int) -> tuple[date, date]:
        return uk_tax_year_bounds(year)

    def year_label(self, year: int) -> str:
        return f"{year}/{(year + 1) % 100:02d}"

    def matches_after_year(self, rules: TaxRules, year: int) -> bool:
        return True  # the 30-day rule: a later acquisition is matched with a sale of the year

    def matures(self, acquired: date) -> date | None:
        return None  # the holding period does not matter

    def method_label(self, rules: TaxRules) -> str:
        return "pool"

    def reports(
        self, rules: TaxRules, records: Iterable[Record], years: Iterable[int]
    ) -> Mapping[int, UKReport]:
        return uk_reports(records, years=years)

    def tax_on(self, rules: TaxRules, report: UKReport) -> Decimal:
        return report.taxable_gain * rules.rate

    def book(self, report: UKReport) -> LotBook | None:
        return None

    def rates_sentence(self, rules: TaxRules) -> str:
        return f"CGT rate {percent(rules.rate)}% above the annual exempt amount"

    def title(self, report: UKReport) -> str:
        return f"UK disposals {self.year_label(report.year)} ({self.currency}, share matching)"

    def totals_json(self, report: UKReport) -> dict[str, Any]:
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

    def totals_lines(self, report: UKReport, money: Money) -> list[str]:
        return [
            f"Disposals: {report.disposal_count}; proceeds {money(report.proceeds)}, "
            f"allowable costs {money(report.allowable_costs)}",
            f"Gains {money(report.gains)}, losses {money(report.losses)}, net gain {money(report.net_gain)}",
            f"Annual exempt amount: {money(report.annual_exempt_amount)}; "
            f"taxable gain: {money(report.taxable_gain)}",
        ]

    def csv_rows(self, report: UKReport) -> Iterator[list[str]]:
        return (_row(row) for row in report.disposals)


def _row(row: Disposal) -> list[str]:
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


UK = UnitedKingdom()

"""The United States as a jurisdiction: the rules are in :mod:`trimtab.tax.us`; this is what the rest
of trimtab asks of them.

The estimated tax of a year: short- and long-term results are netted within their class, then against
each other; a net gain is taxed at the short-term (ordinary) or long-term rate of the class it ends
in; a net loss deducts at most 3,000 USD from ordinary income, a saving at the short-term rate (the
rest carries forward and is not counted here). Not tax advice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from trimtab.model.money import cents, fmt
from trimtab.tax.dates import us_anniversary
from trimtab.tax.jurisdictions.base import Jurisdiction, Money, percent
from trimtab.tax.lots import LotOrder
from trimtab.tax.model import Disposal, Term
from trimtab.tax.normalize import Record
from trimtab.tax.us import PER_WALLET_FROM, USReport, order_for, us_reports
from trimtab.tax.wash_sale import wash_sale_enabled

if TYPE_CHECKING:
    from trimtab.tax.jurisdiction import TaxRules

US_LOSS_LIMIT = Decimal(3000)  # per year against ordinary income (1,500 married filing separately)


class UnitedStates(Jurisdiction[USReport]):
    code = "us"
    name = "US"
    report_type = USReport
    matured = "long-term"
    plan_note = (
        "US: sells consume lots in the standing order {method}, recorded before the trade (config tax.method)"
    )
    class_column = "term"
    csv_columns = (
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

    def matches_after_year(self, rules: TaxRules, year: int) -> bool:
        return wash_sale_enabled(year, rules.wash_sale)  # a rebuy within 30 days after a sale

    def matures(self, acquired: date) -> date | None:
        return us_anniversary(acquired) + timedelta(days=1)  # held more than one year

    def lot_order(self, rules: TaxRules, unit_proceeds: Decimal, day: date) -> LotOrder:
        return order_for(rules.method, unit_proceeds, day, rules.zone)

    def universal(self, day: date) -> bool:
        return day < PER_WALLET_FROM  # one pool per asset across wallets before 2025

    def method_label(self, rules: TaxRules) -> str:
        return rules.method

    def reports(
        self, rules: TaxRules, records: Iterable[Record], years: Iterable[int]
    ) -> Mapping[int, USReport]:
        return us_reports(
            records, years=years, method=rules.method, zone=rules.zone, wash_sale=rules.wash_sale
        )

    def tax_on(self, rules: TaxRules, report: USReport) -> Decimal:
        short, long = report.short_term, report.long_term
        if short >= 0 and long >= 0:
            return short * rules.rate + long * rules.long_term_rate
        net = short + long
        if net < 0:
            return -min(-net, US_LOSS_LIMIT) * rules.rate
        # One class lost, the other gained more: the net gain keeps the gaining class's rate.
        return net * (rules.long_term_rate if long > 0 else rules.rate)

    def rates_sentence(self, rules: TaxRules) -> str:
        return (
            f"short-term {percent(rules.rate)}%, long-term {percent(rules.long_term_rate)}%, "
            f"lots by {rules.method}"
        )

    def rates_json(self, rules: TaxRules) -> dict[str, str]:
        return super().rates_json(rules) | {
            "long_term_rate_percent": fmt(rules.long_term_rate * 100),
            "method": rules.method,
        }

    def report_facts(self, report: USReport) -> dict[str, Any]:
        return {"method": report.method}

    def title(self, report: USReport) -> str:
        return f"US disposals {report.year} ({self.currency}, lots {report.method})"

    def totals_json(self, report: USReport) -> dict[str, Any]:
        return {
            "short_term": fmt(report.short_term),
            "long_term": fmt(report.long_term),
            "total": fmt(report.total),
        }

    def totals_lines(self, report: USReport, money: Money) -> list[str]:
        return [
            f"Short-term gain (loss): {money(report.short_term)}",
            f"Long-term gain (loss): {money(report.long_term)}",
            f"Total: {money(report.total)}",
        ]

    def csv_rows(self, report: USReport) -> Iterator[list[str]]:
        """Form 8949: short-term rows (Part I) first, then long-term (Part II)."""
        short = (row for row in report.disposals if row.term is not Term.LONG)
        long = (row for row in report.disposals if row.term is Term.LONG)
        return (_form_8949_row(row) for row in itertools.chain(short, long))  # each part in its order


def _form_8949_row(row: Disposal) -> list[str]:
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


US = UnitedStates()

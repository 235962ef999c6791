"""One place that knows the three jurisdictions: their report, their tax year, when a lot's gain stops
being taxed at the higher rate, and what a year's totals cost in tax.

:class:`TaxRules` is built from the config's ``tax:`` section (or from a jurisdiction's defaults) and
used by tax-aware planning, harvesting and the backtest's tax figures.

The estimated tax (:meth:`TaxRules.tax_on`) is a model, not an assessment (not tax advice):

- US: short- and long-term results are netted within their class, then against each other (tax.md
  §1.1); a net gain is taxed at the short-term (ordinary) or long-term rate of the class it ends in; a
  net loss deducts at most 3,000 USD from ordinary income, a saving at the short-term rate (the rest
  carries forward and is not counted here).
- Germany: the year's § 23 result after the Freigrenze cliff times the personal rate (a net loss
  saves nothing this year; carry-back and carry-forward are not counted).
- UK: the year's net gain above the annual exempt amount times the CGT rate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from trimtab.config.tax_section import (
    CURRENCY_OF,
    DEFAULT_RATE_PERCENT,
    DEFAULT_US_LONG_TERM_RATE_PERCENT,
    Jurisdiction,
    TaxSection,
)
from trimtab.money import HUNDRED, ZERO
from trimtab.tax.dates import DEFAULT_ZONES, de_period_end, local_date, uk_tax_year, us_anniversary
from trimtab.tax.germany import GermanReport, de_reports
from trimtab.tax.lots import LotBook, LotOrder, fifo
from trimtab.tax.model import Disposal, Lot, TaxEvent
from trimtab.tax.normalize import Record, records_in_time_order
from trimtab.tax.uk import UKReport, uk_reports
from trimtab.tax.us import PER_WALLET_FROM, US_ZONE, Method, USReport, order_for, us_reports
from trimtab.tax.wash_sale import wash_sale_enabled

TaxReport = USReport | GermanReport | UKReport
US_LOSS_LIMIT = Decimal(3000)  # per year against ordinary income (1,500 married filing separately)
DAY = timedelta(days=1)
MATCH_AHEAD = timedelta(days=30)  # the UK 30-day rule and the US wash-sale window after a sale


@dataclass(frozen=True)
class TaxRules:
    """A jurisdiction with the taxpayer's choices: lot method and time zone (US), wash-sale switch (US,
    None = the year's default), and the rates (fractions) the estimated tax uses."""

    jurisdiction: Jurisdiction
    method: Method = "fifo"
    zone: ZoneInfo = US_ZONE
    wash_sale: bool | None = None
    rate: Decimal = DEFAULT_RATE_PERCENT["us"] / HUNDRED
    long_term_rate: Decimal = DEFAULT_US_LONG_TERM_RATE_PERCENT / HUNDRED

    @classmethod
    def from_section(cls, section: TaxSection) -> TaxRules:
        zone = section.zone_name if section.jurisdiction == "us" else DEFAULT_ZONES[section.jurisdiction]
        return cls(
            jurisdiction=section.jurisdiction,
            method=section.lot_method,
            zone=ZoneInfo(zone),
            wash_sale=section.wash_sale,
            rate=section.rate,
            long_term_rate=section.long_term_rate,
        )

    @classmethod
    def defaults(cls, jurisdiction: Jurisdiction) -> TaxRules:
        """The rules of a ``tax:`` section that names only ``jurisdiction``."""
        return cls.from_section(TaxSection(jurisdiction=jurisdiction))

    @property
    def currency(self) -> str:
        return CURRENCY_OF[self.jurisdiction]

    def local_day(self, moment: datetime) -> date:
        """The calendar date of ``moment`` where the holding periods are counted."""
        return local_date(moment, self.zone)

    def year_of(self, moment: datetime) -> int:
        """The tax year ``moment`` falls in (the UK's by its starting year: 2024 = 2024/25)."""
        day = self.local_day(moment)
        return uk_tax_year(day) if self.jurisdiction == "uk" else day.year

    def horizon(self, year: int) -> datetime:
        """The first moment (UTC) from which no event can change the report of ``year``: the start of
        the day after the tax year ends, in the rules' zone, 30 days later where a later acquisition
        is still matched with a sale of the year (the UK's 30-day rule; the US wash-sale rule when it
        applies to ``year``). Every event before it can count: earlier ones make up the lots and pools."""
        last = date(year + 1, 4, 5) if self.jurisdiction == "uk" else date(year, 12, 31)
        reaching = self.jurisdiction == "uk" or (
            self.jurisdiction == "us" and wash_sale_enabled(year, self.wash_sale)
        )
        first_after = last + DAY + (MATCH_AHEAD if reaching else timedelta())
        return datetime.combine(first_after, time(), self.zone).astimezone(UTC)

    def report(self, records: Sequence[TaxEvent], year: int) -> TaxReport:
        """The jurisdiction's report of ``year`` from ``records`` (every earlier event included)."""
        return self.reports(records_in_time_order(records, self.currency), (year,))[year]

    def reports(self, records: Iterable[Record], years: Iterable[int]) -> Mapping[int, TaxReport]:
        """The report of each of ``years`` from one walk through the normalized ``records``."""
        if self.jurisdiction == "us":
            return us_reports(
                records, years=years, method=self.method, zone=self.zone, wash_sale=self.wash_sale
            )
        if self.jurisdiction == "de":
            return de_reports(records, years=years)
        return uk_reports(records, years=years)

    def tax_on(self, report: TaxReport) -> Decimal:
        """The estimated tax of a year's totals (see the module docstring); negative = a saving."""
        if isinstance(report, USReport):
            return self._us_tax(report.short_term, report.long_term)
        if isinstance(report, GermanReport):
            return max(report.taxable, ZERO) * self.rate
        return report.taxable_gain * self.rate

    def _us_tax(self, short: Decimal, long: Decimal) -> Decimal:
        if short >= 0 and long >= 0:
            return short * self.rate + long * self.long_term_rate
        net = short + long
        if net < 0:
            return -min(-net, US_LOSS_LIMIT) * self.rate
        # One class lost, the other gained more: the net gain keeps the gaining class's rate.
        return net * (self.long_term_rate if long > 0 else self.rate)

    def matures(self, lot: Lot) -> date | None:
        """The first local date a sale of ``lot`` is long-term (US) or tax-free (Germany); None in
        the UK, where the holding period does not matter."""
        acquired = self.local_day(lot.acquired)
        if self.jurisdiction == "us":
            return us_anniversary(acquired) + DAY
        if self.jurisdiction == "de":
            return de_period_end(acquired) + DAY
        return None

    def lot_order(self, unit_proceeds: Decimal, day: date) -> LotOrder:
        """The order a sale on ``day`` at ``unit_proceeds`` (net, per unit) consumes a wallet's lots:
        the US standing method, FIFO in Germany (the law's; the UK pools, so any order will do)."""
        if self.jurisdiction == "us":
            return order_for(self.method, unit_proceeds, day, self.zone)
        return fifo

    def universal(self, day: date) -> bool:
        """Whether a sale on ``day`` may use other wallets' lots (the US before 2025)."""
        return self.jurisdiction == "us" and day < PER_WALLET_FROM

    def book(self, records: Sequence[TaxEvent], when: datetime) -> LotBook | None:
        """The open lots after ``records`` (US and Germany; None for the UK, which pools)."""
        return TaxYear.of(self, records, when).book


@dataclass(frozen=True)
class AddedTax:
    """What adding some events to the history does to tax ``year``: the estimated tax (``tax``,
    negative when they save tax) and the report rows they create or change."""

    year: int
    tax: Decimal
    disposals: tuple[Disposal, ...]
    report: TaxReport


@dataclass(frozen=True)
class TaxYear:
    """The tax year of ``when`` as ``history`` leaves it, walked once: its report, its estimated tax
    and (US, Germany) its open lots; :meth:`adding` then prices any events added on top of it."""

    rules: TaxRules
    history: tuple[TaxEvent, ...]
    report: TaxReport
    tax: Decimal

    @classmethod
    def of(cls, rules: TaxRules, history: Sequence[TaxEvent], when: datetime) -> TaxYear:
        report = rules.report(history, rules.year_of(when))
        return cls(rules, tuple(history), report, rules.tax_on(report))

    @property
    def year(self) -> int:
        return self.report.year

    @property
    def book(self) -> LotBook | None:
        """The open lots after the history (None for the UK, which pools)."""
        return None if isinstance(self.report, UKReport) else self.report.book

    def adding(self, added: Sequence[TaxEvent]) -> AddedTax:
        """The tax effect of ``added`` (e.g. a plan's orders) on top of the history.

        Computed as the difference of two whole-year reports, so the jurisdiction's netting, the
        Freigrenze cliff, the UK exempt amount and the UK same-day and 30-day re-matching of earlier
        disposals are all counted.
        """
        after = self.rules.report([*self.history, *added], self.year)
        unchanged = Counter(self.report.disposals)
        changed: list[Disposal] = []
        for row in after.disposals:
            if unchanged[row] > 0:
                unchanged[row] -= 1
            else:
                changed.append(row)
        return AddedTax(self.year, self.rules.tax_on(after) - self.tax, tuple(changed), after)


def added_tax(
    rules: TaxRules, history: Sequence[TaxEvent], added: Sequence[TaxEvent], when: datetime
) -> AddedTax:
    """The tax effect of ``added`` at ``when`` on top of ``history`` (one question; for several, make
    one :class:`TaxYear` and ask it each time)."""
    return TaxYear.of(rules, history, when).adding(added)

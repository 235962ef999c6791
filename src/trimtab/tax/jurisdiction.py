"""The taxpayer's rules: a jurisdiction (see :mod:`trimtab.tax.jurisdictions`, one module per country)
with the taxpayer's choices, and what a tax year and added events cost under them.

:class:`TaxRules` is built from the config's ``tax:`` section (or from a jurisdiction's defaults) and
used by tax-aware planning, harvesting and the backtest's tax figures. Every question whose answer
depends on the country goes to :attr:`TaxRules.country`; the estimated tax (:meth:`TaxRules.tax_on`)
is each jurisdiction's model, not an assessment (not tax advice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from trimtab.collector import collector_paused
from trimtab.config.tax_section import SECTION_DEFAULTS, Jurisdiction, TaxSection
from trimtab.model.money import HUNDRED
from trimtab.tax.dates import local_date
from trimtab.tax.jurisdictions import Jurisdiction as Country
from trimtab.tax.jurisdictions import TaxReport, jurisdiction
from trimtab.tax.jurisdictions.us import US, US_LOSS_LIMIT
from trimtab.tax.lots import LotBook, LotOrder
from trimtab.tax.model import Disposal, Lot, TaxEvent
from trimtab.tax.normalize import Record, records_in_time_order
from trimtab.tax.us import US_ZONE, Method

__all__ = ["US_LOSS_LIMIT", "AddedTax", "TaxReport", "TaxRules", "TaxYear", "added_tax"]

DAY = timedelta(days=1)
MATCH_AHEAD = timedelta(days=30)  # the UK 30-day rule and the US wash-sale window after a sale
_US_DEFAULTS = SECTION_DEFAULTS[US.code]


@dataclass(frozen=True)
class TaxRules:
    """A jurisdiction with the taxpayer's choices: lot method and time zone (US), wash-sale switch (US,
    None = the year's default), and the rates (fractions) the estimated tax uses."""

    jurisdiction: Jurisdiction
    method: Method = "fifo"
    zone: ZoneInfo = US_ZONE
    wash_sale: bool | None = None
    rate: Decimal = _US_DEFAULTS.rate_percent / HUNDRED
    long_term_rate: Decimal = (_US_DEFAULTS.long_term_rate_percent or _US_DEFAULTS.rate_percent) / HUNDRED

    @classmethod
    def from_section(cls, section: TaxSection) -> TaxRules:
        return cls(
            jurisdiction=section.jurisdiction,
            method=section.lot_method,
            zone=ZoneInfo(section.zone_name),
            wash_sale=section.wash_sale,
            rate=section.rate,
            long_term_rate=section.long_term_rate,
        )

    @classmethod
    def defaults(cls, jurisdiction: Jurisdiction) -> TaxRules:
        """The rules of a ``tax:`` section that names only ``jurisdiction``."""
        return cls.from_section(TaxSection(jurisdiction=jurisdiction))

    @property
    def country(self) -> Country[Any]:
        """The jurisdiction's rules (UnknownJurisdiction for a code no module answers for)."""
        return jurisdiction(self.jurisdiction)

    @property
    def currency(self) -> str:
        return self.country.currency

    def local_day(self, moment: datetime) -> date:
        """The calendar date of ``moment`` where the holding periods are counted."""
        return local_date(moment, self.zone)

    def year_of(self, moment: datetime) -> int:
        """The tax year ``moment`` falls in (the UK's by its starting year: 2024 = 2024/25)."""
        return self.country.tax_year(self.local_day(moment))

    def horizon(self, year: int) -> datetime:
        """The first moment (UTC) from which no event can change the report of ``year``: the start of
        the day after the tax year ends, in the rules' zone, 30 days later where a later acquisition
        is still matched with a sale of the year (the UK's 30-day rule; the US wash-sale rule when it
        applies to ``year``). Every event before it can count: earlier ones make up the lots and pools."""
        country = self.country
        last = country.tax_year_bounds(year)[1]
        reaching = country.matches_after_year(self, year)
        first_after = last + DAY + (MATCH_AHEAD if reaching else timedelta())
        return datetime.combine(first_after, time(), self.zone).astimezone(UTC)

    def report(self, records: Sequence[TaxEvent], year: int) -> TaxReport:
        """The jurisdiction's report of ``year`` from ``records`` (every earlier event included)."""
        return self.reports(records_in_time_order(records, self.currency), (year,))[year]

    def reports(self, records: Iterable[Record], years: Iterable[int]) -> Mapping[int, TaxReport]:
        """The report of each of ``years`` from one walk through the normalized ``records`` (the cyclic
        collector paused: :mod:`trimtab.collector`)."""
        with collector_paused():
            return self.country.reports(self, records, years)

    def tax_on(self, report: TaxReport) -> Decimal:
        """The estimated tax of a year's totals (see the jurisdiction's module); negative = a saving."""
        return self.country.tax_on(self, report)

    def matures(self, lot: Lot) -> date | None:
        """The first local date a sale of ``lot`` is long-term (US) or tax-free (Germany); None in
        the UK, where the holding period does not matter."""
        return self.country.matures(self.local_day(lot.acquired))

    def lot_order(self, unit_proceeds: Decimal, day: date) -> LotOrder:
        """The order a sale on ``day`` at ``unit_proceeds`` (net, per unit) consumes a wallet's lots:
        the US standing method, FIFO in Germany (the law's; the UK pools, so any order will do)."""
        return self.country.lot_order(self, unit_proceeds, day)

    def universal(self, day: date) -> bool:
        """Whether a sale on ``day`` may use other wallets' lots (the US before 2025)."""
        return self.country.universal(day)

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
        return self.rules.country.book(self.report)

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

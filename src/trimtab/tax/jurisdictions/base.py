"""What every jurisdiction answers: its currency, calendar, tax year, holding period, lot order, the
tax on a year's totals, and the words and columns its report is shown with.

A jurisdiction is one subclass of :class:`Jurisdiction` in its own module, registered once in
:mod:`trimtab.tax.jurisdictions`. Code elsewhere asks the jurisdiction (``rules.country``) instead of
comparing codes. The taxpayer's choices (lot method, time zone, wash-sale switch, rates) are in
:class:`~trimtab.tax.jurisdiction.TaxRules`, passed to the methods that depend on them.

Presentation is data here (titles, column names, lines of text): the command line renders it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from trimtab.config.tax_section import SECTION_DEFAULTS, SectionDefaults
from trimtab.model.money import fmt
from trimtab.tax.lots import LotBook, LotOrder, fifo
from trimtab.tax.model import Disposal
from trimtab.tax.normalize import Record

if TYPE_CHECKING:
    from trimtab.tax.jurisdiction import TaxRules


def percent(fraction: Decimal) -> str:
    """``0.24`` -> ``24``: a rate as the percent it was given in."""
    return format((fraction * 100).normalize(), "f")


class TaxReport(Protocol):
    """What every jurisdiction's report of one tax year has."""

    @property
    def year(self) -> int: ...

    @property
    def disposals(self) -> tuple[Disposal, ...]: ...


R = TypeVar("R", bound=TaxReport)
Money = Callable[[Decimal], str]  # an amount as text with the currency, e.g. "1,234.50 USD"


class Jurisdiction(ABC, Generic[R]):
    """One country's rules. Subclasses set the class facts and implement the abstract methods."""

    code: ClassVar[str]  # as in the config's tax.jurisdiction and --jurisdiction
    name: ClassVar[str]  # as printed: "US", "Germany", "UK"
    report_type: ClassVar[type]  # the report class of :meth:`reports`
    pools: ClassVar[bool] = False  # costs come from a pool, not lots: no lot book, nothing to defer
    matured: ClassVar[str] = "tax-free"  # what a lot held long enough becomes (see :meth:`matures`)
    mature_results_count: ClassVar[bool] = True  # whether a mature lot's gain or loss is taxed
    no_choice: ClassVar[str] = ""  # why the lot method cannot be chosen ("" where it can)
    plan_note: ClassVar[str]  # under a tax-aware plan; may use {method} and {wallet}
    class_column: ClassVar[str]  # the report table's column that classes each disposal
    csv_columns: ClassVar[tuple[str, ...]]  # the header of the report's CSV
    first_tax_year: ClassVar[int | None] = None  # the earliest tax year whose rules are known here
    first_year_why: ClassVar[str] = ""  # what makes it the earliest

    @property
    def defaults(self) -> SectionDefaults:
        """The config's defaults of this jurisdiction's ``tax:`` section."""
        return SECTION_DEFAULTS[self.code]

    @property
    def currency(self) -> str:
        """The report currency."""
        return self.defaults.currency

    @property
    def zone_name(self) -> str:
        """The time zone holding periods and tax years are counted in (the default, where it can be set)."""
        return self.defaults.zone

    @property
    def takes_choices(self) -> bool:
        """Whether the taxpayer chooses the lot method, time zone and wash-sale switch."""
        return self.defaults.takes_choices

    # -- the calendar ---------------------------------------------------------------------------

    def tax_year(self, day: date) -> int:
        """The tax year of the local date ``day``, by the year it starts in (calendar years by default)."""
        return day.year

    def tax_year_bounds(self, year: int) -> tuple[date, date]:
        """The first and last local date of tax year ``year``."""
        return date(year, 1, 1), date(year, 12, 31)

    def year_label(self, year: int) -> str:
        """Tax year ``year`` as printed: ``2024``."""
        return str(year)

    def matches_after_year(self, rules: TaxRules, year: int) -> bool:
        """Whether acquisitions in the 30 days after the year can still change its report."""
        return False

    @abstractmethod
    def matures(self, acquired: date) -> date | None:
        """The first local date a sale of a lot acquired on ``acquired`` is taxed differently (US
        long-term, German tax-free); None where the holding period does not matter."""

    # -- lots and reports -----------------------------------------------------------------------

    def lot_order(self, rules: TaxRules, unit_proceeds: Decimal, day: date) -> LotOrder:
        """The order a sale on ``day`` at ``unit_proceeds`` (net, per unit) consumes a wallet's lots."""
        return fifo

    def universal(self, day: date) -> bool:
        """Whether a sale on ``day`` may use other wallets' lots."""
        return False

    def method_label(self, rules: TaxRules) -> str:
        """The lot order as printed under a plan: the US method, ``fifo``, ``pool``."""
        return "fifo"

    @abstractmethod
    def reports(self, rules: TaxRules, records: Iterable[Record], years: Iterable[int]) -> Mapping[int, R]:
        """The report of each of ``years`` from one walk through the normalized ``records``."""

    @abstractmethod
    def tax_on(self, rules: TaxRules, report: R) -> Decimal:
        """The estimated tax of a year's totals (a model, not an assessment); negative = a saving."""

    def book(self, report: R) -> LotBook | None:
        """The open lots after the report's history (None where costs are pooled)."""
        found: LotBook | None = getattr(report, "book", None)
        return found

    # -- words and columns ----------------------------------------------------------------------

    @abstractmethod
    def rates_sentence(self, rules: TaxRules) -> str:
        """The rates the estimated tax uses, in a phrase."""

    def rates_json(self, rules: TaxRules) -> dict[str, str]:
        """The rates as ``backtest --json`` prints them (percent as decimal strings)."""
        return {"rate_percent": fmt(rules.rate * 100)}

    def report_facts(self, report: R) -> dict[str, Any]:
        """Keys the report's JSON adds after ``currency`` (the US lot method)."""
        return {}

    @abstractmethod
    def title(self, report: R) -> str:
        """The report table's title."""

    @abstractmethod
    def totals_json(self, report: R) -> dict[str, Any]:
        """The year's totals as ``tax report --json`` prints them."""

    @abstractmethod
    def totals_lines(self, report: R, money: Money) -> list[str]:
        """The year's totals as lines of text (``money`` formats an amount with the currency)."""

    @abstractmethod
    def csv_rows(self, report: R) -> Iterator[list[str]]:
        """The report's CSV rows in the layout of the form they go on (see :attr:`csv_columns`)."""

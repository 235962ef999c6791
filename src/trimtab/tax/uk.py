"""UK Capital Gains Tax on cryptoassets for one tax year: matched disposals and the year's totals.

:func:`uk_report` matches the whole history (same day, 30 days, section 104 pool: see
:mod:`trimtab.tax.uk_match`) and reports the disposals made in tax year ``year`` (6 April ``year`` to
5 April ``year + 1``, by the local date in the taxpayer's zone, Europe/London by default).

Totals (HMRC CG18030, TCGA 1992 s2, s3):

- A *disposal* is a token's disposals of one local day, which the same-day rule treats as one
  (s105(1)(a)); its gain is the sum over its matched pieces (CRYPTO22255: one gain for a 30-day and a
  pool piece). ``gains`` adds the disposals with a gain, ``losses`` the disposals with a loss (positive).
- ``net_gain = gains - losses``: losses of the year are deducted in full, even where that brings the net
  gain below the annual exempt amount (CG18030, CG18201).
- ``taxable_gain = max(0, net_gain - annual exempt amount)``. Losses brought forward from earlier years
  (used only down to the exempt amount), gains on other assets, and the tax rates are out of scope.

Not tax advice: a tax adviser decides what is filed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from trimtab.model.money import ZERO
from trimtab.tax.dates import DEFAULT_ZONES, uk_tax_year_bounds
from trimtab.tax.model import Disposal
from trimtab.tax.normalize import Record
from trimtab.tax.uk_match import Section104Pool, TokenMatch, match_uk

UK_ZONE: Final = ZoneInfo(DEFAULT_ZONES["uk"])

# The annual exempt amount of an individual (TCGA 1992 s1K(2)), by tax year (its starting year): £12,300
# for 2020/21, kept for 2021/22 and 2022/23 (Finance Act 2021 s40); £6,000 for 2023/24 and £3,000 "for
# the tax year 2024-25 and subsequent tax years", with CPI indexation (s1L) repealed (Finance Act 2023
# s8): every year after the table's last uses its last entry.
ANNUAL_EXEMPT_AMOUNTS: Final[Mapping[int, Decimal]] = MappingProxyType(
    {
        2020: Decimal(12300),
        2021: Decimal(12300),
        2022: Decimal(12300),
        2023: Decimal(6000),
        2024: Decimal(3000),
    }
)

# Proceeds above which disposals must be reported even when no tax is due (TMA 1970 s8C(1)(b)): £50,000
# from 2023/24, "four times that annual exempt amount" before (Finance Act 2023 s8(7), (9)).
# Informative only: other conditions (e.g. gains above the exempt amount) also require a return.
REPORTING_PROCEEDS_THRESHOLD: Final = Decimal(50000)


def annual_exempt_amount(year: int) -> Decimal:
    """The annual exempt amount for UK tax year ``year`` (2024 = 2024/25). ValueError before 2020/21."""
    first, last = min(ANNUAL_EXEMPT_AMOUNTS), max(ANNUAL_EXEMPT_AMOUNTS)
    if year < first:
        raise ValueError(f"no annual exempt amount for UK tax year {year} (the table starts with {first})")
    return ANNUAL_EXEMPT_AMOUNTS[min(year, last)]


def reporting_proceeds_threshold(year: int) -> Decimal:
    """The disposal-proceeds reporting threshold of tax year ``year`` (informative)."""
    return REPORTING_PROCEEDS_THRESHOLD if year >= 2023 else 4 * annual_exempt_amount(year)


@dataclass(frozen=True, slots=True)
class UKReport:
    """Disposals of one UK tax year and their totals (GBP).

    ``disposals``: one row per matched piece (``rule`` = same-day / 30-day / pool; ``acquired`` = the
    local acquisition date for same-day and 30-day rows, None for pool rows; ``wallet`` = the wallet
    of the day's disposals of that token if they all came from one, else ""), ordered by local disposal
    date, then token. ``disposal_count`` counts disposals after same-day pooling (token x local day).
    ``proceeds`` and ``allowable_costs`` add up all rows; ``gains`` and ``losses`` (a positive
    amount) add up whole disposals, see the module docstring. ``pools``: each token's section 104
    pool at the end of the tax year (5 April), tokens with units only.
    """

    year: int
    disposals: tuple[Disposal, ...]
    disposal_count: int
    proceeds: Decimal
    allowable_costs: Decimal
    gains: Decimal
    losses: Decimal
    annual_exempt_amount: Decimal
    pools: tuple[Section104Pool, ...]

    @property
    def net_gain(self) -> Decimal:
        """Gains less the year's losses (deducted in full, CG18030)."""
        return self.gains - self.losses

    @property
    def taxable_gain(self) -> Decimal:
        """``max(0, net_gain - annual_exempt_amount)``; carried-forward losses are out of scope."""
        return max(ZERO, self.net_gain - self.annual_exempt_amount)

    @property
    def over_proceeds_threshold(self) -> bool:
        """True when the year's disposal proceeds exceed the reporting threshold (informative)."""
        return self.proceeds > reporting_proceeds_threshold(self.year)


def uk_report(records: Iterable[Record], *, year: int, zone: ZoneInfo = UK_ZONE) -> UKReport:
    """The UK CGT report of tax year ``year`` (by its starting year: 2024 = 6 Apr 2024 - 5 Apr 2025).

    ``records`` is the whole history (GBP, fees applied, see :func:`trimtab.tax.normalize.normalize`),
    every wallet: earlier years build the section 104 pools, and acquisitions up to 30 days after the
    year can match its disposals (s106A). Raises ValueError for a year before the exempt-amount
    table, or when the history disposes of more units than it acquired.
    """
    return uk_reports(records, years=(year,), zone=zone)[year]


def uk_reports(
    records: Iterable[Record], *, years: Iterable[int], zone: ZoneInfo = UK_ZONE
) -> dict[int, UKReport]:
    """:func:`uk_report` of each of ``years`` from one matching of the history (a backtest's every
    tax year at the cost of one)."""
    exempt = {year: annual_exempt_amount(year) for year in years}  # an unknown year fails before any work
    matches = match_uk(records, zone)
    return {year: _year_report(matches, year, amount) for year, amount in exempt.items()}


def _year_report(matches: Mapping[str, TokenMatch], year: int, exempt: Decimal) -> UKReport:
    first, last = uk_tax_year_bounds(year)
    rows = sorted(
        (row for match in matches.values() for row in match.disposals if first <= row.disposed <= last),
        key=lambda row: (row.disposed, row.asset),
    )  # stable: a day's rows keep their same-day, 30-day, pool order
    per_disposal: defaultdict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for row in rows:
        per_disposal[row.asset, row.disposed] += row.gain
    pools = tuple(pool for pool in (match.pool_at(last) for match in matches.values()) if pool.amount > 0)
    return UKReport(
        year=year,
        disposals=tuple(rows),
        disposal_count=len(per_disposal),
        proceeds=sum((row.proceeds for row in rows), ZERO),
        allowable_costs=sum((row.cost for row in rows), ZERO),
        gains=sum((gain for gain in per_disposal.values() if gain > 0), ZERO),
        losses=sum((-gain for gain in per_disposal.values() if gain < 0), ZERO),
        annual_exempt_amount=exempt,
        pools=pools,
    )

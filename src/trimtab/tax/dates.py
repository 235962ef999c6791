"""Calendar arithmetic of holding periods and tax years, in the taxpayer's own calendar.

Holding periods are counted in calendar dates in the taxpayer's time zone, never as 365 days or
31,536,000 seconds (tools that did so mark sales a day early, two across 29 February):

- USA (IRS Pub. 544): long-term when held **more than one year**; counting starts the day after the
  acquisition, so a sale on the anniversary is still short-term. Months end on month ends: a lot
  acquired on the last day of a month has its anniversary on the last day of that month a year later
  (28 Feb 2023 -> 29 Feb 2024; 29 Feb 2024 -> 28 Feb 2025).
- Germany (§ 23 EStG with § 108 AO, §§ 187(1), 188(2), (3) BGB): taxable when held **not more than one
  year**; the period ends at the end of the same calendar date one year later, or the month's last day
  when that date does not exist (29 Feb 2024 -> 28 Feb 2025; 28 Feb 2023 -> 28 Feb 2024).
- UK: the tax year runs 6 April to 5 April; "tax year 2024" is 2024/25.

>>> us_long_term(date(2023, 6, 15), date(2024, 6, 15)), us_long_term(date(2023, 6, 15), date(2024, 6, 16))
(False, True)
>>> de_taxable(date(2024, 3, 10), date(2025, 3, 10)), de_taxable(date(2024, 3, 10), date(2025, 3, 11))
(True, False)
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from trimtab.config.tax_section import SECTION_DEFAULTS

# The time zone each jurisdiction's day counts are made in (the US default; a taxpayer may set another).
DEFAULT_ZONES: Mapping[str, str] = {code: facts.zone for code, facts in SECTION_DEFAULTS.items()}


@lru_cache(maxsize=1 << 16)
def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of the aware UTC ``moment`` in ``zone``."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(zone).date()


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@lru_cache(maxsize=1 << 16)
def us_anniversary(acquired: date) -> date:
    """The last day of the one-year holding period of a US lot (month ends map to month ends)."""
    year = acquired.year + 1
    if acquired.day == _last_day(acquired.year, acquired.month):
        return date(year, acquired.month, _last_day(year, acquired.month))
    return date(year, acquired.month, acquired.day)


def us_long_term(acquired: date, disposed: date) -> bool:
    """True when a lot acquired on ``acquired`` and disposed of on ``disposed`` (local dates) is
    held more than one year."""
    return disposed > us_anniversary(acquired)


@lru_cache(maxsize=1 << 16)
def de_period_end(acquired: date) -> date:
    """The last day of the German one-year period (§ 188(2), (3) BGB): a sale on or before it is taxable."""
    year = acquired.year + 1
    return date(year, acquired.month, min(acquired.day, _last_day(year, acquired.month)))


def de_taxable(acquired: date, disposed: date) -> bool:
    """True when a private sale on ``disposed`` of a lot acquired on ``acquired`` falls under § 23 EStG."""
    return disposed <= de_period_end(acquired)


def uk_tax_year(day: date) -> int:
    """The UK tax year ``day`` falls in, by its starting year: 5 Apr 2025 -> 2024, 6 Apr 2025 -> 2025."""
    return day.year if (day.month, day.day) >= (4, 6) else day.year - 1


def uk_tax_year_bounds(year: int) -> tuple[date, date]:
    """First and last day of UK tax year ``year`` (6 April ``year`` to 5 April ``year + 1``)."""
    return date(year, 4, 6), date(year + 1, 4, 5)

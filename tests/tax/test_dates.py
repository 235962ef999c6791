"""Holding periods in calendar dates: the anniversary traps other tools fell into."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from trimtab.tax.dates import (
    de_period_end,
    de_taxable,
    local_date,
    uk_tax_year,
    uk_tax_year_bounds,
    us_anniversary,
    us_long_term,
)


@pytest.mark.parametrize(
    ("acquired", "anniversary"),
    [
        (date(2023, 6, 15), date(2024, 6, 15)),  # Pub. 544: sold on 15 Jun 2024 is not more than a year
        (date(2024, 2, 29), date(2025, 2, 28)),  # 29 Feb: the month's last day a year on
        (date(2023, 2, 28), date(2024, 2, 29)),  # a month end before a leap year: held until 29 Feb
        (date(2024, 2, 28), date(2025, 2, 28)),  # not a month end in a leap year: the same date
        (date(2023, 4, 30), date(2024, 4, 30)),
    ],
)
def test_us_anniversaries_map_month_ends_to_month_ends(acquired: date, anniversary: date) -> None:
    assert us_anniversary(acquired) == anniversary
    assert not us_long_term(acquired, anniversary)
    assert us_long_term(acquired, date.fromordinal(anniversary.toordinal() + 1))


def test_365_days_is_not_a_year_across_29_february() -> None:
    # 1 Mar 2023 -> 29 Feb 2024 is 365 days but not yet the anniversary (1 Mar 2024).
    assert not us_long_term(date(2023, 3, 1), date(2024, 2, 29))
    assert de_taxable(date(2023, 3, 1), date(2024, 2, 29))


@pytest.mark.parametrize(
    ("acquired", "end"),
    [
        (date(2024, 3, 10), date(2025, 3, 10)),  # BMF example: the sale on 10.03.2025 is still taxable
        (date(2024, 2, 29), date(2025, 2, 28)),  # § 188(3) BGB
        (date(2023, 2, 28), date(2024, 2, 28)),  # unlike the US month-end convention
    ],
)
def test_the_german_period_ends_on_the_same_date_a_year_later(acquired: date, end: date) -> None:
    assert de_period_end(acquired) == end
    assert de_taxable(acquired, end)
    assert not de_taxable(acquired, date.fromordinal(end.toordinal() + 1))


def test_local_dates_follow_the_taxpayers_time_zone() -> None:
    moment = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
    assert local_date(moment, ZoneInfo("America/New_York")) == date(2024, 12, 31)
    assert local_date(moment, ZoneInfo("Europe/Berlin")) == date(2025, 1, 1)
    summer = datetime(2024, 7, 1, 23, 30, tzinfo=UTC)
    assert local_date(summer, ZoneInfo("Europe/London")) == date(2024, 7, 2)  # BST
    with pytest.raises(ValueError, match="no time zone"):
        local_date(datetime(2025, 1, 1), ZoneInfo("Europe/London"))


def test_uk_tax_years_run_from_6_april() -> None:
    assert uk_tax_year(date(2025, 4, 5)) == 2024
    assert uk_tax_year(date(2025, 4, 6)) == 2025
    assert uk_tax_year_bounds(2024) == (date(2024, 4, 6), date(2025, 4, 5))

"""The jurisdiction registry: every code resolves to its one module, unknown codes fail clearly, and
each jurisdiction states its own facts (currency, zone, tax year, holding period, lot order)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import get_args

import pytest

from trimtab.config.tax_section import SECTION_DEFAULTS, JurisdictionCode
from trimtab.errors import TaxError
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.jurisdictions import JURISDICTIONS, UnknownJurisdiction, jurisdiction, of_report
from trimtab.tax.lots import fifo


def test_every_code_the_config_accepts_resolves_to_its_jurisdiction() -> None:
    assert set(get_args(JurisdictionCode)) == set(JURISDICTIONS) == set(SECTION_DEFAULTS)
    for code in JURISDICTIONS:
        found = jurisdiction(code)
        assert found.code == code
        assert TaxRules.defaults(code).country is found  # type: ignore[arg-type]


def test_an_unknown_code_is_a_tax_error_with_a_suggestion() -> None:
    with pytest.raises(UnknownJurisdiction) as caught:
        jurisdiction("usa")
    message = str(caught.value)
    assert isinstance(caught.value, TaxError)
    assert "unknown jurisdiction 'usa'" in message
    assert "did you mean 'us'" in message
    assert "us, de, uk" in message
    with pytest.raises(UnknownJurisdiction, match="'fr'"):
        TaxRules("fr").currency  # type: ignore[arg-type]  # noqa: B018


@pytest.mark.parametrize(
    ("code", "currency", "zone", "name"),
    [
        ("us", "USD", "America/New_York", "US"),
        ("de", "EUR", "Europe/Berlin", "Germany"),
        ("uk", "GBP", "Europe/London", "UK"),
    ],
)
def test_currency_zone_and_name(code: str, currency: str, zone: str, name: str) -> None:
    country = jurisdiction(code)
    assert (country.currency, country.zone_name, country.name) == (currency, zone, name)
    assert str(TaxRules.defaults(code).zone) == zone  # type: ignore[arg-type]


def test_us_and_germany_tax_calendar_years() -> None:
    for code in ("us", "de"):
        country = jurisdiction(code)
        assert country.tax_year_bounds(2024) == (date(2024, 1, 1), date(2024, 12, 31))
        assert country.tax_year(date(2025, 1, 1)) == 2025
        assert country.year_label(2024) == "2024"


def test_the_uk_tax_year_runs_6_april_to_5_april() -> None:
    uk = jurisdiction("uk")
    assert uk.tax_year_bounds(2024) == (date(2024, 4, 6), date(2025, 4, 5))
    assert (uk.tax_year(date(2025, 4, 5)), uk.tax_year(date(2025, 4, 6))) == (2024, 2025)
    assert uk.year_label(2024) == "2024/25"
    assert uk.year_label(2099) == "2099/00"
    # 23:30 UTC on 5 April 2025 is 6 April in London (BST): the next tax year.
    assert TaxRules.defaults("uk").year_of(datetime(2025, 4, 5, 23, 30, tzinfo=UTC)) == 2025


def test_holding_periods() -> None:
    # US: long-term the day after the anniversary; Germany: tax-free the day after the period ends.
    assert jurisdiction("us").matures(date(2023, 6, 15)) == date(2024, 6, 16)
    assert jurisdiction("us").matures(date(2023, 2, 28)) == date(2024, 3, 1)  # month end to month end
    assert jurisdiction("de").matures(date(2024, 2, 29)) == date(2025, 3, 1)
    assert jurisdiction("uk").matures(date(2024, 2, 29)) is None
    assert (jurisdiction("us").matured, jurisdiction("de").matured) == ("long-term", "tax-free")


def test_lot_orders_and_choices() -> None:
    us, de, uk = (jurisdiction(code) for code in ("us", "de", "uk"))
    assert (us.takes_choices, de.takes_choices, uk.takes_choices) == (True, False, False)
    assert (us.pools, de.pools, uk.pools) == (False, False, True)
    day = date(2024, 5, 1)
    assert de.lot_order(TaxRules.defaults("de"), Decimal(1), day) is fifo
    hifo_rules = TaxRules("us", method="hifo")
    assert us.method_label(hifo_rules) == "hifo"
    assert (de.method_label(hifo_rules), uk.method_label(hifo_rules)) == ("fifo", "pool")
    assert us.universal(date(2024, 12, 31))
    assert not us.universal(date(2025, 1, 1))
    assert not de.universal(date(2020, 1, 1))


def test_each_report_names_its_jurisdiction() -> None:
    for code, country in JURISDICTIONS.items():
        report = TaxRules.defaults(code).report([], 2024)  # type: ignore[arg-type]
        assert of_report(report) is country
        assert report.disposals == ()
        assert TaxRules.defaults(code).tax_on(report) == 0  # type: ignore[arg-type]

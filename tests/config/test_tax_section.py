"""The ``tax:`` section: defaults per jurisdiction, US-only keys, and the hard band against the threshold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from configs import yaml_config

from trimtab.config import Config, load_config
from trimtab.errors import ConfigError

BASE = yaml_config(
    weights={"BTC": 60, "ETH": 40},
    rebalancing={"strategy": "threshold", "threshold_percent": 5},
    data_dir=None,
    exchange=None,
)


def load(tmp_path: Path, tax: str) -> Config:
    path = tmp_path / "trimtab.yaml"
    path.write_text(BASE + tax, encoding="utf-8")
    return load_config(path)


def error_of(tmp_path: Path, tax: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, tax)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_code == 2
    return message


def test_without_a_tax_section_nothing_is_tax_aware(tmp_path: Path) -> None:
    assert load(tmp_path, "").tax is None


def test_germany_defaults(tmp_path: Path) -> None:
    section = load(tmp_path, "tax: {jurisdiction: de}").tax
    assert section is not None
    assert (section.currency, section.lot_method, section.rate) == ("EUR", "fifo", Decimal("0.42"))
    assert section.defer_days == 30
    assert section.harvest_min_loss == Decimal(100)
    # No hard band given: twice the 5-point threshold.
    assert section.hard_band(Decimal(5)) == Decimal(10)
    # A calendar policy has no threshold to double.
    assert section.hard_band(None) == Decimal(10)


def test_us_defaults_and_choices(tmp_path: Path) -> None:
    section = load(tmp_path, "tax: {jurisdiction: us}").tax
    assert section is not None
    assert (section.currency, section.lot_method, section.zone_name) == ("USD", "min-tax", "America/New_York")
    assert (section.rate, section.long_term_rate) == (Decimal("0.24"), Decimal("0.15"))
    chosen = load(
        tmp_path,
        "tax: {jurisdiction: us, method: hifo, timezone: America/Chicago, rate_percent: 32, "
        "long_term_rate_percent: 20, wash_sale: true}",
    ).tax
    assert chosen is not None
    assert (chosen.lot_method, chosen.zone_name, chosen.wash_sale) == ("hifo", "America/Chicago", True)
    assert (chosen.rate, chosen.long_term_rate) == (Decimal("0.32"), Decimal("0.2"))


def test_uk_rate(tmp_path: Path) -> None:
    section = load(tmp_path, "tax: {jurisdiction: uk, rate_percent: 18}").tax
    assert section is not None
    assert (section.currency, section.rate, section.long_term_rate) == (
        "GBP",
        Decimal("0.18"),
        Decimal("0.18"),
    )


def test_us_only_keys_are_refused_elsewhere(tmp_path: Path) -> None:
    message = error_of(tmp_path, "tax: {jurisdiction: de, method: hifo}")
    assert "tax" in message
    assert "method only apply to jurisdiction us" in message
    assert "FIFO per wallet" in message


def test_a_bad_jurisdiction_names_the_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, "tax: {jurisdiction: fr}")
    assert "tax.jurisdiction" in message


def test_a_bad_time_zone(tmp_path: Path) -> None:
    message = error_of(tmp_path, "tax: {jurisdiction: us, timezone: Mars/Olympus}")
    assert "tax.timezone" in message
    assert "IANA time zone" in message


def test_the_hard_band_must_be_wider_than_the_threshold(tmp_path: Path) -> None:
    message = error_of(tmp_path, "tax: {jurisdiction: de, hard_band_percent: 5}")
    assert "hard_band_percent (5) must be wider than rebalancing.threshold_percent (5)" in message
    assert load(tmp_path, "tax: {jurisdiction: de, hard_band_percent: 5.5}").tax is not None


def test_defer_days_bounds(tmp_path: Path) -> None:
    assert "tax.defer_days" in error_of(tmp_path, "tax: {jurisdiction: de, defer_days: -1}")
    assert "tax.defer_days" in error_of(tmp_path, "tax: {jurisdiction: de, defer_days: 400}")

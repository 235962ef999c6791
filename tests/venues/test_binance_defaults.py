"""Binance-like default market rules: the table for known assets, price-derived rules for the others."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trimtab.model.markets import MarketRules
from trimtab.model.money import is_on_step
from trimtab.pricedata import bundled_history
from trimtab.venues.binance_defaults import BINANCE_SPOT_FILTERS, default_rules, derived_rules


def test_table_covers_every_bundled_asset() -> None:
    assert set(BINANCE_SPOT_FILTERS) == set(bundled_history().assets)


@pytest.mark.parametrize(
    ("asset", "step", "tick"),
    [
        ("BTC", "0.00001", "0.01"),
        ("ETH", "0.0001", "0.01"),
        ("SOL", "0.001", "0.01"),
        ("BNB", "0.001", "0.01"),
        ("XRP", "0.1", "0.0001"),
        ("DOGE", "1", "0.00001"),
        ("SHIB", "1", "0.00000001"),
    ],
)
def test_known_asset_gets_its_binance_filters(asset: str, step: str, tick: str) -> None:
    rules = default_rules(asset, "USDT", Decimal(1))

    assert rules == MarketRules(asset, "USDT", Decimal(step), Decimal(step), Decimal(5), Decimal(tick))


def test_latest_bundled_closes_lie_on_the_table_ticks() -> None:
    history = bundled_history()
    for asset, price in history.prices_on(history.last_date).items():
        assert is_on_step(price, default_rules(asset, "USDT", price).price_tick), asset


@pytest.mark.parametrize(
    ("price", "step", "tick"),
    [
        ("60000", "0.000001", "0.01"),
        ("2.5", "0.01", "0.0001"),
        ("0.5", "0.1", "0.00001"),
        ("0.05", "1", "0.000001"),
        ("0.00001", "1", "0.000000001"),
    ],
)
def test_unknown_asset_rules_follow_its_price(price: str, step: str, tick: str) -> None:
    rules = derived_rules("NEW", "USDT", Decimal(price))

    assert rules == MarketRules("NEW", "USDT", Decimal(step), Decimal(step), Decimal(5), Decimal(tick))
    # One step is worth at most 0.1 quote unless the step is already a whole unit.
    assert rules.amount_step * Decimal(price) <= Decimal("0.1") or rules.amount_step == 1


def test_known_asset_against_a_non_dollar_quote_gets_derived_rules() -> None:
    assert default_rules("BTC", "EUR", Decimal(50000)) == derived_rules("BTC", "EUR", Decimal(50000))


def test_deriving_rules_needs_a_positive_price() -> None:
    with pytest.raises(ValueError, match="cannot derive market rules of NEW"):
        derived_rules("NEW", "USDT", Decimal(0))

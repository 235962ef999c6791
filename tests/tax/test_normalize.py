"""Fees become cost, reduced proceeds, and disposals of the crypto they were paid in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.normalize import Acquisition, Sale, fee_value, normalize

D = Decimal
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def event(
    kind: EventType, asset: str, amount: str, price: str, fee: str = "0", fee_asset: str = ""
) -> TaxEvent:
    return TaxEvent(T0, "w", kind, asset, D(amount), D(price), D(fee), fee_asset)


def test_a_fee_in_the_report_currency_is_cost_or_less_proceeds() -> None:
    buy = event(EventType.BUY, "ETH", "2", "3000", "6", "USD")
    sell = event(EventType.SELL, "ETH", "1", "3500", "3.5", "USD")
    assert normalize([buy, sell], "USD") == [
        Acquisition("ETH", "w", D(2), D(6006), T0),  # 2 x 3,000 + 6
        Sale("ETH", "w", D(1), D("3496.5"), T0),  # 3,500 - 3.5
    ]


def test_a_swap_with_a_crypto_fee_disposes_of_the_fee_units_too() -> None:
    # Swap 1 ETH (3,000) for 0.05 BTC (60,000 each); the exchange takes 0.0001 BTC = 6 USD as the fee.
    sell = event(EventType.SELL, "ETH", "1", "3000")
    buy = event(EventType.BUY, "BTC", "0.05", "60000", "0.0001", "BTC")
    assert normalize([sell, buy], "USD") == [
        Sale("ETH", "w", D(1), D(3000), T0),
        Acquisition("BTC", "w", D("0.05"), D("3006.0000"), T0),  # 3,000 + the 6 USD fee
        Sale("BTC", "w", D("0.0001"), D("6.0000"), T0, fee=True),  # the fee units, at market value
    ]


def test_a_fee_row_is_a_disposal_at_market_value() -> None:
    gas = event(EventType.FEE, "ETH", "0.002", "3000")
    assert normalize([gas], "USD") == [Sale("ETH", "w", D("0.002"), D("6.000"), T0, fee=True)]


def test_rows_keep_their_order_within_a_timestamp_and_sort_by_time() -> None:
    later = TaxEvent(datetime(2024, 6, 1, tzinfo=UTC), "w", EventType.SELL, "BTC", D(1), D(1))
    first = event(EventType.BUY, "BTC", "1", "1")
    second = event(EventType.BUY, "ETH", "1", "1")
    assets = [r.asset for r in normalize([later, first, second], "USD")]
    assert assets == ["BTC", "ETH", "BTC"]


def test_a_fee_in_a_third_asset_cannot_be_valued_from_the_row() -> None:
    with pytest.raises(ValueError, match="write the fee as its own 'fee' row"):
        fee_value(event(EventType.BUY, "BTC", "1", "60000", "0.01", "BNB"), "USD")

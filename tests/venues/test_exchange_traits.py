"""The per-exchange capability table: Binance's quirks for Binance and its derivatives, ccxt's unified
parameters for every other exchange, and the typed answer to a reused client order id."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from trimtab.errors import DuplicateClientOrderId, OrderRejected
from trimtab.model.orders import OrderRequest, Side
from trimtab.pricedata import bundled_history
from trimtab.venues.ccxt_factory import make_exchange
from trimtab.venues.ccxt_venue import CcxtVenue
from trimtab.venues.exchange_traits import BINANCE_TRAITS, DEFAULT_TRAITS, ExchangeTraits, traits_for
from trimtab.venues.paper import PaperSettings, PaperVenue

NOW = datetime(2025, 1, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("exchange_id", ["binance", "binanceus"])
def test_binance_and_exchanges_derived_from_it_get_binances_traits(exchange_id: str) -> None:
    assert traits_for(exchange_id) is BINANCE_TRAITS


@pytest.mark.parametrize("exchange_id", ["kraken", "okx", "coinbase", "no-such-exchange"])
def test_any_other_exchange_gets_the_default_traits(exchange_id: str) -> None:
    assert traits_for(exchange_id) is DEFAULT_TRAITS


def test_binance_looks_orders_up_by_orig_client_order_id_others_by_ccxts_unified_key() -> None:
    assert BINANCE_TRAITS.client_id_params("rebal-7") == {"origClientOrderId": "rebal-7"}
    assert DEFAULT_TRAITS.client_id_params("rebal-7") == {"clientOrderId": "rebal-7"}
    assert BINANCE_TRAITS.order_trades_params("42") == {"orderId": "42"}
    assert DEFAULT_TRAITS.order_trades_params("42") == {}


@pytest.mark.parametrize(("timeout_ms", "window"), [(300, 1000), (5000, 5000), (30000, 10000)])
async def test_binances_request_window_follows_the_timeout_within_bounds(
    timeout_ms: int, window: int
) -> None:
    exchange = make_exchange(
        "binance", api_key=None, secret=None, sandbox=False, api_url=None, timeout_ms=timeout_ms
    )
    try:
        assert exchange.options["recvWindow"] == window
        assert exchange.options["defaultType"] == "spot"
        assert exchange.options["fetchMarkets"]["types"] == ["spot"]
        assert exchange.options["fetchCurrencies"] is False
        assert CcxtVenue(exchange, quote="USDT").order_request_lifetime == window / 1000 + 1.0
    finally:
        await exchange.close()


async def test_an_exchange_without_traits_keeps_ccxts_options_and_waits_twice_the_timeout() -> None:
    exchange = make_exchange(
        "kraken", api_key=None, secret=None, sandbox=False, api_url=None, timeout_ms=4000
    )
    try:
        assert "recvWindow" not in exchange.options
        assert CcxtVenue(exchange, quote="USD").order_request_lifetime == 8.0
    finally:
        await exchange.close()


def test_two_exchange_objects_do_not_share_option_values() -> None:
    first, second = ccxt.binance(), ccxt.binance()
    BINANCE_TRAITS.configure(first, timeout_ms=1000)
    BINANCE_TRAITS.configure(second, timeout_ms=1000)
    first.options["fetchMarkets"]["types"].append("linear")
    assert second.options["fetchMarkets"]["types"] == ["spot"]


def test_a_reused_client_id_is_recognised_by_ccxts_class_or_the_exchanges_own_words() -> None:
    binance_refusal = ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')
    other_refusal = ccxt.InvalidOrder('binance {"code":-2010,"msg":"Account has insufficient balance."}')
    assert BINANCE_TRAITS.is_duplicate_client_id(binance_refusal)
    assert not BINANCE_TRAITS.is_duplicate_client_id(other_refusal)
    assert not DEFAULT_TRAITS.is_duplicate_client_id(binance_refusal)  # the words are Binance's only
    for traits in (BINANCE_TRAITS, DEFAULT_TRAITS, ExchangeTraits(name="custom")):
        assert traits.is_duplicate_client_id(ccxt.DuplicateOrderId("okx clOrdId already exists"))


def test_the_duplicate_error_is_an_order_rejection() -> None:
    # Callers that only know OrderRejected still skip the order; the executor looks the order up.
    assert issubclass(DuplicateClientOrderId, OrderRejected)


async def test_the_paper_venue_raises_the_typed_error_for_a_reused_client_id() -> None:
    venue = PaperVenue(
        PaperSettings(balances={"USDT": Decimal(10000)}, prices={"BTC": Decimal(60000)}),
        quote="USDT",
        state_path=None,
        history=bundled_history(),
        clock=lambda: NOW,
    )
    request = OrderRequest("BTC/USDT", Side.BUY, Decimal("0.001"), Decimal(60300), "rebal-7")
    first = await venue.place_order(request)
    with pytest.raises(DuplicateClientOrderId, match=r"^Duplicate order sent\."):
        await venue.place_order(request)
    assert await venue.fetch_order("BTC/USDT", "rebal-7") == first

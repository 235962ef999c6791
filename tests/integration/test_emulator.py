"""The loopback Binance emulator, driven by REAL ccxt ``binance`` (async) over HTTP.

These tests pin two things at once: that the emulator answers like Binance spot, and what ccxt 4.5.90 makes of
each answer (the exception classes, some surprising, pinned by the tests below). The ccxt adapter's tests build on both.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest
from binance_emulator import DEFAULT_MARKETS, BinanceEmulator, EmuMarket, make_binance

MakeExchange = Callable[..., Awaitable[ccxt.binance]]  # the conftest fixture
D = Decimal
FEE = D("0.001")


async def raises(exc_class: type[Exception], awaitable: Awaitable[object]) -> Exception:
    """Await ``awaitable`` and assert it raises *exactly* ``exc_class`` (subclasses matter in ccxt's tree)."""
    with pytest.raises(ccxt.BaseError) as info:
        await awaitable
    assert type(info.value) is exc_class, f"{type(info.value).__name__}: {info.value}"
    return info.value


def signed_params(emu: BinanceEmulator, method: str, path: str) -> dict[str, str]:
    """The params of the last request to ``method path``, without the signing fields."""
    entry = next(r for r in reversed(emu.requests) if (r.method, r.path) == (method, path))
    return {k: v for k, v in entry.params.items() if k not in ("timestamp", "recvWindow", "signature")}


# ------------------------------------------------------------------------------------------- market data


async def test_load_markets_is_one_request_and_parses_filters_into_precision_and_limits(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", "/api/v3/exchangeInfo")]
    btc = exchange.market("BTC/USDT")
    assert btc["precision"]["amount"] == 0.00001
    assert btc["precision"]["price"] == 0.01
    assert btc["limits"]["amount"]["min"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5
    assert exchange.market("ETH/USDT")["precision"]["amount"] == 0.0001
    assert exchange.market("SOL/USDT")["precision"]["amount"] == 0.001
    assert exchange.amount_to_precision("BTC/USDT", 0.123456789) == "0.12345"
    assert exchange.price_to_precision("BTC/USDT", 60000.005) == "60000.01"


async def test_custom_markets_and_prices(make_exchange: MakeExchange) -> None:
    market = EmuMarket(
        "DOGEUSDT", "DOGE", "USDT", step_size="1", min_qty="1", tick_size="0.00001", min_notional="1"
    )
    async with BinanceEmulator(
        markets=[market], prices={"DOGEUSDT": "0.12345"}, balances={"DOGE": "100"}
    ) as emu:
        exchange = make_binance(emu.base_url)
        try:
            await exchange.load_markets()
            assert list(exchange.markets) == ["DOGE/USDT"]
            assert exchange.market("DOGE/USDT")["precision"]["amount"] == 1
            assert (await exchange.fetch_ticker("DOGE/USDT"))["last"] == 0.12345
            assert (await exchange.fetch_balance())["free"]["DOGE"] == 100
        finally:
            await exchange.close()


def test_a_custom_market_without_a_price_is_rejected() -> None:
    market = EmuMarket("XUSDT", "X", "USDT", step_size="1", min_qty="1", tick_size="0.01", min_notional="5")
    with pytest.raises(ValueError, match="XUSDT"):
        BinanceEmulator(markets=[market])


async def test_fetch_ticker_tickers_and_order_book(emulator: BinanceEmulator, exchange: ccxt.binance) -> None:
    emulator.set_price("ETHUSDT", "3123.45")
    ticker = await exchange.fetch_ticker("ETH/USDT")
    assert (ticker["last"], ticker["bid"], ticker["ask"]) == (3123.45, 3123.44, 3123.46)
    tickers = await exchange.fetch_tickers(["BTC/USDT", "ETH/USDT"])
    assert sorted(tickers) == ["BTC/USDT", "ETH/USDT"]
    assert signed_params(emulator, "GET", "/api/v3/ticker/24hr") == {"symbols": '["BTCUSDT","ETHUSDT"]'}
    assert len(await exchange.fetch_tickers()) == len(DEFAULT_MARKETS)  # every symbol, cross pairs too
    book = await exchange.fetch_order_book("BTC/USDT", 5)
    assert book["bids"][0][0] == 59999.99
    assert book["asks"][0][0] == 60000.01
    assert len(book["bids"]) == len(book["asks"]) == 5


async def test_unknown_symbol_is_bad_symbol(exchange: ccxt.binance) -> None:
    await raises(ccxt.BadSymbol, exchange.public_get_ticker_price({"symbol": "NOPEUSDT"}))


async def test_daily_klines_are_deterministic_and_end_at_the_last_price(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    candles = await exchange.fetch_ohlcv("BTC/USDT", "1d", limit=31)
    assert len(candles) == 31
    assert all(b[0] - a[0] == 86_400_000 for a, b in itertools.pairwise(candles))
    assert candles[-1][4] == 60000.0
    assert all(c[3] <= min(c[1], c[4]) and c[2] >= max(c[1], c[4]) for c in candles)
    assert all(abs(c[4] / 60000 - 1) <= 0.06 for c in candles)
    assert await exchange.fetch_ohlcv("BTC/USDT", "1d", limit=31) == candles
    sixty = await exchange.fetch_ohlcv("BTC/USDT", "1d", since=candles[-1][0] - 59 * 86_400_000, limit=100)
    assert len(sixty) == 60
    assert sixty[-31:] == candles


# ------------------------------------------------------------------------------------------- balances and orders


async def test_fetch_balance(exchange: ccxt.binance) -> None:
    balance = await exchange.fetch_balance()
    assert balance["free"]["USDT"] == 10000
    assert balance["total"]["BTC"] == 0.5
    assert balance["used"]["BTC"] == 0


async def test_limit_ioc_buy_fills_at_last_and_charges_the_fee_in_the_received_asset(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    order = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 60100, {"timeInForce": "IOC", "clientOrderId": "rebal-0001"}
    )
    assert order["status"] == "closed"
    assert order["clientOrderId"] == "rebal-0001"
    assert (order["filled"], order["average"], order["cost"]) == (0.01, 60000.0, 600.0)
    assert order["fee"] == {"currency": "BTC", "cost": 0.00001}
    assert emulator.balance("BTC") == (D("0.5") + D("0.01") * (1 - FEE), 0)
    assert emulator.balance("USDT") == (D(10000) - D(600), 0)
    assert signed_params(emulator, "POST", "/api/v3/order") == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.01",
        "price": "60100",
        "timeInForce": "IOC",
        "newClientOrderId": "rebal-0001",
        "newOrderRespType": "FULL",
    }


async def test_sell_charges_the_fee_in_the_quote(emulator: BinanceEmulator, exchange: ccxt.binance) -> None:
    emulator.set_price("BTCUSDT", "61234.57")
    order = await exchange.create_order("BTC/USDT", "market", "sell", 0.12345)
    assert order["status"] == "closed"
    assert order["fee"]["currency"] == "USDT"
    proceeds = D("0.12345") * D("61234.57")
    assert emulator.balance("USDT") == (D(10000) + proceeds - proceeds * FEE, 0)
    assert emulator.balance("BTC") == (D("0.5") - D("0.12345"), 0)


async def test_market_buy_by_cost_sends_quote_order_qty(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    order = await exchange.create_order("BTC/USDT", "market", "buy", None, None, {"cost": 50})
    assert signed_params(emulator, "POST", "/api/v3/order")["quoteOrderQty"] == "50"
    assert order["filled"] == 0.00083  # whole steps: 50 / 60000 = 0.000833.. → 0.00083
    assert emulator.balance("USDT") == (D(10000) - D("0.00083") * 60000, 0)


async def test_gtc_limit_rests_locks_funds_and_cancel_releases_them(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
    assert order["status"] == "open"
    assert order["filled"] == 0
    assert emulator.balance("USDT") == (D(9500), D(500))
    assert (await exchange.fetch_balance())["used"]["USDT"] == 500
    assert [o["id"] for o in await exchange.fetch_open_orders("BTC/USDT")] == [order["id"]]

    canceled = await exchange.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled"
    assert emulator.balance("USDT") == (D(10000), 0)
    assert await exchange.fetch_open_orders("BTC/USDT") == []
    await raises(ccxt.OrderNotFound, exchange.cancel_order(order["id"], "BTC/USDT"))


async def test_a_resting_order_fills_as_maker_when_the_price_crosses(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.maker_fee = D("0.0005")
    order = await exchange.create_order("BTC/USDT", "limit", "sell", 0.1, 61000)
    assert emulator.balance("BTC") == (D("0.4"), D("0.1"))
    emulator.set_price("BTCUSDT", "61500")
    assert (await exchange.fetch_order(order["id"], "BTC/USDT"))["status"] == "closed"
    assert emulator.balance("USDT") == (D(10000) + D(6100) * (1 - D("0.0005")), 0)
    assert emulator.balance("BTC") == (D("0.4"), 0)
    (trade,) = await exchange.fetch_my_trades("BTC/USDT", params={"orderId": order["id"]})
    assert trade["takerOrMaker"] == "maker"
    assert trade["price"] == 61000


async def test_fetch_order_by_client_id_and_unknown_client_id(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    placed = await exchange.create_order(
        "ETH/USDT", "limit", "buy", 0.5, 2900, {"clientOrderId": "leg-eth-1"}
    )
    found = await exchange.fetch_order(None, "ETH/USDT", {"origClientOrderId": "leg-eth-1"})
    assert (found["id"], found["status"], found["clientOrderId"]) == (placed["id"], "open", "leg-eth-1")
    assert found["fee"] is None  # GET /order carries no fills: fees come from myTrades
    assert signed_params(emulator, "GET", "/api/v3/order") == {
        "symbol": "ETHUSDT",
        "origClientOrderId": "leg-eth-1",
    }
    await raises(ccxt.OrderNotFound, exchange.fetch_order(None, "ETH/USDT", {"origClientOrderId": "nope"}))


async def test_fetch_my_trades_by_order_id_carries_fees(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    await exchange.create_order("BTC/USDT", "market", "buy", 0.001)
    order = await exchange.create_order("SOL/USDT", "market", "buy", 2)
    trades = await exchange.fetch_my_trades("SOL/USDT", params={"orderId": order["id"]})
    assert len(trades) == 1
    assert trades[0]["order"] == order["id"]
    assert trades[0]["amount"] == 2
    assert trades[0]["side"] == "buy"
    assert trades[0]["fee"] == {"currency": "SOL", "cost": 0.002}
    assert signed_params(emulator, "GET", "/api/v3/myTrades") == {"symbol": "SOLUSDT", "orderId": order["id"]}


async def test_partial_fill_expires_an_ioc_order_with_a_fill(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.fill_ratio = D("0.4")
    order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60000, {"timeInForce": "IOC"})
    assert order["status"] == "expired"
    assert order["filled"] == 0.004
    assert order["remaining"] == 0.006
    assert emulator.balance("USDT") == (D(10000) - D("0.004") * 60000, 0)  # the unfilled part is not locked
    (emu_order,) = emulator.orders()
    assert (emu_order.status, emu_order.executed_qty) == ("EXPIRED", D("0.004"))


async def test_partial_fill_of_a_gtc_order_rests_the_remainder(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.fill_ratio = D("0.5")
    order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60500)
    assert order["status"] == "open"
    assert order["filled"] == 0.005
    # filled at the last price (60000); the rest stays locked at the limit price
    assert emulator.balance("USDT") == (D(10000) - D(300) - D("0.005") * 60500, D("0.005") * 60500)


async def test_response_types_ack_and_result(emulator: BinanceEmulator, exchange: ccxt.binance) -> None:
    ack = await exchange.create_order("BTC/USDT", "market", "buy", 0.001, None, {"newOrderRespType": "ACK"})
    assert ack["id"] == "1000"
    assert ack["status"] is None
    result = await exchange.create_order(
        "BTC/USDT", "market", "buy", 0.001, None, {"newOrderRespType": "RESULT"}
    )
    assert result["status"] == "closed"
    assert result["trades"] == []
    assert [o.status for o in emulator.orders()] == ["FILLED", "FILLED"]


async def test_test_order_validates_but_places_nothing(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"test": True})
    assert emulator.requests[-1].path == "/api/v3/order/test"
    assert emulator.requests[-1].status == 200
    assert emulator.orders() == []
    assert emulator.balance("USDT") == (D(10000), 0)
    await raises(
        ccxt.BadRequest, exchange.create_order("BTC/USDT", "limit", "buy", 0.0001, 100, {"test": True})
    )


# ------------------------------------------------------------------------------------------- exchange errors


async def test_order_rejections_map_to_the_documented_ccxt_classes(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    # NOTIONAL → BadRequest (not InvalidOrder) in ccxt 4.5: ccxt never checks limits.cost.min client side
    error = await raises(ccxt.BadRequest, exchange.create_order("BTC/USDT", "limit", "buy", 0.00005, 60000))
    assert "Filter failure: NOTIONAL" in str(error)
    # LOT_SIZE and PRICE_FILTER → InvalidOrder (matched on the body text)
    await raises(ccxt.InvalidOrder, exchange.create_order("BTC/USDT", "limit", "sell", 9001, 60000))
    await raises(ccxt.InvalidOrder, exchange.create_order("BTC/USDT", "limit", "sell", 0.001, 2_000_000))
    # -2010 insufficient balance → InsufficientFunds
    await raises(ccxt.InsufficientFunds, exchange.create_order("BTC/USDT", "limit", "buy", 1, 59000))
    # a post-only order that would take → OrderImmediatelyFillable
    await raises(
        ccxt.OrderImmediatelyFillable,
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60500, {"postOnly": True}),
    )
    assert emulator.orders() == []
    assert emulator.balance("USDT") == (D(10000), 0)
    assert [r.status for r in emulator.requests[1:]] == [400] * 5


async def test_wrong_secret_and_wrong_key_are_authentication_errors(make_exchange: MakeExchange) -> None:
    wrong_secret = await make_exchange(secret="not-the-secret")
    error = await raises(ccxt.AuthenticationError, wrong_secret.fetch_balance())
    assert "-1022" in str(error)
    wrong_key = await make_exchange(api_key="not-the-key")
    error = await raises(ccxt.AuthenticationError, wrong_key.fetch_balance())
    assert "-2015" in str(error)


async def test_minus_2015_after_a_successful_private_call_becomes_ddos_protection(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    # ccxt reads -2015 on an account that authenticated before as a temporary ban
    await exchange.fetch_balance()
    emulator.add_fault("error", arg=(401, -2015, "Invalid API-key, IP, or permissions for action."))
    await raises(ccxt.DDoSProtection, exchange.fetch_balance())


async def test_clock_skew_is_invalid_nonce_until_the_time_difference_is_loaded(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.clock_offset_ms = -30_000  # the client is 30 s ahead of the server
    error = await raises(ccxt.InvalidNonce, exchange.fetch_balance())
    assert "-1021" in str(error)
    emulator.clock_offset_ms = 30_000  # the client is 30 s behind: outside recvWindow=10000
    await raises(ccxt.InvalidNonce, exchange.fetch_balance())
    await exchange.load_time_difference()
    assert (await exchange.fetch_balance())["free"]["USDT"] == 10000


async def test_an_unemulated_endpoint_is_a_logged_404(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    await raises(ccxt.ExchangeNotAvailable, exchange.fetch_deposits())
    assert (emulator.requests[-1].path, emulator.requests[-1].status) == (
        "/sapi/v1/capital/deposit/hisrec",
        404,
    )


# ------------------------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("kind", "times", "expected"),
    [
        ("http429", 1, ccxt.DDoSProtection),  # not RateLimitExceeded
        ("http418", 1, ccxt.DDoSProtection),
        ("http500", 1, ccxt.ExchangeNotAvailable),
        ("http503", 1, ccxt.OperationFailed),  # the base class: not a NetworkError
        ("unknown-status", 1, ccxt.RequestTimeout),
        ("maintenance", 1, ccxt.OnMaintenance),
        ("disconnect", 2, ccxt.ExchangeNotAvailable),  # aiohttp retries an idempotent GET once
    ],
)
async def test_fault_maps_to_the_documented_ccxt_class(
    emulator: BinanceEmulator, exchange: ccxt.binance, kind: str, times: int, expected: type[Exception]
) -> None:
    emulator.add_fault(kind, path="/api/v3/account", times=times)
    await exchange.fetch_ticker("BTC/USDT")  # other paths are untouched
    await raises(expected, exchange.fetch_balance())
    assert emulator.faults == []
    assert [r.fault for r in emulator.requests[-times:]] == [kind] * times
    assert not isinstance(ccxt.OperationFailed("x"), ccxt.NetworkError)


async def test_http429_carries_retry_after_and_the_weight_header(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    await exchange.fetch_balance()
    # exchangeInfo 20 + account 20 (or just 20 if a minute boundary fell in between)
    assert int(exchange.last_response_headers["X-MBX-USED-WEIGHT-1M"]) >= 20
    emulator.add_fault("http429", arg=7)
    await raises(ccxt.DDoSProtection, exchange.fetch_balance())
    assert exchange.last_response_headers["Retry-After"] == "7"


async def test_weight_limit_answers_429(emulator: BinanceEmulator, exchange: ccxt.binance) -> None:
    emulator.weight_limit = 19  # GET /api/v3/account alone weighs 20
    error = await raises(ccxt.DDoSProtection, exchange.fetch_balance())
    assert "-1003" in str(error)
    emulator.weight_limit = None
    assert (await exchange.fetch_balance())["free"]["USDT"] == 10000


async def test_one_dropped_get_is_retried_silently_by_aiohttp(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.add_fault("disconnect", path="/api/v3/account")
    assert (await exchange.fetch_balance())["free"]["USDT"] == 10000
    assert [(r.fault, r.status) for r in emulator.requests[-2:]] == [("disconnect", 0), (None, 200)]


async def test_bad_json_passes_silently_through_ccxt(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    # The documented surprise (note §4): a garbled 200 raises nothing; the bot must validate responses.
    emulator.add_fault("bad-json", path="/api/v3/account")
    balance = await exchange.fetch_balance()
    assert balance["free"] == {}
    assert balance["total"] == {}
    assert not isinstance(balance["info"], dict)
    emulator.add_fault("bad-json", path="/api/v3/order", method="POST")
    order = await exchange.create_order("BTC/USDT", "market", "buy", 0.001)
    assert order["id"] is None
    assert emulator.orders() == []  # bad-json answers instead of executing


async def test_generic_error_fault(emulator: BinanceEmulator, exchange: ccxt.binance) -> None:
    emulator.add_fault("error", path="/api/v3/order", arg=(400, -1015, "Too many new orders."))
    await raises(ccxt.RateLimitExceeded, exchange.create_order("BTC/USDT", "market", "buy", 0.001))


async def test_timeout_fault_is_request_timeout_and_a_short_stall_answers_normally(
    emulator: BinanceEmulator, make_exchange: MakeExchange
) -> None:
    exchange = await make_exchange(timeout_ms=300)
    emulator.add_fault("timeout", path="/api/v3/account")
    await raises(ccxt.RequestTimeout, exchange.fetch_balance())
    emulator.add_fault("timeout", path="/api/v3/account", arg=0.05)
    assert (await exchange.fetch_balance())["free"]["USDT"] == 10000


async def test_execute_then_timeout_leaves_an_order_found_by_client_id_and_a_blind_resend_is_a_duplicate(
    emulator: BinanceEmulator, make_exchange: MakeExchange
) -> None:
    exchange = await make_exchange(timeout_ms=300)
    emulator.add_fault("execute-then-timeout", path="/api/v3/order", method="POST")
    await raises(
        ccxt.RequestTimeout,
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 55000, {"clientOrderId": "rebal-7-btc"}),
    )
    found = await exchange.fetch_order(None, "BTC/USDT", {"origClientOrderId": "rebal-7-btc"})
    assert found["status"] == "open"
    assert found["amount"] == 0.01
    error = await raises(
        ccxt.InvalidOrder,
        exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 55000, {"clientOrderId": "rebal-7-btc"}),
    )
    assert "Duplicate order sent." in str(error)
    assert len(emulator.orders()) == 1
    assert emulator.balance("USDT") == (D(9450), D(550))
    # once the original is closed, the client id may be used again
    await exchange.cancel_order(found["id"], "BTC/USDT")
    again = await exchange.create_order(
        "BTC/USDT", "limit", "buy", 0.01, 55000, {"clientOrderId": "rebal-7-btc"}
    )
    assert again["status"] == "open"
    assert again["id"] != found["id"]


@pytest.mark.parametrize("kind", ["execute-then-500", "execute-then-disconnect"])
async def test_execute_then_fail_loses_the_answer_but_not_the_fill(
    emulator: BinanceEmulator, exchange: ccxt.binance, kind: str
) -> None:
    emulator.add_fault(kind, path="/api/v3/order", method="POST")
    await raises(ccxt.ExchangeNotAvailable, exchange.create_order("BTC/USDT", "market", "buy", 0.01))
    (order,) = emulator.orders()
    assert order.status == "FILLED"
    assert emulator.balance("BTC")[0] == D("0.5") + D("0.01") * (1 - FEE)


async def test_faults_match_method_and_path_patterns_and_count_down(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.add_fault("http503", path="/api/v3/ticker/*", times=2)
    emulator.add_fault("http503", method="POST")
    await exchange.fetch_balance()
    await raises(ccxt.OperationFailed, exchange.fetch_ticker("BTC/USDT"))
    assert emulator.faults[0].times == 1
    await raises(ccxt.OperationFailed, exchange.fetch_ticker("BTC/USDT"))
    await exchange.fetch_ticker("BTC/USDT")
    await raises(ccxt.OperationFailed, exchange.create_order("BTC/USDT", "market", "buy", 0.001))
    assert emulator.faults == []
    with pytest.raises(ValueError, match="unknown fault kind"):
        emulator.add_fault("gremlins")


async def test_reset_restores_the_initial_state(emulator: BinanceEmulator, exchange: ccxt.binance) -> None:
    await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 50000)
    emulator.set_price("BTCUSDT", "1")
    emulator.add_fault("http500")
    emulator.reset()
    assert emulator.orders() == []
    assert emulator.requests == []
    assert emulator.faults == []
    assert emulator.balance("USDT") == (D(10000), 0)
    assert (await exchange.fetch_ticker("BTC/USDT"))["last"] == 60000


async def test_concurrent_orders_are_all_accounted_for(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    orders = await asyncio.gather(
        *(
            exchange.create_order("SOL/USDT", "market", "buy", 1, None, {"clientOrderId": f"c{i}"})
            for i in range(10)
        )
    )
    assert sorted(o["clientOrderId"] for o in orders) == sorted(f"c{i}" for i in range(10))
    assert emulator.balance("SOL") == (D(10) * (1 - FEE), 0)
    assert emulator.balance("USDT") == (D(10000) - D(1500), 0)

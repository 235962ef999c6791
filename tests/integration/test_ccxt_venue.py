"""CcxtVenue over REAL ccxt binance talking HTTP to the loopback emulator, built by trimtab's own factory.

Each test gets a fresh emulator (conftest fixture ``emulator``); the venue is made by
``trimtab.venues.ccxt_factory.make_exchange`` with ``api_url`` pointed at it and a 500 ms timeout, and its
retries sleep through a recorder instead of the clock. The factory's offline checks come last.
"""

from __future__ import annotations

import decimal
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator, EmuMarket

from trimtab.errors import (
    ConfigError,
    FatalVenueError,
    InsufficientFunds,
    OrderRejected,
    TemporaryVenueError,
)
from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.model.portfolio import Balance
from trimtab.venues import ccxt_factory
from trimtab.venues.ccxt_venue import CcxtVenue

D = Decimal
KEY, SECRET = "emu-key", "emu-secret"  # what the conftest emulator accepts
STALL = 1.0  # seconds a timeout fault stalls: twice the venue's timeout


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_venue(base_url: str, sleeps: Sleeps, *, secret: str = SECRET, attempts: int = 4) -> CcxtVenue:
    exchange = ccxt_factory.make_exchange(
        "binance", api_key=KEY, secret=secret, sandbox=False, api_url=base_url, timeout_ms=500
    )
    exchange.enableRateLimit = False  # ccxt's throttle only slows a loopback test down
    exchange.timeout_on_exit = 0  # ms close() waits for TLS connections to wind down: none here
    return CcxtVenue(exchange, quote="USDT", sleep=sleeps, attempts=attempts)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest_asyncio.fixture
async def venue(emulator: BinanceEmulator, sleeps: Sleeps) -> AsyncIterator[CcxtVenue]:
    venue = make_venue(emulator.base_url, sleeps)
    yield venue
    await venue.close()


def order(side: Side, amount: str, limit: str, cid: str = "tt-1-240102093000-0") -> OrderRequest:
    return OrderRequest("BTC/USDT", side, D(amount), D(limit), cid)


def sent(emu: BinanceEmulator, method: str, path: str) -> list[dict[str, str]]:
    """The params of every ``method path`` request, without the signing fields."""
    unsigned = ("timestamp", "recvWindow", "signature")
    return [
        {k: v for k, v in r.params.items() if k not in unsigned}
        for r in emu.requests
        if (r.method, r.path) == (method, path)
    ]


# ------------------------------------------------------------------------------------------- market data


# The emulator's LOT_SIZE maxQty and NOTIONAL maxNotional: the market's largest order, which the planner
# splits within (ccxt limits.amount.max and limits.cost.max).
MAX_QTY, MAX_COST = D(9000), D(9000000)


async def test_markets_become_market_rules_with_exact_decimals(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    rules = await venue.fetch_markets("USDT", ["BTC", "ETH", "USDT", "XRP"])
    assert rules == {
        "BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01"), MAX_QTY, MAX_COST),
        "ETH": MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D("5"), D("0.01"), MAX_QTY, MAX_COST),
    }
    assert str(rules["BTC"].amount_step) == "0.00001"
    assert str(rules["BTC"].min_notional) == "5"
    # the factory's options: loading markets is a single spot exchangeInfo, no sapi/fapi/dapi
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", "/api/v3/exchangeInfo")]


async def test_markets_of_a_small_coin_keep_every_digit(sleeps: Sleeps) -> None:
    doge = EmuMarket(
        "DOGEUSDT", "DOGE", "USDT", step_size="1", min_qty="10", tick_size="0.00001", min_notional="1"
    )
    async with BinanceEmulator(markets=[doge], prices={"DOGEUSDT": "0.12345"}) as emu:
        venue = make_venue(emu.base_url, sleeps)
        try:
            rules = await venue.fetch_markets("USDT", ["DOGE"])
            assert await venue.fetch_prices("USDT", ["DOGE"]) == {"DOGE": D("0.12345")}
        finally:
            await venue.close()
    assert rules == {"DOGE": MarketRules("DOGE", "USDT", D(1), D(10), D(1), D("0.00001"), MAX_QTY, MAX_COST)}


async def test_balances_have_free_and_total(venue: CcxtVenue, make_exchange: object) -> None:
    other = await make_exchange()  # type: ignore[operator]
    # a resting GTC buy placed by another client locks 0.01 * 50000 USDT
    await other.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"timeInForce": "GTC"})
    assert await venue.fetch_balances() == {
        "USDT": Balance(free=D(9500), total=D(10000)),
        "BTC": Balance(free=D("0.5"), total=D("0.5")),
    }


async def test_prices_are_last_prices_and_assets_without_a_market_are_left_out(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    emulator.set_price("ETHUSDT", "3123.45")
    assert await venue.fetch_prices("USDT", ["BTC", "ETH", "XRP", "USDT"]) == {
        "BTC": D(60000),
        "ETH": D("3123.45"),
    }
    assert sent(emulator, "GET", "/api/v3/ticker/24hr") == [{"symbols": '["BTCUSDT","ETHUSDT"]'}]
    assert await venue.fetch_prices("USDT", ["XRP"]) == {}


async def test_fee_rate_is_the_published_taker_fee(venue: CcxtVenue) -> None:
    assert await venue.fetch_fee_rate() == D("0.001")


async def test_daily_closes_are_oldest_first_and_end_at_the_last_price(venue: CcxtVenue) -> None:
    closes = await venue.fetch_daily_closes("USDT", ["BTC", "ETH", "XRP"], 30)
    assert sorted(closes) == ["BTC", "ETH"]
    assert len(closes["BTC"]) == 30
    assert closes["BTC"][-1] == D(60000)
    assert all(isinstance(c, Decimal) and c > 0 for c in closes["BTC"])
    assert closes == await venue.fetch_daily_closes("USDT", ["BTC", "ETH"], 30)  # deterministic
    with pytest.raises(ValueError, match="days must be >= 1"):
        await venue.fetch_daily_closes("USDT", ["BTC"], 0)


# ------------------------------------------------------------------------------------------- orders


async def test_ioc_buy_fills_in_full_with_the_fee_in_the_received_asset(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    result = await venue.place_order(order(Side.BUY, "0.01", "60100", "tt-1-240102093000-0"))
    assert (result.status, result.filled, result.amount, result.limit_price) == (
        OrderStatus.CLOSED,
        D("0.01"),
        D("0.01"),
        D(60100),
    )
    assert result.exchange_order_id == "1000"
    assert [(f.price, f.amount, f.fee, f.fee_asset) for f in result.fills] == [
        (D(60000), D("0.01"), D("0.00001"), "BTC")
    ]
    assert result.cost == D(600)
    assert sent(emulator, "POST", "/api/v3/order") == [
        {
            "symbol": "BTCUSDT",
            "side": "BUY",
            "newClientOrderId": "tt-1-240102093000-0",
            "newOrderRespType": "FULL",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "60100",
            "timeInForce": "IOC",
        }
    ]
    assert emulator.balance("BTC") == (D("0.50999"), 0)


async def test_ioc_sell_fills_partially_and_expires(emulator: BinanceEmulator, venue: CcxtVenue) -> None:
    emulator.fill_ratio = D("0.5")
    result = await venue.place_order(order(Side.SELL, "0.1", "59000"))
    assert (result.status, result.filled) == (OrderStatus.EXPIRED, D("0.05"))
    assert [(f.price, f.amount, f.fee, f.fee_asset) for f in result.fills] == [
        (D(60000), D("0.05"), D(3), "USDT")
    ]
    assert emulator.balance("BTC") == (D("0.45"), 0)  # the unfilled rest is not left locked


async def test_an_ioc_order_that_cannot_fill_expires_empty(venue: CcxtVenue) -> None:
    result = await venue.place_order(order(Side.BUY, "0.01", "59000"))
    assert (result.status, result.filled, result.fills, result.average_price) == (
        OrderStatus.EXPIRED,
        D(0),
        (),
        None,
    )


async def test_amount_is_truncated_and_the_limit_moved_onto_the_tick_in_the_takers_favour(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    await venue.place_order(order(Side.BUY, "0.0123456", "60100.019", "buy"))
    await venue.place_order(order(Side.SELL, "0.0123456", "59000.011", "sell"))
    assert [(p["quantity"], p["price"]) for p in sent(emulator, "POST", "/api/v3/order")] == [
        ("0.01234", "60100.01"),
        ("0.01234", "59000.02"),
    ]


async def test_fetch_order_by_client_id_reads_the_fees_from_the_trade_list(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    emulator.fill_ratio = D("0.5")
    placed = await venue.place_order(order(Side.SELL, "0.1", "59000", "tt-7"))
    found = await venue.fetch_order("BTC/USDT", "tt-7")
    assert found is not None
    # The FULL answer's fills carry no time (the order's is used); the trade list has each trade's own.
    assert replace(found, fills=()) == replace(placed, fills=())
    assert [(f.price, f.amount, f.fee, f.fee_asset) for f in found.fills] == [
        (D(60000), D("0.05"), D(3), "USDT")
    ]
    assert abs(found.fills[0].timestamp - placed.fills[0].timestamp) < timedelta(seconds=1)
    assert sent(emulator, "GET", "/api/v3/order") == [{"symbol": "BTCUSDT", "origClientOrderId": "tt-7"}]
    assert sent(emulator, "GET", "/api/v3/myTrades") == [{"symbol": "BTCUSDT", "orderId": "1000"}]


async def test_fetch_order_of_a_resting_order_partly_filled_as_maker(
    emulator: BinanceEmulator, venue: CcxtVenue, make_exchange: object
) -> None:
    other = await make_exchange()  # type: ignore[operator]
    await other.create_order("BTC/USDT", "limit", "sell", 0.01, 61000, {"clientOrderId": "resting-2"})
    emulator.fill_ratio = D("0.4")
    emulator.set_price("BTCUSDT", "61000")
    found = await venue.fetch_order("BTC/USDT", "resting-2")
    assert found is not None
    assert (found.status, found.amount, found.limit_price, found.filled) == (
        OrderStatus.OPEN,
        D("0.01"),
        D(61000),
        D("0.004"),
    )
    assert [(f.price, f.amount, f.fee, f.fee_asset) for f in found.fills] == [
        (D(61000), D("0.004"), D("0.244"), "USDT")
    ]


async def test_fetch_order_of_an_unknown_client_id_is_none(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    assert await venue.fetch_order("BTC/USDT", "never-sent") is None
    assert len(sent(emulator, "GET", "/api/v3/order")) == 1  # OrderNotFound is an answer, not retried


async def test_an_order_whose_answer_was_lost_is_found_by_client_id_and_not_sent_twice(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    emulator.add_fault("execute-then-timeout", path="/api/v3/order", method="POST", arg=STALL)
    with pytest.raises(TemporaryVenueError, match="RequestTimeout"):
        await venue.place_order(order(Side.BUY, "0.01", "60100", "tt-lost"))
    assert len(sent(emulator, "POST", "/api/v3/order")) == 1  # place_order never retries
    found = await venue.fetch_order("BTC/USDT", "tt-lost")
    assert found is not None
    assert (found.status, found.filled, found.fills[0].fee) == (OrderStatus.CLOSED, D("0.01"), D("0.00001"))


async def test_a_garbled_order_answer_is_temporary_and_not_resent(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    emulator.add_fault("bad-json", path="/api/v3/order", method="POST")
    with pytest.raises(TemporaryVenueError, match="order answer without an id"):
        await venue.place_order(order(Side.BUY, "0.01", "60100", "tt-garbled"))
    assert len(sent(emulator, "POST", "/api/v3/order")) == 1
    assert await venue.fetch_order("BTC/USDT", "tt-garbled") is None  # this fault struck before execution


async def test_cancel_order_by_client_id(
    emulator: BinanceEmulator, venue: CcxtVenue, make_exchange: object
) -> None:
    other = await make_exchange()  # type: ignore[operator]
    await other.create_order("BTC/USDT", "limit", "buy", 0.01, 50000, {"clientOrderId": "resting-1"})
    canceled = await venue.cancel_order("BTC/USDT", "resting-1")
    assert canceled is not None
    assert (canceled.status, canceled.filled, canceled.client_order_id) == (
        OrderStatus.CANCELED,
        D(0),
        "resting-1",
    )
    assert emulator.balance("USDT") == (D(10000), 0)
    assert await venue.cancel_order("BTC/USDT", "resting-1") is None
    assert await venue.cancel_order("BTC/USDT", "never-sent") is None


async def test_an_order_on_a_market_the_venue_lacks_is_rejected_before_sending(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    with pytest.raises(OrderRejected, match="no active spot market XRP/USDT"):
        await venue.place_order(OrderRequest("XRP/USDT", Side.BUY, D(10), D("0.5"), "x"))
    with pytest.raises(OrderRejected, match="InvalidOrder"):  # truncates to zero: refused client side
        await venue.place_order(order(Side.BUY, "0.000001", "60100"))
    assert sent(emulator, "POST", "/api/v3/order") == []


async def test_ccxt_leaves_trimtabs_decimal_context_alone(venue: CcxtVenue) -> None:
    # ccxt's decimal_to_precision sets ROUND_HALF_UP and traps Underflow on the *current* context for good
    # (raw ccxt calls in other tests may already have done so to this thread's context: start from a known one).
    with decimal.localcontext(
        decimal.Context(rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.FloatOperation])
    ):
        await venue.fetch_markets("USDT", ["BTC"])
        await venue.place_order(order(Side.BUY, "0.01", "60100"))
        await venue.fetch_order("BTC/USDT", "tt-1-240102093000-0")
        assert decimal.getcontext().rounding == decimal.ROUND_HALF_EVEN
        assert not decimal.getcontext().traps[decimal.Underflow]


# ------------------------------------------------------------------------------------------- faults


async def test_a_garbled_balance_is_an_error_not_an_empty_portfolio(
    emulator: BinanceEmulator, venue: CcxtVenue, sleeps: Sleeps
) -> None:
    emulator.add_fault("bad-json", path="/api/v3/account", times=4)
    with pytest.raises(TemporaryVenueError, match="malformed balance response"):
        await venue.fetch_balances()
    assert sleeps == [0.5, 1.0, 2.0]


async def test_a_balance_of_the_wrong_shape_is_an_error_too(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    emulator.add_fault("error", path="/api/v3/account", times=4, arg=(200, 0, "ok"))  # {"code":0,"msg":"ok"}
    with pytest.raises(TemporaryVenueError, match="malformed balance response"):
        await venue.fetch_balances()


async def test_one_garbled_balance_is_retried(
    emulator: BinanceEmulator, venue: CcxtVenue, sleeps: Sleeps
) -> None:
    emulator.add_fault("bad-json", path="/api/v3/account")
    assert (await venue.fetch_balances())["USDT"] == Balance(free=D(10000), total=D(10000))
    assert sleeps == [0.5]


@pytest.mark.parametrize(
    ("fault", "arg", "expected_sleeps"),
    [
        ("http429", 2, [2.0]),  # Retry-After honoured: more than the 0.5 s backoff
        ("http503", None, [0.5]),  # OperationFailed, not a NetworkError: still retried
        ("http500", None, [0.5]),
        ("maintenance", None, [0.5]),
        ("timeout", STALL, [0.5]),
        ("disconnect", None, None),  # aiohttp itself may resend an idempotent GET once on a reused connection
    ],
)
async def test_temporary_failures_of_reads_are_retried(
    emulator: BinanceEmulator,
    venue: CcxtVenue,
    sleeps: Sleeps,
    fault: str,
    arg: object,
    expected_sleeps: list[float] | None,
) -> None:
    emulator.add_fault(fault, path="/api/v3/account", arg=arg)
    assert (await venue.fetch_balances())["BTC"] == Balance(free=D("0.5"), total=D("0.5"))
    assert sleeps == expected_sleeps or (expected_sleeps is None and sleeps in ([], [0.5]))


async def test_an_ip_ban_longer_than_the_retry_cap_is_raised_with_its_retry_after(
    emulator: BinanceEmulator, venue: CcxtVenue, sleeps: Sleeps
) -> None:
    emulator.add_fault("http418", path="/api/v3/account", arg=120)
    with pytest.raises(TemporaryVenueError, match="DDoSProtection") as caught:
        await venue.fetch_balances()
    assert caught.value.retry_after == 120.0
    assert sleeps == []


async def test_order_refusals_map_to_rejections(emulator: BinanceEmulator, venue: CcxtVenue) -> None:
    with pytest.raises(OrderRejected, match="Filter failure: NOTIONAL") as notional:
        await venue.place_order(order(Side.BUY, "0.00005", "60100"))  # 3 USDT < 5
    assert isinstance(notional.value.__cause__, ccxt.BadRequest)
    with pytest.raises(InsufficientFunds, match="insufficient balance"):
        await venue.place_order(order(Side.BUY, "1", "60100"))
    emulator.add_fault("http503", path="/api/v3/order", method="POST")
    with pytest.raises(TemporaryVenueError, match="OperationFailed"):
        await venue.place_order(order(Side.BUY, "0.01", "60100"))
    assert len(sent(emulator, "POST", "/api/v3/order")) == 3


async def test_a_wrong_secret_is_fatal(emulator: BinanceEmulator, sleeps: Sleeps) -> None:
    venue = make_venue(emulator.base_url, sleeps, secret="not-the-secret")
    try:
        with pytest.raises(FatalVenueError, match="AuthenticationError"):
            await venue.fetch_balances()
    finally:
        await venue.close()
    assert sleeps == []


async def test_clock_skew_is_resynced_and_the_read_succeeds(
    emulator: BinanceEmulator, venue: CcxtVenue, sleeps: Sleeps
) -> None:
    emulator.clock_offset_ms = 120_000
    assert (await venue.fetch_balances())["USDT"].free == D(10000)
    assert sleeps == [0.5]
    assert ("GET", "/api/v3/time") in [(r.method, r.path) for r in emulator.requests]


@pytest.mark.parametrize(
    ("fault", "arg"), [("timeout", STALL), ("http500", None), ("error", (401, -1022, "x"))]
)
async def test_keys_and_signatures_never_appear_in_error_messages(
    emulator: BinanceEmulator, sleeps: Sleeps, fault: str, arg: object
) -> None:
    emulator.add_fault(fault, path="/api/v3/account", arg=arg)
    venue = make_venue(emulator.base_url, sleeps, attempts=1)
    try:
        with pytest.raises((TemporaryVenueError, FatalVenueError)) as caught:
            await venue.fetch_balances()
    finally:
        await venue.close()
    message = str(caught.value)
    signatures = [r.params["signature"] for r in emulator.requests if "signature" in r.params]
    assert signatures
    assert all(s not in message for s in signatures)
    assert KEY not in message
    assert SECRET not in message
    assert "\n" not in message


# ------------------------------------------------------------------------------------------- the factory (offline)


def test_an_unknown_exchange_names_close_ccxt_ids() -> None:
    with pytest.raises(
        ConfigError, match=r"exchange\.name: unknown exchange 'binanse'; close ccxt ids: binance"
    ):
        ccxt_factory.make_exchange("binanse", api_key=None, secret=None, sandbox=False, api_url=None)


def test_a_futures_only_exchange_is_refused() -> None:
    with pytest.raises(ConfigError, match="binanceusdm has no spot markets"):
        ccxt_factory.make_exchange("binanceusdm", api_key=None, secret=None, sandbox=False, api_url=None)


async def test_api_url_rewrites_every_api_entry_and_keeps_the_paths() -> None:
    exchange = ccxt_factory.make_exchange(
        "binance",
        api_key="key-1234567",
        secret="secret-7654321",
        sandbox=False,
        api_url="http://127.0.0.1:9/",
        timeout_ms=1234,
    )
    try:
        urls = exchange.urls["api"]
        assert urls["public"] == "http://127.0.0.1:9/api/v3"
        assert urls["sapi"] == "http://127.0.0.1:9/sapi/v1"
        assert urls["fapiPrivate"] == "http://127.0.0.1:9/fapi/v1"
        assert all(u.startswith("http://127.0.0.1:9/") for u in urls.values())
        assert exchange.timeout == 1234
        assert exchange.options["fetchMarkets"]["types"] == ["spot"]
        assert exchange.options["fetchCurrencies"] is False
        assert exchange.options["fetchMargins"] is False
        assert "1234567" not in repr(exchange) + str(exchange)
        assert "7654321" not in repr(exchange) + str(exchange)
    finally:
        await exchange.close()


async def test_sandbox_switches_to_the_testnet() -> None:
    exchange = ccxt_factory.make_exchange("binance", api_key=None, secret=None, sandbox=True, api_url=None)
    try:
        assert exchange.urls["api"]["public"] == "https://testnet.binance.vision/api/v3"
    finally:
        await exchange.close()


@pytest.mark.parametrize("url", ["ftp://host", "127.0.0.1:8080", "http://user:pw@host/?a=1"])
def test_a_malformed_api_url_is_a_config_error_that_does_not_echo_it(url: str) -> None:
    with pytest.raises(ConfigError, match=r"exchange\.api_url") as caught:
        ccxt_factory.make_exchange("binance", api_key=None, secret=None, sandbox=False, api_url=url)
    assert "pw" not in str(caught.value)

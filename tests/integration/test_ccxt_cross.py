"""CcxtVenue's cross markets and market statuses over real ccxt binance on the loopback emulator: the cross
pairs of the loaded markets with their rules and prices, prices against a cross quote, orders on ETH/BTC,
and Binance's BREAK / HALT statuses as MarketRules.status (orders then refused: "Market is closed.")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator

from trimtab.errors import OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.venues import ccxt_factory
from trimtab.venues.ccxt_venue import CcxtVenue

D = Decimal
MAX_QTY, MAX_COST = D(9000), D(9000000)  # the emulator's LOT_SIZE maxQty and NOTIONAL maxNotional


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest_asyncio.fixture
async def venue(emulator: BinanceEmulator) -> AsyncIterator[CcxtVenue]:
    exchange = ccxt_factory.make_exchange(
        "binance",
        api_key="emu-key",
        secret="emu-secret",
        sandbox=False,
        api_url=emulator.base_url,
        timeout_ms=500,
    )
    exchange.enableRateLimit = False
    exchange.timeout_on_exit = 0
    venue = CcxtVenue(exchange, quote="USDT", sleep=_no_sleep)
    yield venue
    await venue.close()


async def test_cross_markets_are_the_pairs_between_the_assets_with_their_prices(venue: CcxtVenue) -> None:
    rules, prices = await venue.fetch_cross_markets(["BTC", "ETH", "USDT", "USDC", "XRP"])
    assert rules == {
        "ETH/BTC": MarketRules(
            "ETH", "BTC", D("0.0001"), D("0.0001"), D("0.0001"), D("0.00001"), MAX_QTY, MAX_COST
        )
    }  # not ETH/USDT nor USDC/USDT: nothing against the account's quote
    assert prices == {"ETH/BTC": D("0.05")}
    rules, prices = await venue.fetch_cross_markets(["BTC", "ETH", "SOL", "BNB"])
    assert prices == {
        "BNB/BTC": D("0.01"),
        "BNB/ETH": D("0.2"),
        "ETH/BTC": D("0.05"),
        "SOL/BTC": D("0.0025"),
        "SOL/ETH": D("0.05"),
    }
    assert rules["SOL/ETH"].min_notional == D("0.001")  # in ETH, the pair's own quote
    assert await venue.fetch_cross_markets(["BTC", "USDT"]) == ({}, {})


async def test_prices_and_rules_against_a_cross_quote(emulator: BinanceEmulator, venue: CcxtVenue) -> None:
    emulator.set_price("ETHBTC", "0.05123")
    assert await venue.fetch_prices("BTC", ["ETH", "BNB", "XRP", "BTC"]) == {
        "ETH": D("0.05123"),
        "BNB": D("0.01"),
    }
    rules = await venue.fetch_markets("ETH", ["SOL", "BNB", "BTC"])
    assert sorted(rules) == ["BNB", "SOL"]
    assert rules["SOL"].symbol == "SOL/ETH"


async def test_an_order_on_a_cross_pair_fills_against_both_assets(
    emulator: BinanceEmulator, venue: CcxtVenue
) -> None:
    result = await venue.place_order(OrderRequest("ETH/BTC", Side.BUY, D("2"), D("0.0501"), "tt-x-1"))
    assert (result.status, result.filled, result.symbol) == (OrderStatus.CLOSED, D(2), "ETH/BTC")
    (fill,) = result.fills
    assert (fill.price, fill.fee, fill.fee_asset) == (D("0.05"), D("0.002"), "ETH")
    assert emulator.balance("BTC") == (D("0.4"), D(0))  # 0.5 - 2 x 0.05
    assert emulator.balance("ETH") == (D("1.998"), D(0))
    assert emulator.balance("USDT") == (D(10000), D(0))
    with pytest.raises(OrderRejected):  # 0.001 x 0.05 = 0.00005 BTC < the 0.0001 BTC minimum
        await venue.place_order(OrderRequest("ETH/BTC", Side.SELL, D("0.001"), D("0.05"), "tt-x-2"))


@pytest.mark.parametrize(
    ("binance", "status"), [("BREAK", "break"), ("HALT", "halted"), ("END_OF_DAY", "halted")]
)
async def test_binance_statuses_become_market_statuses_and_refuse_orders(
    emulator: BinanceEmulator, venue: CcxtVenue, binance: str, status: str
) -> None:
    emulator.set_status("ETHBTC", binance)
    emulator.set_status("SOLUSDT", binance)
    rules, prices = await venue.fetch_cross_markets(["BTC", "ETH"])
    assert rules["ETH/BTC"].status == status
    assert prices == {"ETH/BTC": D("0.05")}
    markets = await venue.fetch_markets("USDT", ["BTC", "SOL"])
    assert (markets["BTC"].status, markets["SOL"].status) == ("trading", status)
    assert await venue.fetch_prices("USDT", ["SOL"]) == {"SOL": D(150)}  # a halted asset is still valued
    with pytest.raises(OrderRejected):
        await venue.place_order(OrderRequest("ETH/BTC", Side.BUY, D("1"), D("0.05"), "tt-x-3"))
    assert [o for o in emulator.orders() if o.symbol == "ETHBTC"] == []


async def test_the_emulator_refuses_orders_on_a_closed_market_with_binances_error(
    emulator: BinanceEmulator, exchange: ccxt.binance
) -> None:
    emulator.set_status("BTCUSDT", "HALT")  # after ccxt loaded the markets: the order is sent
    params = {"timeInForce": "IOC"}
    with pytest.raises(ccxt.MarketClosed, match="Market is closed"):
        await exchange.create_order("BTC/USDT", "limit", "sell", 0.1, 60000, params)
    emulator.set_status("BTCUSDT", "TRADING")
    placed = await exchange.create_order("BTC/USDT", "limit", "sell", 0.1, 60000, params)
    assert placed["filled"] == 0.1
    with pytest.raises(ValueError, match="status must be one of"):
        emulator.set_status("BTCUSDT", "OPEN")
    emulator.set_status("BTCUSDT", "BREAK")
    emulator.reset()  # reopens every market
    markets = {m["symbol"]: m for m in await exchange.fetch_markets()}
    assert markets["BTC/USDT"]["active"] is True


async def test_a_depegged_stablecoin_is_priced_as_set(emulator: BinanceEmulator, venue: CcxtVenue) -> None:
    assert await venue.fetch_prices("USDT", ["USDC"]) == {"USDC": D(1)}
    emulator.set_price("USDCUSDT", "0.9712")
    assert await venue.fetch_prices("USDT", ["USDC"]) == {"USDC": D("0.9712")}

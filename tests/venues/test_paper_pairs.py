"""The paper venue's cross markets (ETH/BTC): priced from the two quote prices, Binance-like rules, filled by
the same fill model as any market, persisted with the account, halted when the config says so."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from trimtab.errors import ConfigError, InsufficientFunds, OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.venues.paper import PaperPair, PaperSettings, PaperVenue
from trimtab.venues.paper_pairs import on_tick

D = Decimal
NOW = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
PRICES = {"BTC": D(60000), "ETH": D(3000), "SOL": D(150)}
ETH_BTC = PaperPair("ETH", "BTC")
MakeVenue = Callable[..., PaperVenue]


class MovingMarket:
    """A paper market whose prices a test moves (a replay or live prices, in short)."""

    def __init__(self, prices: dict[str, Decimal]) -> None:
        self.prices = prices

    async def last_prices(self, assets: Sequence[str]) -> dict[str, Decimal]:
        return {a: self.prices[a] for a in assets if a in self.prices}

    async def daily_closes(self, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        return {}

    async def market_rules(self, assets: Sequence[str]) -> dict[str, MarketRules]:
        return {}

    async def close(self) -> None:
        return None


def venue_on(
    market: MovingMarket,
    pairs: Sequence[PaperPair] = (ETH_BTC,),
    *,
    state_path: Path | None = None,
    **options: object,
) -> PaperVenue:
    settings = PaperSettings(
        balances={"USDT": D(1000), "BTC": D(1), "ETH": D(10)},
        pairs={p.symbol: p for p in pairs},
        **options,  # type: ignore[arg-type]
    )
    return PaperVenue(settings, quote="USDT", state_path=state_path, market=market, clock=lambda: NOW)


def order(side: Side, amount: str, limit: str, cid: str = "c1", symbol: str = "ETH/BTC") -> OrderRequest:
    return OrderRequest(symbol, side, D(amount), D(limit), cid)


async def test_a_cross_price_is_the_quotient_of_the_quote_prices_on_the_tick() -> None:
    venue = venue_on(MovingMarket({**PRICES, "ETH": D("3123.45")}))
    # 3123.45 / 60000 = 0.0520575 -> 0.05206 on the 0.00001 tick
    assert await venue.fetch_prices("BTC", ["ETH", "SOL", "XRP"]) == {"ETH": D("0.05206")}
    rules = await venue.fetch_markets("BTC", ["ETH", "SOL"])
    assert rules == {
        "ETH": MarketRules("ETH", "BTC", D("0.0001"), D("0.0001"), D("0.0001"), D("0.00001"))
    }  # ETH's lot step, four digits of the price, 0.0001 BTC (about 5 dollars) of notional
    # the quote markets are as before
    assert await venue.fetch_prices("USDT", ["ETH"]) == {"ETH": D("3123.45")}


async def test_a_derived_price_moves_with_the_market_and_the_rules_stay() -> None:
    market = MovingMarket(dict(PRICES))
    venue = venue_on(market)
    first = await venue.fetch_cross_markets(["BTC", "ETH"])
    market.prices["ETH"] = D(3300)
    second = await venue.fetch_cross_markets(["BTC", "ETH"])
    assert first[1] == {"ETH/BTC": D("0.05")}
    assert second[1] == {"ETH/BTC": D("0.055")}
    assert first[0] == second[0]  # kept from the first price, like every paper market's rules


async def test_a_given_price_stays_put_and_given_rules_win() -> None:
    market = MovingMarket(dict(PRICES))
    pair = PaperPair("ETH", "BTC", price=D("0.049"), min_notional=D("0.001"), amount_step=D("0.001"))
    venue = venue_on(market, [pair])
    market.prices["ETH"] = D(3300)
    rules, prices = await venue.fetch_cross_markets(["ETH", "BTC", "USDT"])
    assert prices == {"ETH/BTC": D("0.049")}
    assert (rules["ETH/BTC"].amount_step, rules["ETH/BTC"].min_notional) == (D("0.001"), D("0.001"))


async def test_cross_markets_are_those_between_the_assets_asked() -> None:
    pairs = [ETH_BTC, PaperPair("SOL", "BTC"), PaperPair("SOL", "ETH")]
    venue = venue_on(MovingMarket(dict(PRICES)), pairs)
    rules, prices = await venue.fetch_cross_markets(["USDT", "BTC", "ETH"])
    assert sorted(rules) == sorted(prices) == ["ETH/BTC"]
    rules, prices = await venue.fetch_cross_markets(["BTC", "ETH", "SOL"])
    assert prices == {"ETH/BTC": D("0.05"), "SOL/BTC": D("0.0025"), "SOL/ETH": D("0.05")}
    # a pair one of whose assets has no price is not listed
    unpriced = venue_on(MovingMarket({"BTC": D(60000)}), pairs)
    assert await unpriced.fetch_cross_markets(["BTC", "ETH", "SOL"]) == ({}, {})
    assert await venue_on(MovingMarket(dict(PRICES)), []).fetch_cross_markets(["BTC", "ETH"]) == ({}, {})


async def test_a_buy_on_a_cross_pair_pays_the_pair_quote_and_charges_the_fee_in_the_base() -> None:
    venue = venue_on(MovingMarket(dict(PRICES)), slippage_bps=D(10))
    result = await venue.place_order(order(Side.BUY, "2", "0.0501"))
    assert result.status is OrderStatus.CLOSED
    (fill,) = result.fills
    # 0.05 x (1 + 10 bps) = 0.05005, on the 0.00001 tick
    assert (fill.price, fill.amount, fill.fee, fill.fee_asset) == (D("0.05005"), D(2), D("0.002"), "ETH")
    balances = await venue.fetch_balances()
    assert balances["BTC"].total == D(1) - D("0.1001")
    assert balances["ETH"].total == D(10) + D(2) - D("0.002")
    assert balances["USDT"].total == D(1000)  # the quote is not touched


async def test_a_sell_on_a_cross_pair_receives_the_pair_quote_and_fills_a_share() -> None:
    venue = venue_on(MovingMarket(dict(PRICES)), fill_ratio=D("0.5"))
    result = await venue.place_order(order(Side.SELL, "3.0001", "0.05"))
    assert (result.status, result.filled) == (OrderStatus.EXPIRED, D("1.5"))  # half, floored to 0.0001
    (fill,) = result.fills
    assert (fill.fee, fill.fee_asset) == (D("0.000075"), "BTC")
    balances = await venue.fetch_balances()
    assert balances["ETH"].total == D("8.5")
    assert balances["BTC"].total == D(1) + D("0.075") - D("0.000075")


@pytest.mark.parametrize(
    ("request_", "error", "match"),
    [
        (order(Side.BUY, "0.001", "0.05"), OrderRejected, "NOTIONAL.*0.0001"),  # 0.00005 BTC
        (order(Side.BUY, "0.00015", "0.05"), OrderRejected, "LOT_SIZE"),
        (order(Side.BUY, "1", "0.050001"), OrderRejected, "PRICE_FILTER"),
        (order(Side.BUY, "30", "0.05"), InsufficientFunds, "needs 1.5 BTC, 1 free"),
        (order(Side.SELL, "11", "0.05"), InsufficientFunds, "ETH"),
        (order(Side.BUY, "1", "0.05", symbol="BTC/ETH"), OrderRejected, "no market 'BTC/ETH'"),
        (order(Side.BUY, "1", "0.05", symbol="SOL/BTC"), OrderRejected, "no market 'SOL/BTC'"),
    ],
)
async def test_cross_orders_meet_binances_filters_and_the_balances(
    request_: OrderRequest, error: type[Exception], match: str
) -> None:
    venue = venue_on(MovingMarket(dict(PRICES)))
    with pytest.raises(error, match=match):
        await venue.place_order(request_)
    assert (await venue.fetch_balances())["BTC"].total == D(1)


async def test_a_halted_market_refuses_orders_and_says_so_in_its_rules() -> None:
    halted = replace(ETH_BTC, status="break")
    btc = MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D(5), D("0.01"), status="halted")
    venue = venue_on(MovingMarket(dict(PRICES)), [halted], markets={"BTC": btc})
    rules, prices = await venue.fetch_cross_markets(["BTC", "ETH"])
    assert rules["ETH/BTC"].status == "break"
    assert not rules["ETH/BTC"].trading
    assert prices == {"ETH/BTC": D("0.05")}  # still priced, as an exchange still shows the last trade
    assert (await venue.fetch_markets("USDT", ["BTC"]))["BTC"].status == "halted"
    with pytest.raises(OrderRejected, match="Market is closed"):
        await venue.place_order(order(Side.BUY, "1", "0.05"))
    with pytest.raises(OrderRejected, match="Market is closed"):
        await venue.place_order(order(Side.SELL, "0.1", "60000", symbol="BTC/USDT"))


async def test_cross_fills_are_persisted_and_agree_with_the_account(tmp_path: Path) -> None:
    path = tmp_path / "paper.json"
    venue = venue_on(MovingMarket(dict(PRICES)), state_path=path)
    await venue.place_order(order(Side.BUY, "2", "0.05", cid="x1"))
    reopened = venue_on(MovingMarket(dict(PRICES)), state_path=path)
    assert await reopened.fetch_balances() == await venue.fetch_balances()
    assert reopened.executed_orders() == {"x1": D(2)}
    found = await reopened.fetch_order("ETH/BTC", "x1")
    assert found is not None
    assert found.fills[0].fee_asset == "ETH"
    assert await reopened.fetch_order("ETH/USDT", "x1") is None


def test_a_pair_must_be_between_two_assets_other_than_the_quote() -> None:
    with pytest.raises(ConfigError, match=r"markets\.ETH/USDT.*other than USDT"):
        venue_on(MovingMarket(dict(PRICES)), [PaperPair("ETH", "USDT")])
    with pytest.raises(ConfigError, match=r"markets\.ETH/BTC.*the pair is BTC/ETH"):
        PaperSettings(balances={}, pairs={"ETH/BTC": PaperPair("BTC", "ETH")})


def test_on_tick_rounds_to_the_nearest_tick_and_never_to_zero() -> None:
    assert on_tick(D("0.0520575"), D("0.00001")) == D("0.05206")
    assert on_tick(D("0.000001"), D("0.00001")) == D("0.00001")
    assert on_tick(D("0.123456"), D(0)) == D("0.123456")

"""Prices, market rules, daily closes, balances and settings of the paper venue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from trimtab.errors import ConfigError
from trimtab.model.markets import MarketRules
from trimtab.model.portfolio import Balance
from trimtab.pricedata import bundled_history, parse_price_csv
from trimtab.venues.paper import PaperSettings, PaperVenue

MakeVenue = Callable[..., PaperVenue]

SMALL_HISTORY = parse_price_csv(
    "date,BTC,NEW\n2024-01-01,100,\n2024-01-02,101,\n2024-01-03,102,\n2024-01-04,103,7\n2024-01-05,104,8\n",
    "small.csv",
)


async def test_prices_are_the_closes_of_the_price_date(make_venue: MakeVenue) -> None:
    venue = make_venue(prices={}, price_date=date(2024, 1, 1))

    prices = await venue.fetch_prices("USDT", ["BTC", "ETH", "USDT", "NOPE"])

    assert prices == {"BTC": Decimal("44179.55"), "ETH": Decimal("2352.04")}
    assert venue.price_date == date(2024, 1, 1)


async def test_prices_default_to_the_last_date_of_the_history(make_venue: MakeVenue) -> None:
    history = bundled_history()
    venue = make_venue(prices={})

    prices = await venue.fetch_prices("USDT", ["BTC"])

    assert venue.price_date == history.last_date
    assert prices == {"BTC": history.closes["BTC"][-1]}


async def test_explicit_prices_override_the_history_per_asset(make_venue: MakeVenue) -> None:
    venue = make_venue(prices={"BTC": Decimal(60000), "FOO": Decimal("1.5")}, price_date=date(2024, 1, 1))

    prices = await venue.fetch_prices("USDT", ["BTC", "ETH", "FOO"])

    assert prices == {"BTC": Decimal(60000), "ETH": Decimal("2352.04"), "FOO": Decimal("1.5")}


async def test_another_quote_has_no_markets_prices_or_closes(make_venue: MakeVenue) -> None:
    venue = make_venue()

    assert await venue.fetch_prices("EUR", ["BTC"]) == {}
    assert await venue.fetch_markets("EUR", ["BTC"]) == {}
    assert await venue.fetch_daily_closes("EUR", ["BTC"], 5) == {}


def test_price_date_before_the_history_is_a_config_error(make_venue: MakeVenue) -> None:
    with pytest.raises(ConfigError, match="before the first day of the history"):
        make_venue(price_date=date(2010, 1, 1))


async def test_known_assets_get_binance_table_rules(make_venue: MakeVenue) -> None:
    venue = make_venue()

    markets = await venue.fetch_markets("USDT", ["BTC", "DOGE", "USDT"])

    assert markets == {
        "BTC": MarketRules(
            "BTC", "USDT", Decimal("0.00001"), Decimal("0.00001"), Decimal(5), Decimal("0.01")
        ),
        "DOGE": MarketRules("DOGE", "USDT", Decimal(1), Decimal(1), Decimal(5), Decimal("0.00001")),
    }


async def test_unknown_assets_get_rules_derived_from_their_price(make_venue: MakeVenue) -> None:
    venue = make_venue(prices={"FOO": Decimal("2.5")})

    markets = await venue.fetch_markets("USDT", ["FOO", "BAR"])

    assert markets == {
        "FOO": MarketRules("FOO", "USDT", Decimal("0.01"), Decimal("0.01"), Decimal(5), Decimal("0.0001"))
    }


async def test_market_overrides_replace_the_defaults(make_venue: MakeVenue) -> None:
    override = MarketRules("ETH", "USDT", Decimal("0.01"), Decimal("0.05"), Decimal(10), Decimal("0.1"))
    venue = make_venue(markets={"ETH": override})

    assert (await venue.fetch_markets("USDT", ["ETH"]))["ETH"] == override


async def test_daily_closes_window_ends_on_the_price_date(make_venue: MakeVenue) -> None:
    venue = make_venue(prices={}, price_date=date(2024, 1, 1))

    closes = await venue.fetch_daily_closes("USDT", ["BTC", "ETH", "NOPE"], 30)

    assert set(closes) == {"BTC", "ETH"}
    assert len(closes["BTC"]) == 30
    assert closes["BTC"][-1] == Decimal("44179.55")
    assert closes["BTC"][0] == Decimal("39972.26")  # the close of 2023-12-03


async def test_daily_closes_of_a_recent_listing_are_shorter(make_venue: MakeVenue) -> None:
    venue = make_venue(prices={}, history=SMALL_HISTORY, price_date=date(2024, 1, 4))

    closes = await venue.fetch_daily_closes("USDT", ["BTC", "NEW"], 3)

    assert closes == {"BTC": [Decimal(101), Decimal(102), Decimal(103)], "NEW": [Decimal(7)]}


async def test_daily_closes_need_at_least_one_day(make_venue: MakeVenue) -> None:
    with pytest.raises(ValueError, match="days must be >= 1"):
        await make_venue().fetch_daily_closes("USDT", ["BTC"], 0)


async def test_balances_leave_out_empty_assets_and_lock_nothing(make_venue: MakeVenue) -> None:
    venue = make_venue(balances={"USDT": Decimal(100), "ETH": Decimal(0)})

    assert await venue.fetch_balances() == {"USDT": Balance(free=Decimal(100), total=Decimal(100))}


async def test_fee_rate_comes_from_the_settings(make_venue: MakeVenue) -> None:
    assert await make_venue(fee_rate=Decimal("0.00075")).fetch_fee_rate() == Decimal("0.00075")


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"fill_ratio": Decimal(0)}, "fill_ratio"),
        ({"fill_ratio": Decimal("1.01")}, "fill_ratio"),
        ({"slippage_bps": Decimal(-1)}, "slippage_bps"),
        ({"fee_rate": Decimal(1)}, "fee_rate"),
        ({"balances": {"USDT": Decimal(-1)}}, "balances.USDT"),
        ({"prices": {"BTC": Decimal(0)}}, "prices.BTC"),
        ({"markets": {"ETH": MarketRules("BTC", "USDT", Decimal(1), Decimal(1), Decimal(5))}}, "markets.ETH"),
    ],
)
def test_invalid_settings_are_config_errors_naming_the_key(options: dict[str, object], key: str) -> None:
    arguments: dict[str, object] = {"balances": {}, **options}

    with pytest.raises(ConfigError) as caught:
        PaperSettings(**arguments)  # type: ignore[arg-type]

    assert caught.value.key == key


def test_market_override_in_another_quote_is_a_config_error(make_venue: MakeVenue) -> None:
    rules = MarketRules("BTC", "BUSD", Decimal("0.00001"), Decimal("0.00001"), Decimal(5))

    with pytest.raises(ConfigError, match=r"markets\.BTC: rules are quoted in BUSD, not USDT"):
        make_venue(markets={"BTC": rules})

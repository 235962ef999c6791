"""Tickers for the guards: the last price with its time and 24-hour change, from ccxt's answers, the paper
venue's fixed prices, a replayed history, and a market's status from ccxt."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from fake_wall import FakeWall
from replay_tracks import track_of

from trimtab.model.tickers import Ticker, change_percent
from trimtab.pricedata import bundled_history
from trimtab.venues.ccxt_answers import market_status, ticker_of
from trimtab.venues.paper import PaperSettings, PaperVenue
from trimtab.venues.replay import ReplayClock, ReplayMarket

D = Decimal
WALL = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def test_a_ccxt_ticker_gives_its_time_and_percentage_or_the_change_from_its_open() -> None:
    stamp = int(datetime(2025, 1, 1, 12, tzinfo=UTC).timestamp() * 1000)
    assert ticker_of({"last": 150.0, "timestamp": stamp, "percentage": -40.0}) == Ticker(
        D(150), datetime(2025, 1, 1, 12, tzinfo=UTC), D(-40)
    )
    assert ticker_of({"last": 150.0, "open": 250.0}) == Ticker(D(150), None, D(-40))
    assert ticker_of({"last": 150.0}) == Ticker(D(150), None, None)
    assert ticker_of({"last": None}) is None
    assert ticker_of({"last": 0}) is None


def test_a_ccxt_market_status_comes_from_active_and_binances_own_status() -> None:
    assert market_status({"active": True, "info": {"status": "TRADING"}}) == "trading"
    assert market_status({"active": None}) == "trading"  # the exchange does not say
    assert market_status({"active": False, "info": {"status": "BREAK"}}) == "break"
    assert market_status({"active": False, "info": {"status": "HALT"}}) == "halted"
    assert market_status({"active": False, "info": {"status": "DELISTED"}}) == "delisted"
    assert market_status({"active": False, "info": {}}) == "halted"


def test_change_percent() -> None:
    assert change_percent(D(70), D(100)) == D(-30)
    assert change_percent(D(1), D(0)) is None


async def test_fixed_paper_prices_are_timed_at_the_venue_clock_without_a_change() -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    venue = PaperVenue(
        PaperSettings(balances={"USDT": D(100)}, prices={"BTC": D(60000)}),
        quote="USDT",
        state_path=None,
        history=bundled_history(),
        clock=lambda: now,
    )
    assert await venue.fetch_tickers("USDT", ["BTC", "USDT"]) == {"BTC": Ticker(D(60000), now, None)}
    assert await venue.fetch_tickers("BTC", ["ETH"]) == {}


async def test_a_replay_ticker_is_the_last_bar_with_its_change_from_the_bar_a_day_before() -> None:
    track = track_of("date,AAA\n2024-01-01,100\n2024-01-02,80\n2024-01-03,60\n")
    wall = FakeWall(WALL)
    clock = ReplayClock(datetime(2024, 1, 2, 6, tzinfo=UTC), speed=86400, wall=wall)
    venue = PaperVenue(
        PaperSettings(balances={"USDT": D(100)}),
        quote="USDT",
        state_path=None,
        clock=clock,
        market=ReplayMarket(track, clock, "USDT"),
    )
    # at 01-02 06:00 the close dated 01-01 is known, nothing a day before it
    assert await venue.fetch_tickers("USDT", ["AAA"]) == {"AAA": Ticker(D(100), clock(), None)}
    wall.advance(1)  # 01-03 06:00: the close dated 01-02 (80) against the one dated 01-01 (100)
    assert await venue.fetch_tickers("USDT", ["AAA"]) == {"AAA": Ticker(D(80), clock(), D(-20))}
    assert clock().date() == date(2024, 1, 3)

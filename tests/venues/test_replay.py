"""The replayed market: its clock runs ``speed`` times as fast as an injected wall clock, it resumes where
the ledger stopped, and it never prices with a close that was not yet known (no look-ahead)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fake_wall import FakeWall
from replay_tracks import track_of

from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.pricedata import bundled_history
from trimtab.venues.paper import PaperSettings, PaperVenue
from trimtab.venues.replay import ReplayClock, ReplayEnded, ReplayMarket, replay_start

WALL = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2024, 1, 1, tzinfo=UTC)


def test_market_time_is_start_plus_wall_time_times_speed() -> None:
    wall = FakeWall(WALL)
    clock = ReplayClock(START, speed=86400, wall=wall)
    assert clock() == START
    wall.advance(1.5)
    assert clock() == START + timedelta(days=1, hours=12)
    wall.advance(365)
    assert clock() == START + timedelta(days=366, hours=12)


def test_the_market_starts_moving_at_the_first_reading_not_when_the_clock_is_built() -> None:
    # Building a bot (prices, ledger, migrations) takes wall time; at a day per second, 0.3 s of it
    # would put the first run hours after replay.start.
    wall = FakeWall(WALL)
    clock = ReplayClock(START, speed=86400, wall=wall)
    wall.advance(0.3)
    assert clock() == START
    wall.advance(1)
    assert clock() == START + timedelta(days=1)


def test_wall_seconds_until_divides_the_market_wait_by_the_speed() -> None:
    wall = FakeWall(WALL)
    clock = ReplayClock(START, speed=86400, wall=wall)
    assert clock.wall_seconds_until(datetime(2024, 2, 1, tzinfo=UTC)) == pytest.approx(31.0)
    assert clock.wall_seconds_until(START - timedelta(days=1)) == 0.0  # already past: no wait


def test_a_held_clock_stands_still_and_then_catches_up() -> None:
    wall = FakeWall(WALL)
    clock = ReplayClock(START, speed=3600, wall=wall)
    with clock.held() as instant:
        wall.advance(10)
        assert clock() == instant == START
        with clock.held():  # holds nest
            wall.advance(10)
        assert clock() == START
    assert clock() == START + timedelta(hours=20)


def test_the_replay_resumes_from_the_later_of_start_and_the_last_recorded_run() -> None:
    assert replay_start(START, None) == START
    assert replay_start(START, START - timedelta(days=3)) == START
    later = datetime(2024, 5, 3, 7, 30, tzinfo=UTC)
    assert replay_start(START, later) == later


def test_a_run_at_10_on_march_5_uses_the_close_of_march_4() -> None:
    """The daily row dated D is the close at D+1 00:00: known on March 5, the row of March 5 is not."""
    track = track_of()
    history = bundled_history()
    prices = track.prices_at(datetime(2024, 3, 5, 10, tzinfo=UTC), ["BTC", "ETH"])
    assert prices == {a: history.prices_on(date(2024, 3, 4))[a] for a in ("BTC", "ETH")}
    assert prices["BTC"] != history.prices_on(date(2024, 3, 5))["BTC"]
    # at the very instant day D closes, its close is known
    at_midnight = track.prices_at(datetime(2024, 3, 5, tzinfo=UTC), ["BTC"])
    assert at_midnight["BTC"] == history.prices_on(date(2024, 3, 4))["BTC"]


def test_daily_closes_end_with_the_last_close_known() -> None:
    track = track_of()
    history = bundled_history()
    closes = track.daily_closes_at(datetime(2024, 3, 5, 10, tzinfo=UTC), ["BTC", "NOPE"], 5)
    assert closes == {"BTC": history.history("BTC", date(2024, 3, 4), 5)}


HOURLY = """datetime,BTC
2024-03-01 00:00,100
2024-03-01 01:00,101
2024-03-01 02:00,102
2024-03-01 03:00,103
"""


def test_on_hourly_data_the_rule_holds_per_bar() -> None:
    track = track_of(HOURLY)
    # the bar opened at 01:00 closes at 02:00: at 02:59 its close (101) is the last known, not 102
    assert track.prices_at(datetime(2024, 3, 1, 2, 59, tzinfo=UTC), ["BTC"]) == {"BTC": Decimal(101)}
    assert track.prices_at(datetime(2024, 3, 1, 3, tzinfo=UTC), ["BTC"]) == {"BTC": Decimal(102)}
    assert track.prices_at(datetime(2024, 3, 1, 0, 30, tzinfo=UTC), ["BTC"]) == {}  # nothing closed yet


def test_past_the_last_bar_the_replay_has_ended() -> None:
    track = track_of(HOURLY)
    last_known = datetime(2024, 3, 1, 4, 59, 59, tzinfo=UTC)
    assert track.prices_at(last_known, ["BTC"]) == {"BTC": Decimal(103)}
    with pytest.raises(ReplayEnded, match="the replay reached the end of its price data at 2024-03-01 05:00"):
        track.prices_at(datetime(2024, 3, 1, 5, tzinfo=UTC), ["BTC"])


async def test_the_paper_venue_trades_at_the_market_clock() -> None:
    wall = FakeWall(WALL)
    clock = ReplayClock(datetime(2024, 3, 5, 10, tzinfo=UTC), speed=86400, wall=wall)
    venue = PaperVenue(
        PaperSettings(balances={"USDT": Decimal(100000)}, fee_rate=Decimal(0)),
        quote="USDT",
        state_path=None,
        clock=clock,
        market=ReplayMarket(track_of(), clock, "USDT"),
    )
    history = bundled_history()
    march_4 = history.prices_on(date(2024, 3, 4))["BTC"]
    assert await venue.fetch_prices("USDT", ["BTC", "USDT"]) == {"BTC": march_4}
    wall.advance(2)  # two market days later
    march_6 = history.prices_on(date(2024, 3, 6))["BTC"]
    assert await venue.fetch_prices("USDT", ["BTC"]) == {"BTC": march_6}
    rules = (await venue.fetch_markets("USDT", ["BTC"]))["BTC"]
    request = OrderRequest(
        symbol="BTC/USDT",
        side=Side.BUY,
        amount=Decimal("0.01"),
        limit_price=march_6 * 2,
        client_order_id="x1",
    )
    assert rules.amount_step == Decimal("0.00001")
    order = await venue.place_order(request)
    assert order.status is OrderStatus.CLOSED
    assert order.fills[0].price == march_6
    assert order.fills[0].timestamp == datetime(2024, 3, 7, 10, tzinfo=UTC)
    assert venue.price_date == date(2024, 3, 7)


async def test_the_venue_raises_when_the_replay_runs_off_its_data() -> None:
    wall = FakeWall(WALL)
    clock = ReplayClock(datetime(2024, 3, 1, 3, tzinfo=UTC), speed=3600, wall=wall)
    venue = PaperVenue(
        PaperSettings(balances={"USDT": Decimal(100)}),
        quote="USDT",
        state_path=None,
        clock=clock,
        market=ReplayMarket(track_of(HOURLY), clock, "USDT"),
    )
    assert await venue.fetch_prices("USDT", ["BTC"]) == {"BTC": Decimal(102)}
    wall.advance(2)
    with pytest.raises(ReplayEnded) as ended:
        await venue.fetch_prices("USDT", ["BTC"])
    assert ended.value.exit_code == 2
    assert ended.value.at == datetime(2024, 3, 1, 5, tzinfo=UTC)

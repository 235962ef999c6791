"""Order placement on the paper venue: Binance's checks, IOC matching, fees in the received asset."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from trimtab.errors import InsufficientFunds, OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Fill, OrderRequest, OrderStatus, Side
from trimtab.model.portfolio import Balance
from trimtab.venues.paper import PaperVenue
from trimtab.venues.port import Venue

MakeVenue = Callable[..., PaperVenue]


def buy(amount: str, limit: str, cid: str = "c1", symbol: str = "BTC/USDT") -> OrderRequest:
    return OrderRequest(symbol, Side.BUY, Decimal(amount), Decimal(limit), cid)


def sell(amount: str, limit: str, cid: str = "c1", symbol: str = "BTC/USDT") -> OrderRequest:
    return OrderRequest(symbol, Side.SELL, Decimal(amount), Decimal(limit), cid)


async def test_paper_venue_satisfies_the_venue_port(make_venue: MakeVenue) -> None:
    venue: Venue = make_venue()
    assert venue.name == "paper"
    assert await venue.fetch_fee_rate() == Decimal("0.001")


async def test_buy_fills_at_last_price_and_charges_the_fee_in_base(
    make_venue: MakeVenue, now: datetime
) -> None:
    venue = make_venue()

    order = await venue.place_order(buy("0.01234", "60300", cid="rebal-1"))

    assert order.status is OrderStatus.CLOSED
    assert order.filled == Decimal("0.01234")
    assert order.exchange_order_id == "1"
    assert order.fills == (
        Fill(
            price=Decimal(60000),
            amount=Decimal("0.01234"),
            fee=Decimal("0.00001234"),
            fee_asset="BTC",
            timestamp=now,
        ),
    )
    assert order.cost == Decimal("740.40")
    assert order.average_price == Decimal(60000)
    balances = await venue.fetch_balances()
    # 0.01234 x 0.999 received on top of 0.5; 0.01234 x 60000 spent.
    assert balances["BTC"] == Balance(free=Decimal("0.51232766"), total=Decimal("0.51232766"))
    assert balances["USDT"].total == Decimal("9259.60")


async def test_sell_charges_the_fee_in_quote(make_venue: MakeVenue) -> None:
    venue = make_venue()

    order = await venue.place_order(sell("0.1", "59000"))

    assert order.status is OrderStatus.CLOSED
    # A marketable sell fills at the last price, better than its limit.
    assert order.fills[0].price == Decimal(60000)
    assert order.fills[0].fee == Decimal("6.000")
    assert order.fills[0].fee_asset == "USDT"
    balances = await venue.fetch_balances()
    assert balances["BTC"].total == Decimal("0.4")
    assert balances["USDT"].total == Decimal("15994.000")


async def test_slippage_moves_a_buy_up_but_never_above_its_limit(make_venue: MakeVenue) -> None:
    venue = make_venue(slippage_bps=Decimal(10))

    within = await venue.place_order(buy("0.001", "60300", cid="a"))
    capped = await venue.place_order(buy("0.001", "60030", cid="b"))

    assert within.fills[0].price == Decimal("60060.00")
    assert capped.fills[0].price == Decimal(60030)


async def test_slippage_moves_a_sell_down_but_never_below_its_limit(make_venue: MakeVenue) -> None:
    venue = make_venue(slippage_bps=Decimal(10))

    within = await venue.place_order(sell("0.001", "59000", cid="a"))
    capped = await venue.place_order(sell("0.001", "59950", cid="b"))

    assert within.fills[0].price == Decimal("59940.00")
    assert capped.fills[0].price == Decimal(59950)


async def test_fill_price_is_rounded_to_the_tick_against_the_taker(make_venue: MakeVenue) -> None:
    # 2.0909 x 1.0003 = 2.09152727; XRP's tick is 0.0001, so a buyer pays 2.0916.
    venue = make_venue(prices={"XRP": Decimal("2.0909")}, slippage_bps=Decimal(3))

    order = await venue.place_order(buy("10", "2.1", symbol="XRP/USDT"))

    assert order.fills[0].price == Decimal("2.0916")


async def test_partial_fill_is_floored_to_the_step_and_expires(make_venue: MakeVenue) -> None:
    venue = make_venue(fill_ratio=Decimal("0.5"))

    order = await venue.place_order(buy("0.00123", "60300"))

    # 0.00123 x 0.5 = 0.000615, floored to BTC's step 0.00001.
    assert order.filled == Decimal("0.00061")
    assert order.status is OrderStatus.EXPIRED
    assert order.fills[0].fee == Decimal("0.00000061")
    assert (await venue.fetch_balances())["USDT"].total == Decimal(10000) - Decimal("0.00061") * 60000


async def test_partial_fill_that_floors_to_zero_fills_nothing(make_venue: MakeVenue) -> None:
    venue = make_venue(fill_ratio=Decimal("0.1"), prices={"DOGE": Decimal("0.15")})

    order = await venue.place_order(buy("40", "0.15", symbol="DOGE/USDT"))

    # 40 x 0.1 = 4 DOGE would fill; 9 x 0.1 = 0.9 floors to 0 on a step of 1.
    assert order.filled == Decimal(4)
    none = await venue.place_order(buy("9", "0.6", cid="c2", symbol="DOGE/USDT"))
    assert none.filled == 0
    assert none.fills == ()
    assert none.status is OrderStatus.EXPIRED


async def test_non_marketable_buy_expires_without_a_fill(make_venue: MakeVenue) -> None:
    venue = make_venue()
    before = await venue.fetch_balances()

    order = await venue.place_order(buy("0.01", "59999.99"))

    assert order.status is OrderStatus.EXPIRED
    assert order.filled == 0
    assert order.fills == ()
    assert order.average_price is None
    assert await venue.fetch_balances() == before
    assert await venue.fetch_order("BTC/USDT", "c1") == order


async def test_non_marketable_sell_expires_without_a_fill(make_venue: MakeVenue) -> None:
    venue = make_venue()

    order = await venue.place_order(sell("0.01", "60000.01"))

    assert order.status is OrderStatus.EXPIRED
    assert order.filled == 0


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (buy("0.01", "60300", symbol="NOPE/USDT"), "Invalid symbol"),
        (buy("0.01", "60300", symbol="BTC/EUR"), "Invalid symbol"),
        (
            buy("0.000001", "60300"),
            r"Filter failure: LOT_SIZE \(BTC/USDT: amount 0.000001 is below the minimum",
        ),
        (buy("0", "60300"), "Filter failure: LOT_SIZE"),
        (
            buy("0.012345", "60300"),
            r"Filter failure: LOT_SIZE \(BTC/USDT: amount 0.012345 is not a multiple of 0.00001",
        ),
        (
            buy("0.01", "60300.005"),
            r"Filter failure: PRICE_FILTER \(BTC/USDT: limit price 60300.005 is not a multiple",
        ),
        (buy("0.01", "0"), "Filter failure: PRICE_FILTER"),
        (
            buy("0.00008", "60300"),
            r"Filter failure: NOTIONAL \(BTC/USDT: amount x limit = 4.824 is below the minimum 5",
        ),
    ],
)
async def test_invalid_orders_are_rejected_naming_the_failed_check(
    make_venue: MakeVenue, request_: OrderRequest, message: str
) -> None:
    venue = make_venue()
    before = await venue.fetch_balances()

    with pytest.raises(OrderRejected, match=message):
        await venue.place_order(request_)

    assert await venue.fetch_balances() == before
    assert await venue.fetch_order(request_.symbol, request_.client_order_id) is None


async def test_lot_size_is_checked_before_price_filter_and_notional(make_venue: MakeVenue) -> None:
    venue = make_venue()

    with pytest.raises(OrderRejected, match="LOT_SIZE"):
        await venue.place_order(buy("0.000015", "60300.005"))


async def test_buy_needing_more_quote_than_free_is_insufficient_funds(make_venue: MakeVenue) -> None:
    venue = make_venue()

    # 0.17 x 60300 = 10251 > 10000 USDT, even though it would fill at 60000 for 10200.
    with pytest.raises(
        InsufficientFunds, match=r"Account has insufficient balance for requested action\. .*USDT"
    ):
        await venue.place_order(buy("0.17", "60300"))


async def test_sell_of_more_base_than_free_is_insufficient_funds(make_venue: MakeVenue) -> None:
    venue = make_venue()

    with pytest.raises(InsufficientFunds, match=r"needs 0\.50001 BTC, 0\.5 free"):
        await venue.place_order(sell("0.50001", "59000"))


async def test_duplicate_client_order_id_is_rejected_and_changes_nothing(make_venue: MakeVenue) -> None:
    venue = make_venue()
    first = await venue.place_order(buy("0.001", "60300", cid="rebal-7"))
    after_first = await venue.fetch_balances()

    with pytest.raises(OrderRejected, match=r"^Duplicate order sent\."):
        await venue.place_order(buy("0.002", "60300", cid="rebal-7"))

    assert await venue.fetch_balances() == after_first
    assert await venue.fetch_order("BTC/USDT", "rebal-7") == first


async def test_rejected_order_does_not_use_up_its_client_order_id(make_venue: MakeVenue) -> None:
    venue = make_venue()
    with pytest.raises(OrderRejected):
        await venue.place_order(buy("0.00008", "60300", cid="retry-me"))

    order = await venue.place_order(buy("0.0001", "60300", cid="retry-me"))

    assert order.status is OrderStatus.CLOSED
    assert order.exchange_order_id == "1"


async def test_fetch_order_finds_orders_by_client_id_and_symbol(make_venue: MakeVenue) -> None:
    venue = make_venue()
    first = await venue.place_order(buy("0.001", "60300", cid="a"))
    second = await venue.place_order(sell("0.001", "59000", cid="b"))

    assert await venue.fetch_order("BTC/USDT", "a") == first
    assert await venue.fetch_order("BTC/USDT", "b") == second
    assert second.exchange_order_id == "2"
    assert await venue.fetch_order("ETH/USDT", "a") is None
    assert await venue.fetch_order("BTC/USDT", "unknown") is None


async def test_orders_use_market_overrides(make_venue: MakeVenue) -> None:
    coarse = MarketRules("BTC", "USDT", Decimal("0.001"), Decimal("0.001"), Decimal(10), Decimal(1))
    venue = make_venue(markets={"BTC": coarse})

    with pytest.raises(OrderRejected, match="LOT_SIZE"):
        await venue.place_order(buy("0.00123", "60300"))
    with pytest.raises(OrderRejected, match="PRICE_FILTER"):
        await venue.place_order(buy("0.002", "60300.5"))
    order = await venue.place_order(buy("0.002", "60300"))
    assert order.filled == Decimal("0.002")

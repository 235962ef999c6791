"""The backtest venue: the paper venue's fill model on an in-memory account."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trimtab.backtest.venue import ReplayVenue
from trimtab.errors import DuplicateClientOrderId, InsufficientFunds, OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderStatus, Side
from trimtab.pricedata import PriceHistory
from trimtab.venues.paper import PaperSettings, PaperVenue

D = Decimal
NOW = datetime(2024, 3, 1, tzinfo=UTC)
RULES = {"BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D(5), D("0.01"))}
PRICES = {"BTC": D(60000)}


def venue(**balances: Decimal) -> ReplayVenue:
    replay = ReplayVenue(PaperSettings(balances=balances, fee_rate=D("0.001")), quote="USDT")
    replay.move_to(NOW, PRICES, RULES)
    return replay


async def test_a_buy_fills_at_the_last_price_and_pays_the_fee_in_the_coin_bought() -> None:
    replay = venue(USDT=D(1000))
    order = await replay.place_order(OrderRequest("BTC/USDT", Side.BUY, D("0.01"), D(60000), "a"))
    assert order.status is OrderStatus.CLOSED
    assert order.fills[0].fee == D("0.00001")
    assert order.fills[0].fee_asset == "BTC"
    assert replay.balances == {"USDT": D(400), "BTC": D("0.00999")}
    assert await replay.fetch_order("BTC/USDT", "a") == order


async def test_it_fills_exactly_like_the_paper_venue() -> None:
    settings = PaperSettings(balances={"BTC": D(1)}, prices=PRICES, markets=RULES, slippage_bps=D(7))
    no_history = PriceHistory(source="none", dates=(NOW.date(),), closes={})
    paper = PaperVenue(settings, quote="USDT", state_path=None, history=no_history, clock=lambda: NOW)
    replay = ReplayVenue(settings, quote="USDT")
    replay.move_to(NOW, PRICES, RULES)
    request = OrderRequest("BTC/USDT", Side.SELL, D("0.12345"), D("59000.00"), "s")
    on_paper, in_replay = await paper.place_order(request), await replay.place_order(request)
    # 60,000 moved 7 bps against the seller = 59,958.00, above the 59,000 limit; fee 0.1 % in USDT.
    assert in_replay.fills[0].price == D("59958.00")
    assert in_replay == on_paper
    assert await replay.fetch_balances() == await paper.fetch_balances()


async def test_refusals_change_nothing() -> None:
    replay = venue(USDT=D(100))
    with pytest.raises(InsufficientFunds):
        await replay.place_order(OrderRequest("BTC/USDT", Side.BUY, D("0.01"), D(60000), "a"))
    with pytest.raises(OrderRejected, match="Invalid symbol"):
        await replay.place_order(OrderRequest("ETH/USDT", Side.BUY, D("0.01"), D(3000), "b"))
    with pytest.raises(OrderRejected, match="NOTIONAL"):
        await replay.place_order(OrderRequest("BTC/USDT", Side.BUY, D("0.00001"), D(60000), "c"))
    assert replay.balances == {"USDT": D(100)}


async def test_a_client_id_is_used_once_per_rebalance() -> None:
    replay = venue(USDT=D(10000))
    request = OrderRequest("BTC/USDT", Side.BUY, D("0.01"), D(60000), "same")
    await replay.place_order(request)
    with pytest.raises(OrderRejected, match="Duplicate"):
        await replay.place_order(request)
    replay.move_to(NOW, PRICES, RULES)  # the next rebalance: earlier orders are forgotten
    assert await replay.fetch_order("BTC/USDT", "same") is None


async def test_a_reused_client_id_raises_the_typed_duplicate_error() -> None:
    replay = venue(USDT=D(10000))
    request = OrderRequest("BTC/USDT", Side.BUY, D("0.01"), D(60000), "same")
    first = await replay.place_order(request)
    with pytest.raises(DuplicateClientOrderId, match=r"^Duplicate order sent\."):
        await replay.place_order(request)
    assert await replay.fetch_order("BTC/USDT", "same") == first

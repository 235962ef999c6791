"""A plan never sells for a buy it cannot place, and keeps every order within the market's maximum."""

from __future__ import annotations

from decimal import Decimal

from plan_fills import at_limit, simulate
from tests.planning.test_planner import RULES, settings, snapshot, weights

from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.planning.planner import plan_rebalance

D = Decimal

HELD = "stays at its current weight and nothing is sold to pay for it"


def test_an_absurd_price_sells_nothing_for_the_buy_it_cannot_place() -> None:
    # BTC's price collapsed to 1e-30 (a broken feed): its buy cannot be placed at any amount the market
    # holds, so the ETH, SOL and BNB holdings already in proportion are left alone.
    prices = {"BTC": "1e-30", "ETH": "3000", "SOL": "150", "BNB": "600"}
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, prices)
    targets = weights(BTC="40", ETH="30", SOL="15", BNB="10", USDT="5")

    plan = plan_rebalance(snap, targets, settings(min_trade="10"))

    assert plan.orders == ()
    [btc] = [s for s in plan.skipped if s.asset == "BTC" and s.side is Side.BUY]
    assert btc.side is Side.BUY
    assert HELD in btc.reason
    assert "scaled down" not in btc.reason  # one reason, not "scaled to fit" and "below the minimum"


def test_the_others_are_rebalanced_among_themselves_when_one_buy_cannot_be_placed() -> None:
    # DOGE's buy is below its market minimum notional (100 USDT here); ETH is above its share of what
    # is left, SOL below: ETH is sold for SOL only, nothing for DOGE.
    doge = MarketRules("DOGE", "USDT", D("1"), D("1"), D("100"), D("0.00001"))
    prices = {"DOGE": "0.1", "ETH": "3000", "SOL": "150"}
    snap = snapshot({"DOGE": "0", "ETH": "0.7", "SOL": "6", "USDT": "0"}, prices, DOGE=doge)
    # value 3000: DOGE wants 1 % = 30 USDT (< 100, cannot be placed), ETH 70 % of it holds, SOL 30 %.
    plan = plan_rebalance(snap, weights(DOGE="1", ETH="59", SOL="40"), settings())

    assert [(o.side, o.asset) for o in plan.orders] == [(Side.SELL, "ETH"), (Side.BUY, "SOL")]
    sell, buy = plan.orders
    # ETH and SOL share 100 % in the proportion 59 : 40 -> ETH 59.6 % of 3000 = 1787.9 USDT.
    assert abs(D("0.7") * 3000 - sell.amount * 3000 - D(3000) * 59 / 99) < 3
    assert buy.value <= sell.value
    assert any(s.asset == "DOGE" and HELD in s.reason for s in plan.skipped)


def test_a_buy_above_the_market_maximum_amount_is_split_into_orders_within_it() -> None:
    capped = MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D("5"), D("0.01"), max_amount=D("2"))
    snap = snapshot({"USDT": "30000"}, {"ETH": "3000"}, ETH=capped)

    plan = plan_rebalance(snap, weights(ETH="100"), settings())

    assert len(plan.buys) >= 5
    assert all(o.amount <= 2 for o in plan.orders)
    assert sum(o.amount for o in plan.orders) > D("9.9")  # ~10 ETH bought, in pieces
    simulate(snap, plan, at_limit)  # and cash covers every piece


def test_a_sell_above_the_market_maximum_notional_is_split_within_it() -> None:
    capped = MarketRules(
        "BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01"), max_notional=D("25000")
    )
    snap = snapshot({"BTC": "1", "USDT": "0"}, {"BTC": "60000"}, BTC=capped)

    plan = plan_rebalance(snap, weights(BTC="0", USDT="100"), settings())

    assert len(plan.sells) == 3
    assert all(o.amount * o.limit_price <= 25000 for o in plan.orders)
    assert sum(o.amount for o in plan.orders) == 1


def test_a_market_whose_maximum_is_below_its_minimum_cannot_be_traded_and_says_so() -> None:
    broken = MarketRules("ETH", "USDT", D("0.0001"), D("1"), D("5"), D("0.01"), max_amount=D("0.5"))
    snap = snapshot({"USDT": "10000"}, {"ETH": "3000"}, ETH=broken)

    plan = plan_rebalance(snap, weights(ETH="50", USDT="50"), settings())

    assert plan.orders == ()
    assert "largest order, 0.5 ETH, is below its smallest" in plan.skipped[0].reason


def test_the_default_rules_have_no_maximum() -> None:
    assert RULES["BTC"].max_amount is None
    assert RULES["BTC"].max_notional is None

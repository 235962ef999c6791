"""Example tests of the planner: each one a situation a real rebalance meets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from plan_fills import at_limit, at_reference, simulate

from trimtab.errors import PlanningError
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan
from trimtab.planning.planner import PlannerSettings, plan_rebalance

D = Decimal  # short for the many literals below

RULES = {
    "BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01")),
    "ETH": MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D("5"), D("0.01")),
    "SOL": MarketRules("SOL", "USDT", D("0.001"), D("0.001"), D("5"), D("0.01")),
    "BNB": MarketRules("BNB", "USDT", D("0.001"), D("0.001"), D("5"), D("0.1")),
    "DOGE": MarketRules("DOGE", "USDT", D("1"), D("1"), D("1"), D("0.00001")),
}


def snapshot(
    holdings: dict[str, str], prices: dict[str, str], fee_rate: str = "0.001", **rules: MarketRules
) -> Snapshot:
    """A snapshot with everything free, Binance-like rules for the priced assets (``rules`` override)."""
    markets = {**RULES, **rules}
    return Snapshot(
        quote="USDT",
        balances={a: Balance(D(v), D(v)) for a, v in holdings.items()},
        prices={a: D(p) for a, p in prices.items()},
        markets={a: markets[a] for a in prices if a in markets},
        fee_rate=D(fee_rate),
        taken_at=datetime(2025, 1, 6, 12, tzinfo=UTC),
    )


def settings(
    min_trade: str = "0", max_trade: str = "100", slippage: str = "0", sell_unlisted: bool = False
) -> PlannerSettings:
    return PlannerSettings(D(min_trade), D(max_trade), D(slippage), sell_unlisted)


def weights(**percent: str) -> dict[str, D]:
    return {asset: D(value) for asset, value in percent.items()}


def summary(plan: Plan) -> list[tuple[int, str, str, D, D]]:
    return [(o.leg, o.side.value, o.asset, o.amount, o.limit_price) for o in plan.orders]


SEED_PRICES = {"BTC": "60000", "ETH": "3000", "SOL": "150", "BNB": "600"}
SEED_TARGETS = weights(BTC="40", ETH="30", SOL="15", BNB="10", USDT="5")


def test_seed_portfolio_after_btc_rally_sells_btc_first_then_buys_the_laggards() -> None:
    # Bought at 40/30/15/10/5 with BTC at 40000; BTC then rose to 60000 (from 40 % to 50 %).
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, SEED_PRICES)
    plan = plan_rebalance(snap, SEED_TARGETS, settings(min_trade="20", max_trade="20", slippage="0.5"))

    assert plan.total_value == D("11999.6")
    assert summary(plan) == [
        (0, "sell", "BTC", D("0.02"), D("59700")),  # 1200.16 USDT / 60000 floored to 0.00001
        (1, "buy", "ETH", D("0.1999"), D("3015")),
        (2, "buy", "SOL", D("1.999"), D("150.75")),
        (3, "buy", "BNB", D("0.333"), D("603")),
    ]
    assert plan.skipped == ()
    assert [o.value for o in plan.orders] == [D("1200"), D("599.7"), D("299.85"), D("199.8")]


def test_seed_plan_survives_worst_case_fills() -> None:
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, SEED_PRICES)
    plan = plan_rebalance(snap, SEED_TARGETS, settings(min_trade="20", max_trade="20", slippage="0.5"))

    worst = simulate(snap, plan, at_limit)

    assert all(b.free >= 0 for b in worst.balances.values())
    assert worst.balances["USDT"].free > D("500")  # the 5 % cash cushion is still there


def test_quote_asset_is_cash_and_never_traded_even_when_listed_as_a_market() -> None:
    # A naive planner that treats every listed market alike would place an order on USDT/USDT here.
    snap = snapshot({"USDT": "9000", "BTC": "0.01"}, {"BTC": "60000"})
    snap = Snapshot(
        snap.quote,
        snap.balances,
        {**snap.prices, "USDT": D(1)},
        {**snap.markets, "USDT": MarketRules("USDT", "USDT", D("0.01"), D(0), D(0))},
        snap.fee_rate,
        snap.taken_at,
    )
    plan = plan_rebalance(snap, weights(BTC="50", USDT="50"), settings())

    assert [(o.side, o.asset) for o in plan.orders] == [(Side.BUY, "BTC")]
    assert all(o.asset != "USDT" and o.symbol != "USDT/USDT" for o in plan.orders)
    assert all(s.asset != "USDT" for s in plan.skipped)


def test_sell_amount_is_floored_to_the_lot_step() -> None:
    snap = snapshot({"BTC": "0.123456789", "USDT": "0"}, {"BTC": "100"})
    plan = plan_rebalance(snap, weights(BTC="0", USDT="100"), settings())

    assert summary(plan) == [(0, "sell", "BTC", D("0.12345"), D("100"))]


def test_sell_below_min_notional_is_skipped_with_a_reason_naming_the_rule() -> None:
    eth = MarketRules("ETH", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01"))
    snap = snapshot({"ETH": "1", "USDT": "400"}, {"ETH": "3600"}, ETH=eth)
    plan = plan_rebalance(snap, weights(ETH="89.9892", USDT="10.0108"), settings())

    assert plan.orders == ()
    [skip] = plan.skipped
    assert (skip.asset, skip.side, skip.value) == ("ETH", Side.SELL, D("0.432"))
    assert (
        skip.reason == "ETH: sell of 0.00012 ETH (0.43 USDT) is below the market minimum notional of 5 USDT"
    )


def test_trade_below_min_trade_value_is_skipped() -> None:
    snap = snapshot({"ETH": "1", "USDT": "3000"}, {"ETH": "3000"})
    plan = plan_rebalance(snap, weights(ETH="50.5", USDT="49.5"), settings(min_trade="100"))

    assert plan.orders == ()
    [skip] = plan.skipped
    assert skip.reason == "ETH: buy of 30 USDT is below the minimum trade value of 100 USDT"


def test_sell_of_half_the_portfolio_with_a_20_percent_cap_is_split_into_three_nearly_equal_orders() -> None:
    snap = snapshot({"BTC": "0.1", "USDT": "5000"}, {"BTC": "50000"})
    plan = plan_rebalance(snap, weights(BTC="0", USDT="100"), settings(max_trade="20"))

    assert [o.amount for o in plan.orders] == [D("0.03334"), D("0.03333"), D("0.03333")]
    assert [o.leg for o in plan.orders] == [0, 1, 2]
    assert all(o.side is Side.SELL and o.value <= D("2000") for o in plan.orders)
    assert plan.skipped == ()


def test_split_that_cannot_meet_the_minimum_leaves_the_remainder_and_reports_it() -> None:
    # 0.21 BTC at a cap of 0.1 BTC: three equal pieces of 0.07 are below the 0.08 minimum, so two full
    # pieces go and 0.01 BTC stays.
    rules = MarketRules("BTC", "USDT", D("0.01"), D("0.08"), D("0"), D("0.01"))
    snap = Snapshot("USDT", {"BTC": Balance(D("0.21"), D("0.21")), "USDT": Balance(D("0.79"), D("0.79"))},
                    {"BTC": D("1")}, {"BTC": rules}, D(0), datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
    plan = plan_rebalance(snap, weights(BTC="0", USDT="100"), settings(max_trade="10"))  # cap 0.1 USDT

    assert [o.amount for o in plan.orders] == [D("0.1"), D("0.1")]
    [skip] = plan.skipped
    assert skip.value == D("0.01")
    assert "remains after splitting into 2 orders" in skip.reason


def test_buys_are_scaled_down_to_the_worst_case_cash_when_there_is_no_cash_target() -> None:
    snap = snapshot({"USDT": "1000"}, {"ETH": "2000", "SOL": "100"})
    plan = plan_rebalance(snap, weights(ETH="50", SOL="50"), settings(slippage="1"))

    # Wanted 0.25 ETH and 5 SOL, needing (0.25 x 2020 + 5 x 101) x 1.001 = 1011.01 > 1000 USDT;
    # scaled by 1000 / 1011.01 and floored to the steps.
    assert summary(plan) == [
        (0, "buy", "SOL", D("4.945"), D("101")),
        (1, "buy", "ETH", D("0.2472"), D("2020")),
    ]
    need = sum(o.amount * o.limit_price for o in plan.orders) * D("1.001")
    assert need <= D("1000")
    assert need > D("1000") - D("0.0001") * D("2020") * D("1.001") - D("0.001") * D("101") * D("1.001")
    simulate(snap, plan, at_limit)  # raises if any buy could not be placed


def test_buy_scaled_below_the_market_minimum_is_dropped_and_the_others_are_refitted() -> None:
    snap = snapshot({"USDT": "100"}, {"ETH": "2000", "SOL": "100"})
    # Wanted 0.0474 ETH and 0.05 SOL need (95.748 + 5.05) x 1.001 > 100 USDT. Scaled by ~0.991, SOL
    # becomes 0.049 SOL = 4.949 USDT at its limit, below the 5 USDT minimum: it is dropped, and ETH
    # alone then fits unscaled.
    plan = plan_rebalance(snap, weights(ETH="94.98", SOL="5.02"), settings(slippage="1"))

    assert summary(plan) == [(0, "buy", "ETH", D("0.0474"), D("2020"))]
    [skip] = plan.skipped
    assert (skip.asset, skip.side, skip.value) == ("SOL", Side.BUY, D("5"))
    assert skip.reason == (
        "SOL: buy of 0.05 SOL (5 USDT) is skipped: scaled down to 0.049 SOL to fit the 100 USDT of cash "
        "after sells, it is below the market minimum notional of 5 USDT"
    )


def test_unlisted_holding_is_sold_when_sell_unlisted() -> None:
    snap = snapshot({"DOGE": "1000.5", "BTC": "0.01", "USDT": "500"}, {"DOGE": "0.1", "BTC": "50000"})
    plan = plan_rebalance(snap, weights(BTC="50", USDT="50"), settings(sell_unlisted=True))

    assert plan.total_value == D("1100.05")
    assert summary(plan)[0] == (0, "sell", "DOGE", D("1000"), D("0.1"))
    assert [o.asset for o in plan.buys] == ["BTC"]


def test_unlisted_holding_is_left_alone_and_outside_the_portfolio_value_by_default() -> None:
    snap = snapshot({"DOGE": "1000.5", "BTC": "0.01", "USDT": "500"}, {"DOGE": "0.1", "BTC": "50000"})
    plan = plan_rebalance(snap, weights(BTC="50", USDT="50"), settings())

    assert plan.total_value == D("1000")
    assert summary(plan) == []  # BTC is 500 of 1000: on target
    assert plan.skipped == ()


def test_unlisted_holding_without_a_market_is_reported_not_fatal() -> None:
    snap = snapshot({"XYZ": "5", "USDT": "100"}, {})
    plan = plan_rebalance(snap, weights(USDT="100"), settings(sell_unlisted=True))

    assert plan.orders == ()
    assert [s.asset for s in plan.skipped] == ["XYZ"]
    assert "no price" in plan.skipped[0].reason


@pytest.mark.parametrize(
    ("prices", "markets", "message"),
    [
        ({"BTC": "60000"}, ["BTC", "SOL"], "SOL: has a target weight but has no price in USDT"),
        ({"BTC": "60000", "SOL": "150"}, ["BTC"], "SOL: has a target weight but has no SOL/USDT market"),
    ],
)
def test_targeted_asset_without_price_or_market_is_a_planning_error(
    prices: dict[str, str], markets: list[str], message: str
) -> None:
    snap = snapshot({"BTC": "1", "USDT": "10"}, prices)
    snap = Snapshot("USDT", snap.balances, snap.prices, {a: RULES[a] for a in markets}, D(0), snap.taken_at)

    with pytest.raises(PlanningError, match=message):
        plan_rebalance(snap, weights(BTC="50", SOL="40", USDT="10"), settings())


@pytest.mark.parametrize("amount", ["0.00043", "0.00004"])  # below min notional; below one step
def test_dust_without_a_target_is_neither_traded_nor_skipped_nor_valued(amount: str) -> None:
    # Dust (trimtab.planning.dust) stays out of the plan: no order, no skipped-trade noise, no value.
    snap = snapshot({"ETH": amount, "USDT": "100"}, {"ETH": "3600"})
    plan = plan_rebalance(snap, weights(ETH="0", USDT="100"), settings(sell_unlisted=True))

    assert (plan.orders, plan.skipped, plan.total_value) == ((), (), D(100))


def test_locked_balance_is_valued_but_not_sold() -> None:
    snap = snapshot({"USDT": "0"}, {"ETH": "1000"})
    snap = Snapshot(
        "USDT", {"ETH": Balance(D("0.5"), D("2"))}, snap.prices, snap.markets, D(0), snap.taken_at
    )
    plan = plan_rebalance(snap, weights(ETH="0", USDT="100"), settings())

    assert plan.total_value == D("2000")
    assert summary(plan) == [(0, "sell", "ETH", D("0.5"), D("1000"))]


def test_targets_that_do_not_sum_to_100_are_rejected() -> None:
    snap = snapshot({"USDT": "100"}, {"BTC": "60000"})
    with pytest.raises(PlanningError, match="sum to 90"):
        plan_rebalance(snap, weights(BTC="60", USDT="30"), settings())


@pytest.mark.parametrize(
    ("min_trade", "max_trade", "slippage"),
    [("-1", "10", "0"), ("0", "0", "0"), ("0", "101", "0"), ("0", "10", "-1")],
)
def test_settings_out_of_range_are_rejected(min_trade: str, max_trade: str, slippage: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        settings(min_trade, max_trade, slippage)


def test_empty_portfolio_gives_an_empty_plan() -> None:
    plan = plan_rebalance(snapshot({}, {"BTC": "60000"}), weights(BTC="100"), settings())

    assert plan == Plan((), (), D(0))


def test_planning_twice_gives_the_same_plan_and_value_is_conserved_at_the_last_price() -> None:
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, SEED_PRICES)
    plan = plan_rebalance(snap, SEED_TARGETS, settings(max_trade="5", slippage="0.3"))

    assert plan == plan_rebalance(snap, dict(reversed(SEED_TARGETS.items())), settings("0", "5", "0.3"))
    result = simulate(snap, plan, at_reference)
    after = sum(b.total * (snap.price(a)) for a, b in result.balances.items())
    assert after == plan.total_value - result.fees_value


def test_docstring_example_sells_the_btc_excess_at_the_slipped_limit() -> None:
    snap = snapshot({"BTC": "0.1", "USDT": "4000"}, {"BTC": "60000"})
    plan = plan_rebalance(snap, weights(BTC="50", USDT="50"), settings(slippage="0.5"))

    assert summary(plan) == [(0, "sell", "BTC", D("0.01666"), D("59700"))]


def test_sell_of_a_fully_locked_holding_is_skipped_with_the_reason() -> None:
    snap = snapshot({"USDT": "0"}, {"BTC": "60000"})
    snap = Snapshot(
        "USDT", {"BTC": Balance(D(0), D("0.001"))}, snap.prices, snap.markets, D(0), snap.taken_at
    )
    plan = plan_rebalance(snap, weights(BTC="50", USDT="50"), settings())

    # V = 60 USDT, all of it in BTC sitting in open orders: nothing can be sold now.
    assert plan.orders == ()
    assert plan.skipped[0].reason == "BTC: sell of 30 USDT cannot be placed: only 0 BTC is free"


def test_buys_with_no_free_cash_are_skipped_with_the_reason() -> None:
    snap = snapshot({}, {"BTC": "60000"})
    snap = Snapshot("USDT", {"USDT": Balance(D(0), D(100))}, snap.prices, snap.markets, D(0), snap.taken_at)
    plan = plan_rebalance(snap, weights(BTC="50", USDT="50"), settings())

    assert plan.orders == ()
    assert plan.skipped[0].reason == (
        "BTC: buy of 0.00083 BTC (49.8 USDT) is skipped: scaled down to 0 BTC to fit the 0 USDT of cash "
        "after sells, nothing is left"
    )


def test_buy_only_replan_leaves_the_sell_side_alone() -> None:
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, SEED_PRICES)
    buy_only = PlannerSettings(D("20"), D("20"), D("0.5"), allow_sells=False)
    plan = plan_rebalance(snap, SEED_TARGETS, buy_only)

    assert plan.sells == ()
    assert plan.skipped == ()
    # Only the 500 USDT on hand is spent, so the three buys are scaled down together.
    assert [o.asset for o in plan.buys] == ["ETH", "SOL", "BNB"]
    assert sum(o.amount * o.limit_price for o in plan.orders) * D("1.001") <= D("500")


def test_an_order_worth_exactly_the_cap_is_one_order_and_one_step_more_is_two() -> None:
    # V = 10000, cap 20 % = 2000 USDT = 0.04 BTC at 50000: a trade within the cap never needs the
    # largest piece worked out, one just above it is split at that piece.
    at_cap = snapshot({"BTC": "0.06", "USDT": "7000"}, {"BTC": "50000"})
    plan = plan_rebalance(at_cap, weights(BTC="10", USDT="90"), settings(max_trade="20"))
    assert [(o.side, o.amount) for o in plan.orders] == [(Side.SELL, D("0.04"))]

    above = snapshot({"BTC": "0.06001", "USDT": "6999.5"}, {"BTC": "50000"})
    plan = plan_rebalance(above, weights(BTC="10", USDT="90"), settings(max_trade="20"))
    assert [o.amount for o in plan.orders] == [D("0.02001"), D("0.02000")]


def test_buys_planned_after_the_sells_keep_skipped_trades_in_asset_order() -> None:
    # No sell is placed (DOGE's is below the minimum trade), so a plan without buys_with_sells is the
    # full plan, skipped trades in the same order: the BTC and ETH buys round down to 0 around DOGE.
    snap = snapshot(
        {"BTC": "0.004995", "DOGE": "1001", "ETH": "0.09999", "SOL": "1.2", "USDT": "121"},
        {"BTC": "60000", "DOGE": "0.1", "ETH": "3000", "SOL": "150"},
    )
    targets = weights(BTC="30", DOGE="10", ETH="30", SOL="20", USDT="10")
    full = plan_rebalance(snap, targets, settings(min_trade="0.1"))
    lean = plan_rebalance(snap, targets, replace(settings(min_trade="0.1"), buys_with_sells=False))

    assert summary(full) == [(0, "buy", "SOL", D("0.134"), D("150"))]
    assert [(s.asset, s.side) for s in full.skipped] == [
        ("BTC", Side.BUY),
        ("DOGE", Side.SELL),
        ("ETH", Side.BUY),
    ]
    assert repr(lean) == repr(full)


def test_without_buys_with_sells_a_plan_with_sells_has_only_them() -> None:
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, SEED_PRICES)
    lean = plan_rebalance(
        snap,
        SEED_TARGETS,
        replace(settings(min_trade="20", max_trade="20", slippage="0.5"), buys_with_sells=False),
    )
    assert summary(lean) == [(0, "sell", "BTC", D("0.02"), D("59700"))]


def test_legs_can_continue_a_runs_numbering() -> None:
    snap = snapshot({"BTC": "0.1", "ETH": "1", "SOL": "10", "BNB": "1.666", "USDT": "500"}, SEED_PRICES)
    plan = plan_rebalance(
        snap, SEED_TARGETS, settings(min_trade="20", max_trade="20", slippage="0.5"), first_leg=4
    )
    assert [o.leg for o in plan.orders] == [4, 5, 6, 7]

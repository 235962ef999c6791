"""Example tests of the cheapest route: cross pairs used when one trade there is cheaper than two
through the quote, and never when the pair cannot take the trade."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from plan_fills import at_limit, at_reference, simulate

from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.constraints import rule_violation
from trimtab.planning.options import Routing
from trimtab.planning.plan import Plan, PlannedOrder, spends_quote
from trimtab.planning.planner import PlannerSettings, plan_rebalance

D = Decimal

MARKETS = {
    "BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01")),
    "ETH": MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D("5"), D("0.01")),
    "SOL": MarketRules("SOL", "USDT", D("0.001"), D("0.001"), D("5"), D("0.01")),
}
ETH_BTC = MarketRules("ETH", "BTC", D("0.0001"), D("0.0001"), D("0.0001"), D("0.00001"))
SOL_BTC = MarketRules("SOL", "BTC", D("0.001"), D("0.001"), D("0.0001"), D("0.0000001"))
PRICES = {"BTC": D(60000), "ETH": D(3000), "SOL": D(150)}
HALF = {"BTC": D(50), "ETH": D(50)}


def snapshot(
    holdings: dict[str, str],
    pairs: dict[str, tuple[MarketRules, str]] | None = None,
    *,
    fee_rate: str = "0.001",
    **extra: object,
) -> Snapshot:
    """Everything free, Binance-like rules; ``pairs`` maps a cross symbol to (rules, last price)."""
    chosen = pairs if pairs is not None else {"ETH/BTC": (ETH_BTC, "0.05")}
    snap = Snapshot(
        quote="USDT",
        balances={a: Balance(D(v), D(v)) for a, v in holdings.items()},
        prices=PRICES,
        markets=MARKETS,
        fee_rate=D(fee_rate),
        taken_at=datetime(2025, 1, 6, 12, tzinfo=UTC),
        pairs={s: r for s, (r, _) in chosen.items()},
        pair_prices={s: D(p) for s, (_, p) in chosen.items()},
    )
    return replace(snap, **extra)  # type: ignore[arg-type]


def settings(routing: Routing = Routing.CHEAPEST, **extra: object) -> PlannerSettings:
    base = PlannerSettings(D(1), D(100), D("0.5"), routing=routing)
    return replace(base, **extra)  # type: ignore[arg-type]


def cross(plan: Plan) -> list[PlannedOrder]:
    return [o for o in plan.orders if not o.symbol.endswith("/USDT")]


def quote_only(snap: Snapshot, targets: dict[str, D], **extra: object) -> Plan:
    return plan_rebalance(snap, targets, settings(Routing.QUOTE, **extra))


def assert_safe(snap: Snapshot, plan: Plan) -> None:
    """Every order passes its market's rules and the plan fills at its worst and at the last prices."""
    for order in plan.orders:
        rules = snap.pairs.get(order.symbol) or snap.markets[order.asset]
        assert rules.symbol == order.symbol
        assert rule_violation(rules, order.amount, order.limit_price) is None
    for fill_at in (at_limit, at_reference):
        result = simulate(snap, plan, fill_at)
        assert all(b.free >= 0 for b in result.balances.values())


def test_btc_over_eth_under_moves_the_value_on_eth_btc_for_about_half_the_fees() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"})  # 12000 BTC + 3000 ETH: BTC 4500 over
    plan = plan_rebalance(snap, HALF, settings())

    [leg] = cross(plan)
    assert plan.orders[0] == leg  # cross legs come first
    assert (leg.symbol, leg.side, leg.asset) == ("ETH/BTC", Side.BUY, "ETH")
    assert leg.limit_price == D("0.05025")  # 0.05 x 1.005 on the pair's own tick, in BTC
    assert leg.reference_price == D("0.05")
    assert leg.value == leg.amount * PRICES["ETH"]  # in the portfolio quote
    assert leg.value > D(4400)  # nearly all of the move
    quote = quote_only(snap, HALF)
    assert plan.quote_route_fees == quote.estimated_fees == D("8.9463")
    assert plan.estimated_fees < D("0.55") * plan.quote_route_fees
    assert [o.leg for o in plan.orders] == list(range(len(plan.orders)))
    assert_safe(snap, plan)


def test_eth_over_btc_under_sells_eth_for_btc() -> None:
    snap = snapshot({"BTC": "0.05", "ETH": "5", "USDT": "0"})  # 3000 BTC + 15000 ETH
    plan = plan_rebalance(snap, HALF, settings())
    [leg] = cross(plan)
    assert (leg.symbol, leg.side, leg.asset) == ("ETH/BTC", Side.SELL, "ETH")
    assert leg.limit_price == D("0.04975")
    assert plan.quote_route_fees is not None
    assert plan.estimated_fees < D("0.55") * plan.quote_route_fees
    assert_safe(snap, plan)


def test_the_weights_after_routing_are_as_close_to_target_as_the_quote_route() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"})
    for plan in (plan_rebalance(snap, HALF, settings()), quote_only(snap, HALF)):
        after = simulate(snap, plan, at_reference).balances
        btc, eth = after["BTC"].total * PRICES["BTC"], after["ETH"].total * PRICES["ETH"]
        usdt = after["USDT"].total
        total = btc + eth + usdt
        assert abs(btc / total - D("0.5")) < D("0.004")
        assert abs(eth / total - D("0.5")) < D("0.004")


def test_without_a_cross_pair_between_the_assets_the_plan_is_the_quote_route() -> None:
    for pairs in ({}, {"SOL/BTC": (SOL_BTC, "0.0025")}):
        # BTC and SOL are both over target: SOL/BTC joins two sellers, no route through it.
        snap = snapshot({"BTC": "0.2", "ETH": "1", "SOL": "20", "USDT": "0"}, pairs)
        targets = {"BTC": D(40), "ETH": D(50), "SOL": D(10)}
        plan = plan_rebalance(snap, targets, settings())
        quote = quote_only(snap, targets)
        assert plan.orders == quote.orders
        assert plan.skipped == quote.skipped
        assert plan.estimated_fees == plan.quote_route_fees == quote.estimated_fees


def test_quote_routing_ignores_the_pairs_and_reports_no_quote_route_fees() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"})
    plan = quote_only(snap, HALF)
    assert not cross(plan)
    assert plan.quote_route_fees is None
    assert plan.estimated_fees == sum(o.value for o in plan.orders) * snap.fee_rate


def test_a_cross_leg_below_the_pair_minimum_goes_through_the_quote() -> None:
    tiny = {"ETH/BTC": (replace(ETH_BTC, min_notional=D(1)), "0.05")}  # 1 BTC minimum: 60000 USDT
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"}, tiny)
    plan = plan_rebalance(snap, HALF, settings())
    assert plan.orders == quote_only(snap, HALF).orders


def test_a_cross_leg_below_min_trade_value_goes_through_the_quote() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"})
    plan = plan_rebalance(snap, HALF, settings(min_trade_value=D(5000)))  # the move is worth 4500
    assert not cross(plan)


def test_no_leg_on_a_frozen_asset_a_halted_pair_a_missing_or_a_stale_price() -> None:
    holdings = {"BTC": "0.2", "ETH": "1", "USDT": "0"}
    cases = [
        snapshot(holdings, frozen={"ETH": "ETH/USDT is halted"}),
        snapshot(holdings, frozen={"BTC": "BTC fell 35% in 24 h"}),
        snapshot(holdings, {"ETH/BTC": (replace(ETH_BTC, status="halted"), "0.05")}),
        snapshot(holdings, pair_prices={}),
        snapshot(holdings, {"ETH/BTC": (ETH_BTC, "0.052")}),  # 4 % off the implied 0.05: stale
        snapshot(holdings, {"ETH/BTC": (ETH_BTC, "0")}),
    ]
    for snap in cases:
        plan = plan_rebalance(snap, HALF, settings())
        assert not cross(plan), snap


def test_at_fee_zero_the_cross_spread_is_not_worth_it() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"}, fee_rate="0")
    plan = plan_rebalance(snap, HALF, settings())
    assert not cross(plan)
    assert plan.estimated_fees == plan.quote_route_fees == 0


def test_a_cross_leg_never_pays_more_than_is_free_at_its_limit() -> None:
    # 0.2 BTC held, 0.03 free (the rest locked): the BUY on ETH/BTC may spend 0.03 BTC at its limit.
    snap = snapshot({"ETH": "1", "USDT": "0"})
    snap = replace(snap, balances={**snap.balances, "BTC": Balance(D("0.03"), D("0.2"))})
    plan = plan_rebalance(snap, HALF, settings())
    [leg] = cross(plan)
    assert leg.amount * leg.limit_price <= D("0.03")
    assert leg.amount * leg.limit_price > D("0.029")
    assert_safe(snap, plan)


def test_the_order_cap_splits_cross_legs() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"})
    plan = plan_rebalance(snap, HALF, settings(max_trade_percent=D(10)))  # 1500 USDT per order
    legs = cross(plan)
    assert len(legs) == 3
    assert all(o.value <= D(1500) for o in plan.orders)
    assert max(o.amount for o in legs) - min(o.amount for o in legs) <= ETH_BTC.amount_step
    assert_safe(snap, plan)


def test_routing_is_off_for_the_buy_leg_and_buys_wait_for_the_first_leg() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "USDT": "0"})
    assert not cross(plan_rebalance(snap, HALF, settings(allow_sells=False)))
    plan = plan_rebalance(snap, HALF, settings(buys_with_sells=False), first_leg=4)
    assert [o.leg for o in plan.orders] == list(range(4, 4 + len(plan.orders)))
    assert cross(plan)
    assert not [o for o in plan.orders if spends_quote(o, "USDT")]  # no quote buys: they are re-planned
    full = plan_rebalance(snap, HALF, settings())
    assert plan.quote_route_fees == full.quote_route_fees


def test_first_leg_orders_are_the_cross_legs_and_the_sells() -> None:
    snap = snapshot({"BTC": "0.2", "ETH": "1", "SOL": "100", "USDT": "0"})  # SOL 15000: sold to the quote
    targets = {"BTC": D(40), "ETH": D(40), "USDT": D(20)}
    plan = plan_rebalance(snap, targets, settings())
    first = plan.first_leg("USDT")
    assert first == tuple(o for o in plan.orders if not spends_quote(o, "USDT"))
    assert [o.symbol for o in first][:1] == ["ETH/BTC"] or not cross(plan)
    assert {o.symbol for o in plan.orders if spends_quote(o, "USDT")} <= {"ETH/USDT", "BTC/USDT"}
    assert_safe(snap, plan)


def test_a_cross_leg_leaves_no_rest_too_small_for_the_quote_market() -> None:
    # BTC is 115 USDT over, ETH 97.5 under, min_trade_usd 20: all of it on ETH/BTC would leave a
    # 17.7 USDT BTC sell, skipped, BTC off target. The leg is made smaller so that both rests trade.
    snap = snapshot({"BTC": "0.06", "ETH": "0.6", "SOL": "10", "USDT": "0"})  # 3600 + 1800 + 1500
    targets = {"BTC": D("50.5"), "ETH": D("27.5"), "SOL": D(22)}
    plan = plan_rebalance(snap, targets, settings(min_trade_value=D(20)))
    [leg] = cross(plan)
    rests = {(o.symbol, o.side) for o in plan.orders if o is not leg}
    assert rests == {("BTC/USDT", Side.SELL), ("ETH/USDT", Side.BUY)}
    assert all(o.value >= 20 for o in plan.orders)
    assert {t.asset for t in plan.skipped} == {"SOL"}  # as on the quote route: 18 USDT to buy
    assert {t.asset for t in quote_only(snap, targets, min_trade_value=D(20)).skipped} == {"SOL"}
    assert plan.quote_route_fees is not None
    assert plan.estimated_fees < plan.quote_route_fees
    assert_safe(snap, plan)

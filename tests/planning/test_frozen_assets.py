"""An asset a guard froze (``Snapshot.frozen``) is neither bought nor sold: it stays at its current weight,
the others are rebalanced among themselves, no cross pair through it is routed, and the skipped trade
says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.options import Routing
from trimtab.planning.planner import PlannerSettings, plan_rebalance

D = Decimal
MARKETS = {
    "BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01")),
    "ETH": MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D("5"), D("0.01")),
    "SOL": MarketRules("SOL", "USDT", D("0.001"), D("0.001"), D("5"), D("0.01"), status="halted"),
}
ETH_BTC = MarketRules("ETH", "BTC", D("0.0001"), D("0.0001"), D("0.0001"), D("0.00001"))
SOL_BTC = MarketRules("SOL", "BTC", D("0.001"), D("0.001"), D("0.0001"), D("0.0000001"))
PRICES = {"BTC": D(60000), "ETH": D(3000), "SOL": D(150)}
TARGETS = {"BTC": D(40), "ETH": D(30), "SOL": D(30)}
SETTINGS = PlannerSettings(D(1), D(100), D("0.5"))


def snapshot(frozen: dict[str, str]) -> Snapshot:
    """10000 USDT of cash, 1000 USDT of SOL: SOL is 20 points under its 30."""
    return Snapshot(
        quote="USDT",
        balances={"USDT": Balance(D(10000), D(10000)), "SOL": Balance(D(1000) / 150, D(1000) / 150)},
        prices=PRICES,
        markets=MARKETS,
        fee_rate=D("0.001"),
        taken_at=datetime(2025, 1, 6, 12, tzinfo=UTC),
        frozen=frozen,
    )


def test_a_frozen_asset_is_not_traded_and_the_others_share_the_rest() -> None:
    plan = plan_rebalance(snapshot({"SOL": "SOL/USDT is halted"}), TARGETS, SETTINGS)
    assert {o.asset for o in plan.orders} == {"BTC", "ETH"}
    assert all(o.side is Side.BUY for o in plan.orders)
    by_asset = {o.asset: o.value for o in plan.orders}
    # SOL keeps its 1000 of 11000; BTC and ETH share the 10000 left as 40 : 30
    assert abs(by_asset["BTC"] - D(10000) * 40 / 70) < 60
    assert abs(by_asset["ETH"] - D(10000) * 30 / 70) < 60
    [note] = plan.skipped
    assert (note.asset, note.side) == ("SOL", Side.BUY)
    assert note.value == D(11000) * 30 / 100 - 1000
    assert note.reason == "SOL/USDT is halted; SOL stays at its current weight and is not traded"


def test_without_the_freeze_the_asset_is_bought() -> None:
    plan = plan_rebalance(snapshot({}), TARGETS, replace(SETTINGS, sell_unlisted=False))
    assert "SOL" in {o.asset for o in plan.orders}


def test_no_cross_pair_through_a_frozen_asset_is_routed() -> None:
    snap = replace(
        snapshot({"SOL": "SOL fell 40 % in 24 h"}),
        balances={
            "BTC": Balance(D("0.2"), D("0.2")),
            "SOL": Balance(D(10), D(10)),
            "ETH": Balance(D(1), D(1)),
        },
        pairs={"ETH/BTC": ETH_BTC, "SOL/BTC": SOL_BTC},
        pair_prices={"ETH/BTC": D("0.05"), "SOL/BTC": D("0.0025")},
        markets={**MARKETS, "SOL": replace(MARKETS["SOL"], status="trading")},
    )
    plan = plan_rebalance(
        snap, {"BTC": D(40), "ETH": D(40), "SOL": D(20)}, replace(SETTINGS, routing=Routing.CHEAPEST)
    )
    assert plan.orders
    assert all(o.asset != "SOL" and "SOL" not in o.symbol for o in plan.orders)
    assert [t.asset for t in plan.skipped] == ["SOL"]

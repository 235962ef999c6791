"""External holdings in the planner, and the sizing of a withdrawal (trimtab.planning.withdrawal)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.planning.withdrawal import excesses, size_withdrawal

D = Decimal
RULES = {
    "BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01")),
    "ETH": MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D("5"), D("0.01")),
    "SOL": MarketRules("SOL", "USDT", D("0.001"), D("0.001"), D("5"), D("0.01")),
}
PRICES = {"BTC": D(60000), "ETH": D(3000), "SOL": D(150)}
STEPS = {a: rules.amount_step for a, rules in RULES.items()}
SETTINGS = PlannerSettings(min_trade_value=D(10), max_trade_percent=D(100), slippage_percent=D("0.5"))


def snapshot(
    holdings: dict[str, str], *, external: dict[str, str] | None = None, fee: str = "0.001"
) -> Snapshot:
    return Snapshot(
        quote="USDT",
        balances={a: Balance(D(v), D(v)) for a, v in holdings.items()},
        prices=PRICES,
        markets=RULES,
        fee_rate=D(fee),
        taken_at=datetime(2025, 1, 1, tzinfo=UTC),
        external={a: D(v) for a, v in (external or {}).items()},
    )


def test_external_btc_counts_towards_the_target_and_is_never_sold() -> None:
    # 0.5 BTC in cold storage (30000) + 0.1 BTC on the venue (6000) against 14000 USDT: BTC is at 72 %
    # of 50000, target 50: the plan sells 11000 of BTC, but only the 0.1 BTC on the venue can go.
    snap = snapshot({"BTC": "0.1", "USDT": "14000"}, external={"BTC": "0.5"})
    plan = plan_rebalance(snap, {"BTC": D(50), "USDT": D(50)}, SETTINGS)
    assert plan.total_value == D(50000)  # the external BTC counts
    assert [(o.side, o.asset) for o in plan.orders] == [(Side.SELL, "BTC")]
    assert plan.orders[0].amount <= D("0.1")  # never more than the venue holds


def test_external_btc_at_target_means_no_order_for_it() -> None:
    # 0.5 BTC external = 30000, 30000 USDT: on target; nothing to do, nothing placed for the external BTC.
    snap = snapshot({"USDT": "30000"}, external={"BTC": "0.5"})
    plan = plan_rebalance(snap, {"BTC": D(50), "USDT": D(50)}, SETTINGS)
    assert plan.orders == ()


def test_external_btc_under_target_is_bought_on_the_venue() -> None:
    snap = snapshot({"USDT": "40000"}, external={"BTC": "0.5"})  # 30000 of 70000: under 50 %
    plan = plan_rebalance(snap, {"BTC": D(50), "USDT": D(50)}, SETTINGS)
    assert [(o.side, o.asset) for o in plan.orders] == [(Side.BUY, "BTC")]
    assert abs(plan.orders[0].value - D(5000)) < D(1)  # 35000 target - 30000 held


def test_target_zero_sells_only_the_free_balance_on_the_venue() -> None:
    snap = snapshot({"BTC": "0.1", "USDT": "1000"}, external={"BTC": "0.5"})
    plan = plan_rebalance(snap, {"BTC": D(0), "USDT": D(100)}, SETTINGS)
    assert [(o.side, o.amount) for o in plan.orders] == [(Side.SELL, D("0.1"))]


def test_withdrawal_sells_the_most_over_target_first_and_leaves_the_rest_on_target() -> None:
    # 40000 in all: BTC 24000 (60 %), ETH 12000 (30 %), USDT 4000 (10 %); targets 50/30/20.
    snap = snapshot({"BTC": "0.4", "ETH": "4", "USDT": "4000"})
    targets = {"BTC": D(50), "ETH": D(30), "USDT": D(20)}
    sizing = size_withdrawal(snap, targets, "USDT", D(5000), steps=STEPS, slippage_percent=D("0.5"))
    # On 35000: BTC 17500, ETH 10500, USDT 7000 + 5000 = 12000: BTC gives 6500, ETH 1500.
    assert sizing.sells == {"BTC": D(6500), "ETH": D(1500)}
    assert sizing.needed == D(8000)
    assert sizing.shortfall == 0
    assert sum(sizing.targets.values()) == D(100)
    plan = plan_rebalance(snap, sizing.targets, SETTINGS)
    assert all(o.side is Side.SELL for o in plan.orders)
    raised = sum((o.amount * o.limit_price * (1 - snap.fee_rate) for o in plan.orders), D(0))
    assert raised >= D(8000)  # even at the limit price: grossed up for slippage, the fee and the step
    assert raised < D(8000) * D("1.002") + 60  # and not much more


def test_water_filling_levels_the_largest_excesses_first() -> None:
    # 45000: BTC 30000, ETH 12000, SOL 0, USDT 3000; targets 40/20/20/20. Withdrawing 1000 leaves 44000:
    # BTC is 12400 over, ETH 3200 over, SOL 8800 under, and USDT lacks 6800. Levelling the excesses
    # from the top, BTC alone comes down to 5600 over before ETH would have to give anything.
    snap = snapshot({"BTC": "0.5", "ETH": "4", "USDT": "3000"})
    targets = {"BTC": D(40), "ETH": D(20), "SOL": D(20), "USDT": D(20)}
    sizing = size_withdrawal(snap, targets, "USDT", D(1000))
    assert sizing.sells == {"BTC": D(6800)}
    # Withdrawing 8200 leaves 36800: BTC 15280 over, ETH 4640, USDT lacks 12560; levelled from the top,
    # (15280 - L) + (4640 - L) = 12560 at L = 3680.
    sizing = size_withdrawal(snap, targets, "USDT", D(8200))
    assert sizing.sells == {"BTC": D(11600), "ETH": D(960)}


def test_a_preference_order_decides_which_asset_gives_first() -> None:
    snap = snapshot({"BTC": "0.5", "ETH": "4", "USDT": "3000"})
    targets = {"BTC": D(40), "ETH": D(20), "SOL": D(20), "USDT": D(20)}
    sizing = size_withdrawal(snap, targets, "USDT", D(1000), preference=["ETH", "BTC"])
    assert sizing.sells == {"ETH": D(3200), "BTC": D(3600)}


def test_a_withdrawal_that_only_external_holdings_could_pay_for_is_short() -> None:
    snap = snapshot({"USDT": "1000"}, external={"BTC": "1"})  # 61000, 60000 of it external
    sizing = size_withdrawal(snap, {"BTC": D(50), "USDT": D(50)}, "USDT", D(5000))
    assert sizing.shortfall == D(4000)  # the cash lacking on the exchange, not the whole imbalance


def test_withdrawing_an_asset_buys_it_with_the_proceeds() -> None:
    snap = snapshot({"BTC": "0.1", "ETH": "10", "USDT": "0"})  # 6000 / 30000
    targets = {"BTC": D(50), "ETH": D(50)}
    sizing = size_withdrawal(snap, targets, "BTC", D("0.1"), steps=STEPS, slippage_percent=D("0.5"))
    # On 30000: BTC goal 15000 + 6000 = 21000 (lacks 15000); ETH goal 15000, excess 15000.
    # The sells are sized to pay for the BTC at its worst allowed price with the fee: a little under target.
    assert sizing.sells == {"ETH": D(15000) * D("1.005") * D("1.001")}
    plan = plan_rebalance(snap, sizing.targets, SETTINGS)
    assert [(o.side, o.asset) for o in plan.orders] == [(Side.SELL, "ETH"), (Side.BUY, "BTC")]
    assert plan.orders[1].amount >= D("0.25")  # 15000 of BTC: the 0.1 to withdraw is there after the buy


def test_excesses_are_what_each_asset_holds_above_target_within_its_free_balance() -> None:
    snap = snapshot({"BTC": "0.4", "ETH": "4", "USDT": "4000"}, external={"BTC": "0.05"})
    found = excesses(snap, {"BTC": D(50), "ETH": D(30), "USDT": D(20)}, "USDT", D(5000))
    assert set(found) == {"BTC", "ETH"}
    assert found["BTC"] <= D("0.4") * 60000

"""Example tests of the weights a rebalance trades to under ``rebalance_to`` and ``sells``, and of the
plans they give: each a situation an owner meets (a drift past the band, a deposit, contributions only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.effective_targets import effective_targets
from trimtab.planning.options import RebalanceTo, Sells
from trimtab.planning.planner import PlannerSettings, plan_rebalance

D = Decimal
ASSETS = ("BTC", "ETH", "SOL")


def snapshot(**values: str) -> Snapshot:
    """Holdings worth ``values`` USDT each; every asset priced 1 on a fine lot grid (so weights are
    the values in percent of their sum)."""
    return Snapshot(
        quote="USDT",
        balances={a: Balance(D(v), D(v)) for a, v in values.items()},
        prices=dict.fromkeys(ASSETS, D(1)),
        markets={a: MarketRules(a, "USDT", D("1e-8"), D(0), D(0), D("1e-8")) for a in ASSETS},
        fee_rate=D(0),
        taken_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def settings(
    to: RebalanceTo = RebalanceTo.TARGET, sells: Sells = Sells.ALLOWED, band: str | None = "5"
) -> PlannerSettings:
    return PlannerSettings(
        D(0), D(100), D(0), rebalance_to=to, sells=sells, band_percent=None if band is None else D(band)
    )


TARGETS = {"BTC": D(50), "ETH": D(30), "SOL": D(20)}


def rounded(weights: dict[str, D] | object) -> dict[str, D]:
    assert isinstance(weights, dict)
    return {a: w.quantize(D("0.0001")) for a, w in sorted(weights.items())}


def test_target_and_allowed_leaves_the_targets_alone() -> None:
    snap = snapshot(BTC="60", ETH="25", SOL="15")
    assert effective_targets(snap, TARGETS, settings()) is TARGETS


def test_band_edge_trades_only_the_assets_past_their_band_and_only_to_the_edge() -> None:
    # BTC 60 (+10, past), ETH 25 (-5, inside: not past at exactly the band), SOL 15 (-5, inside).
    snap = snapshot(BTC="60", ETH="25", SOL="15")
    weights = effective_targets(snap, TARGETS, settings(RebalanceTo.BAND_EDGE))
    # BTC to 55; the 5 points go to the cash, which may hold up to its band (target 0 + 5).
    assert rounded(weights) == {"BTC": D(55), "ETH": D(25), "SOL": D(15), "USDT": D(5)}


def test_halfway_stops_halfway_between_the_edge_and_the_target() -> None:
    snap = snapshot(BTC="60", ETH="25", SOL="15")
    weights = effective_targets(snap, TARGETS, settings(RebalanceTo.HALFWAY))
    # BTC to 52.5: the 7.5 points are more than the cash's band takes (5); the rest raises the
    # in-band ETH and SOL toward their targets by the same share of their gaps (2.5 of 10).
    assert rounded(weights) == {"BTC": D("52.5"), "ETH": D("26.25"), "SOL": D("16.25"), "USDT": D(5)}


def test_the_in_band_assets_pay_for_a_buy_when_the_cash_cannot() -> None:
    # SOL 12 (-8, past) must be bought to 15; no cash, so BTC and ETH (each 4 over, inside) pay the
    # 3 points, each falling the same share (3/8) of its way to its target.
    snap = snapshot(BTC="54", ETH="34", SOL="12")
    weights = effective_targets(snap, TARGETS, settings(RebalanceTo.BAND_EDGE))
    assert rounded(weights) == {"BTC": D("52.5"), "ETH": D("32.5"), "SOL": D(15), "USDT": D(0)}


def test_an_untraded_asset_plans_no_order_and_no_skipped_trade() -> None:
    # Prices and amounts whose weights do not divide evenly: BTC is past its band (about 56.6 %),
    # ETH (26.6 %) and SOL (17.0 %) are inside theirs and get neither an order nor a skipped line.
    held = {"BTC": D("0.61234567"), "ETH": D("8.40008"), "SOL": D("17.8217")}
    snap = Snapshot(
        "USDT",
        {a: Balance(v, v) for a, v in held.items()},
        {"BTC": D("97.13"), "ETH": D("3.3333"), "SOL": D("1.01")},
        snapshot().markets,
        D("0.001"),
        datetime(2026, 1, 5, tzinfo=UTC),
    )
    plan = plan_rebalance(snap, TARGETS, settings(RebalanceTo.BAND_EDGE))
    assert [(o.side, o.asset) for o in plan.orders] == [(Side.SELL, "BTC")]
    assert plan.skipped == ()
    calm = snapshot(BTC="52", ETH="29", SOL="19")
    plan = plan_rebalance(calm, TARGETS, settings(RebalanceTo.BAND_EDGE))
    assert plan.orders == ()
    assert plan.skipped == ()


def test_sells_never_invests_the_cash_into_the_most_under_target_assets_first() -> None:
    # 10 points of cash; ETH is 8 under, SOL 6 under, BTC 4 over (kept: nothing is sold).
    snap = snapshot(BTC="54", ETH="22", SOL="14", USDT="10")
    weights = effective_targets(snap, TARGETS, settings(sells=Sells.NEVER))
    # Water-filling: ETH alone until it is 6 under like SOL (2 points), then both alike (4 each):
    # both end 2 under; the cash is spent.
    assert rounded(weights) == {"BTC": D(54), "ETH": D(28), "SOL": D(18), "USDT": D(0)}
    plan = plan_rebalance(snap, TARGETS, settings(sells=Sells.NEVER))
    assert {o.side for o in plan.orders} == {Side.BUY}
    assert {o.asset: o.amount for o in plan.orders} == {"ETH": D(6), "SOL": D(4)}


def test_sells_never_does_not_need_a_band() -> None:
    snap = snapshot(BTC="70", ETH="20", SOL="10", USDT="5")
    weights = effective_targets(snap, TARGETS, settings(sells=Sells.NEVER, band=None))
    assert rounded(weights)["BTC"] == rounded({"x": D(70) / D("1.05")})["x"]  # held where it is
    assert all(w >= 0 for w in weights.values())


def test_only_past_band_sells_only_what_is_past_its_band() -> None:
    # BTC +10 (past) is sold to target; ETH +4 (inside) is kept; SOL -14 takes what there is.
    snap = snapshot(BTC="60", ETH="34", SOL="6")
    weights = effective_targets(snap, TARGETS, settings(sells=Sells.ONLY_PAST_BAND))
    assert rounded(weights) == {"BTC": D(50), "ETH": D(34), "SOL": D(16), "USDT": D(0)}


def test_a_deposit_that_fits_the_bands_is_invested_without_selling() -> None:
    # BTC is 3.6 points over (inside its band); 10 % of the portfolio arrived as cash.
    snap = snapshot(BTC="54", ETH="23", SOL="13", USDT="10")
    targets = {"BTC": D(50), "ETH": D(30), "SOL": D(20)}
    plan = plan_rebalance(snap, targets, settings())
    assert [o.side for o in plan.orders] == [Side.BUY, Side.BUY]
    # Without a band, the same portfolio is rebalanced to target (BTC sold), as before issue 14.
    plan = plan_rebalance(snap, targets, settings(band=None))
    assert Side.SELL in {o.side for o in plan.orders}


def test_a_deposit_too_small_for_the_bands_still_sells() -> None:
    snap = snapshot(BTC="62", ETH="22", SOL="14", USDT="2")  # BTC past its band: buying cannot fix it
    plan = plan_rebalance(snap, TARGETS, settings())
    assert [o.asset for o in plan.sells] == ["BTC"]


@pytest.mark.parametrize("to", list(RebalanceTo))
def test_the_first_purchase_from_cash_ends_inside_every_band(to: RebalanceTo) -> None:
    snap = snapshot(USDT="100")
    weights = effective_targets(snap, TARGETS, settings(to))
    assert abs(sum(weights.values()) - 100) < D("1e-20")
    assert all(abs(weights.get(a, D(0)) - TARGETS.get(a, D(0))) <= 5 for a in (*ASSETS, "USDT"))
    if to is RebalanceTo.BAND_EDGE:  # 45/25/15 and the cash at its edge (5); the last 10 points
        # raise the three the same share (2/3) of their way to target
        assert rounded(weights) == {
            "BTC": D("48.3333"), "ETH": D("28.3333"), "SOL": D("18.3333"), "USDT": D(5)
        }  # fmt: skip


def test_a_target_of_zero_is_left_entirely_even_inside_the_band() -> None:
    snap = snapshot(BTC="50", ETH="30", SOL="20")
    weights = effective_targets(
        snap, {"BTC": D(60), "ETH": D(40), "SOL": D(0)}, settings(RebalanceTo.BAND_EDGE, band="25")
    )
    assert weights["SOL"] == 0


def test_the_band_edge_is_pulled_inside_by_the_fees_the_run_pays() -> None:
    # BTC sold 5 points, 60 -> 55: the run's fees (0.1 % of 5 points) shrink the portfolio and lift
    # BTC's weight, so the sell aims 0.005 points inside the edge; nothing else moves past a band.
    snap = replace(snapshot(BTC="60", ETH="25", SOL="15"), fee_rate=D("0.001"))
    weights = effective_targets(snap, TARGETS, settings(RebalanceTo.BAND_EDGE))
    assert rounded(weights)["BTC"] == D("54.995")
    assert weights["USDT"] == 5  # the quote, inside its band, is not pulled: it takes up to its edge
    assert sum(weights.values()) == 100

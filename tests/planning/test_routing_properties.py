"""Property tests of the cheapest route over random portfolios and markets with cross pairs: the routed
plan never overdraws at worst-case fills, every leg passes its market's rules, its fees are never above
the quote-only route's, it lands as close to target (estimated), and no leg touches a frozen asset
or a pair that does not trade.

Portfolios have 3-12 assets plus the quote (USDT), some locked funds, prices from 0.01 to 1e5 USDT;
each random pair of assets may be listed as a cross pair (base/quote either way) at the implied price
on its own tick, sometimes a little off it (or stale), with its own lot step, minimum amount and
minimum notional (in its quote asset), sometimes halted; an asset is sometimes frozen by a guard. Fee
rates 0..0.3 % (mostly 0.075-0.1 %), slippage 0..2 %, order caps 5..100 %, minimum trades 0..20 USDT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st
from plan_fills import at_limit, at_reference, simulate

from trimtab.model.markets import MarketRules
from trimtab.model.money import HUNDRED, ZERO, floor_to_step
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.constraints import exact_arithmetic, rule_violation
from trimtab.planning.options import Routing
from trimtab.planning.plan import Plan, spends_quote
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.planning.routing_check import DRIFT_TOLERANCE, worst_drift

D = Decimal

QUOTE = "USDT"
NAMES = tuple(f"A{i:02d}" for i in range(12))
SATOSHI = D("0.00000001")
EXAMPLES = settings(max_examples=150, deadline=None)
EPSILON = D("1e-18")  # the fee estimates are exact; this only absorbs a last-digit rounding


@dataclass(frozen=True)
class Case:
    snapshot: Snapshot
    targets: dict[str, D]
    settings: PlannerSettings


def _significant(value: D, digits: int) -> tuple[D, D]:
    """``value`` floored to ``digits`` significant digits, and the tick that grid has."""
    tick = D(10) ** (value.adjusted() - digits + 1)
    return max(floor_to_step(value, tick), tick), tick


@st.composite
def cross_pair(draw: st.DrawFn, base: str, quote: str, prices: dict[str, D]) -> tuple[MarketRules, D]:
    implied = prices[base] / prices[quote]
    if draw(st.integers(0, 9)) == 0:  # off the implied price: a little, or stale
        implied *= 1 + D(draw(st.integers(-300, 300))) / 10_000
    price, tick = _significant(implied, draw(st.integers(3, 7)))
    step = D(10) ** draw(st.integers(-8, min(2, -prices[base].adjusted())))  # worth <= ~10 USDT
    min_amount = step * draw(st.sampled_from([0, 1, 10]))
    worth = D(draw(st.sampled_from(["0", "1", "10", "100", "5000"])))  # the minimum notional's USDT worth
    min_notional = _significant(worth / prices[quote], 2)[0] if worth else ZERO
    status = "halted" if draw(st.integers(0, 9)) == 0 else "trading"
    return MarketRules(base, quote, step, min_amount, min_notional, tick, status=status), price


@st.composite
def cases(draw: st.DrawFn) -> Case:
    names = NAMES[: draw(st.integers(3, 12))]
    prices: dict[str, D] = {}
    markets: dict[str, MarketRules] = {}
    balances: dict[str, Balance] = {}
    for asset in names:
        prices[asset], tick = _significant(D(draw(st.integers(1, 10**7))) / 100, draw(st.integers(2, 6)))
        step = D(10) ** draw(st.integers(-8, min(0, -prices[asset].adjusted())))
        min_notional = D(draw(st.sampled_from(["0", "1", "5", "10"])))
        markets[asset] = MarketRules(
            asset, QUOTE, step, step * draw(st.sampled_from([0, 1])), min_notional, tick
        )
        total = floor_to_step(D(draw(st.integers(0, 10**9))) / 10**4 / prices[asset], SATOSHI)
        free = total
        if draw(st.integers(0, 4)) == 0:
            free = floor_to_step(total * draw(st.integers(0, 4)) / 4, SATOSHI)
        balances[asset] = Balance(free, total)
    cash = D(draw(st.integers(0, 10**7))) / 100
    balances[QUOTE] = Balance(cash, cash)
    pairs: dict[str, MarketRules] = {}
    pair_prices: dict[str, D] = {}
    every = [(a, b) for a in names for b in names if a < b]
    listed = (
        every[:40] if draw(st.booleans()) else draw(st.lists(st.sampled_from(every), unique=True, min_size=1))
    )
    for a, b in listed:
        base, quote = (a, b) if draw(st.booleans()) else (b, a)
        rules, price = draw(cross_pair(base, quote, prices))
        pairs[rules.symbol] = rules
        if draw(st.integers(0, 19)):  # now and then a pair without a price
            pair_prices[rules.symbol] = price
    frozen = {draw(st.sampled_from(names)): "halted"} if draw(st.integers(0, 4)) == 0 else {}
    targeted = [*names, QUOTE] if draw(st.booleans()) else list(names)
    raw = draw(st.lists(st.integers(0, 100), min_size=len(targeted), max_size=len(targeted)))
    if sum(raw) == 0:
        raw[0] = 1
    points = [r * 10_000 // sum(raw) for r in raw]
    points[raw.index(max(raw))] += 10_000 - sum(points)
    targets = {a: D(p) / 100 for a, p in zip(targeted, points, strict=True)}
    planner_settings = PlannerSettings(
        min_trade_value=D(draw(st.integers(0, 2000))) / 100,
        max_trade_percent=D(draw(st.integers(500, 10_000))) / 100,
        slippage_percent=D(draw(st.integers(0, 200))) / 100,
        routing=Routing.CHEAPEST,
    )
    fee = D(draw(st.sampled_from(["0", "0.0002", "0.00075", "0.001", "0.001", "0.002", "0.003"])))
    snap = Snapshot(
        QUOTE,
        balances,
        prices,
        markets,
        fee,
        datetime(2025, 1, 1, tzinfo=UTC),
        pairs=pairs,
        pair_prices=pair_prices,
        frozen=frozen,
    )
    return Case(snap, targets, planner_settings)


def plan_of(case: Case) -> Plan:
    return plan_rebalance(case.snapshot, case.targets, case.settings)


@EXAMPLES
@given(cases())
def test_the_routed_plan_never_overdraws_at_its_worst_or_at_the_last_prices(case: Case) -> None:
    plan = plan_of(case)
    # simulate raises InsufficientFunds for a sell beyond the free balance or a buy locking more than
    # is free of what it pays with (the quote, or the cross pair's quote asset), fees charged.
    for fill_at in (at_limit, at_reference):
        result = simulate(case.snapshot, plan, fill_at)
        assert all(b.free >= 0 and b.total >= b.free for b in result.balances.values())
    # The first leg alone (cross legs, then sells), at its worst: the executor places it before any buy.
    first = Plan(plan.first_leg(QUOTE))
    assert all(b.free >= 0 for b in simulate(case.snapshot, first, at_limit).balances.values())


@EXAMPLES
@given(cases())
def test_every_leg_passes_its_markets_rules_within_the_cap_cross_legs_first(case: Case) -> None:
    snap = case.snapshot
    with exact_arithmetic():
        plan = plan_of(case)
        cap = plan.total_value * case.settings.max_trade_percent / HUNDRED
        crossing = True
        for leg, order in enumerate(plan.orders):
            assert order.leg == leg
            is_cross = order.symbol in snap.pairs
            assert crossing or not is_cross  # no cross leg after a quote order
            crossing = crossing and is_cross
            rules = snap.pairs[order.symbol] if is_cross else snap.markets[order.asset]
            assert rules.symbol == order.symbol
            assert rule_violation(rules, order.amount, order.limit_price) is None
            assert order.value == order.amount * snap.prices[order.asset]
            # The quote orders after the cross legs are capped at the value those leave, which a pair
            # priced up to 1 % better than implied (MAX_CROSS_DEVIATION) can raise by as much.
            assert order.value <= (cap if is_cross else cap * D("1.01"))
            if is_cross:
                assert rules.trading
                assert order.reference_price == snap.pair_prices[order.symbol]
                assert not {rules.base, rules.quote} & set(snap.frozen)
                assert not spends_quote(order, QUOTE)


@EXAMPLES
@given(cases())
def test_the_routed_fees_are_never_above_the_quote_only_routes(case: Case) -> None:
    with exact_arithmetic():
        plan = plan_of(case)
        event(f"cross legs: {min(sum(o.symbol in case.snapshot.pairs for o in plan.orders), 3)}")
        assert plan.quote_route_fees is not None
        assert plan.estimated_fees <= plan.quote_route_fees + EPSILON
        assert plan.estimated_fees == sum((o.value for o in plan.orders), ZERO) * case.snapshot.fee_rate
        quote = plan_rebalance(
            case.snapshot,
            case.targets,
            PlannerSettings(
                case.settings.min_trade_value, case.settings.max_trade_percent, case.settings.slippage_percent
            ),
        )
        assert plan.quote_route_fees == quote.estimated_fees
        # ... and it lands as close to target (estimated at the last prices) as the quote-only route.
        drift = worst_drift(case.snapshot, plan.orders, case.targets)
        assert drift <= worst_drift(case.snapshot, quote.orders, case.targets) + DRIFT_TOLERANCE


@EXAMPLES
@given(cases())
def test_routing_is_deterministic(case: Case) -> None:
    assert plan_of(case) == plan_of(case)

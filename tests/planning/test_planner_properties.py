"""Property tests of the planner over random portfolios: safe, on the market grids, value-conserving,
close to target, deterministic.

Portfolios have 2-6 targeted assets plus the quote (USDT), sometimes an unlisted holding, amounts
that are zero, dust or up to 1e5 USDT worth, last prices from 1e-5 to 1e5 (usually on the tick grid,
sometimes off it like a synthetic price), lot steps from 1e-8 up to 10 USDT worth, minimum notionals
0..10, fee rates 0..0.5 %, slippage 0..2 %, order caps 5..100 % and minimum trades 0..50 USDT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fills import Simulation, at_limit, at_reference, simulate

from trimtab.model.markets import MarketRules
from trimtab.model.money import HUNDRED, ZERO, floor_to_step, is_on_step
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.constraints import exact_arithmetic, max_amount_within, smallest_order
from trimtab.planning.plan import Plan
from trimtab.planning.planner import PlannerSettings, plan_rebalance

D = Decimal  # short for the many literals below

QUOTE = "USDT"
NAMES = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")
UNLISTED = "ZZZ"
SATOSHI = D("0.00000001")
EXAMPLES = settings(max_examples=250, deadline=None)


@dataclass(frozen=True)
class Case:
    snapshot: Snapshot
    targets: dict[str, D]
    settings: PlannerSettings

    def managed(self) -> list[str]:
        """The managed assets, worked out independently of the planner (rule 1)."""
        assets = set(self.targets) | {QUOTE}
        if self.settings.sell_unlisted:
            snap = self.snapshot
            assets |= {a for a, b in snap.balances.items() if b.total > 0 and a in snap.markets}
        return sorted(a for a in assets if not self.dust(a))

    def dust(self, asset: str) -> bool:
        """Whether ``asset`` is untargeted dust: its whole balance cannot be sold at the last price."""
        snap, rules = self.snapshot, self.snapshot.markets.get(asset)
        balance = snap.balances.get(asset)
        if asset == QUOTE or self.targets.get(asset, ZERO) > 0 or rules is None or not balance:
            return False
        sellable = floor_to_step(balance.total, rules.amount_step)
        return balance.total > 0 and (
            sellable == 0 or sellable < rules.min_amount or sellable * snap.prices[asset] < rules.min_notional
        )

    def value(self, balances: dict[str, Balance] | None = None) -> D:
        held = self.snapshot.balances if balances is None else balances
        return sum((held[a].total * self.snapshot.price(a) for a in self.managed() if a in held), ZERO)


@st.composite
def market(draw: st.DrawFn, asset: str, on_grid: bool) -> tuple[D, MarketRules]:
    """A last price and Binance-like rules: price = k ticks with 1-6 significant digits."""
    price_exp = draw(st.integers(-5, 4))
    digits = draw(st.integers(1, 6))
    tick = D(10) ** (price_exp - digits + 1)
    price = draw(st.integers(10 ** (digits - 1), 10**digits - 1)) * tick
    if not on_grid and draw(st.booleans()):
        price += tick * draw(st.integers(1, 9)) / 10  # a synthetic last price between two ticks
    # Real lot steps are worth cents to a few dollars: keep step x price <= 10 USDT.
    step = D(10) ** draw(st.integers(-8, min(0, -price_exp)))
    min_amount = step * draw(st.sampled_from([0, 1, 1, 10, 100]))
    min_notional = D(draw(st.sampled_from(["0", "0.1", "1", "5", "5", "10"])))
    return price, MarketRules(asset, QUOTE, step, min_amount, min_notional, tick)


@st.composite
def holding(draw: st.DrawFn, price: D, step: D, locked: bool) -> Balance:
    kind = draw(st.sampled_from(["zero", "dust", "value", "value", "value"]))
    if kind == "zero":
        total = ZERO
    elif kind == "dust":  # below one lot step, or a few steps (below most minimums)
        total = floor_to_step(step * draw(st.integers(1, 300)) / 100, SATOSHI)
    else:
        total = floor_to_step(D(draw(st.integers(0, 10**9))) / 10**4 / price, SATOSHI)
    free = total
    if locked and draw(st.booleans()):
        free = floor_to_step(total * draw(st.integers(0, 4)) / 4, SATOSHI)  # the rest sits in open orders
    return Balance(free, total)


@st.composite
def cases(draw: st.DrawFn, exact_fills: bool = False) -> Case:
    """A random planning problem; ``exact_fills`` gives fee 0, slippage 0, on-grid prices, nothing locked."""
    names = NAMES[: draw(st.integers(2, 6))]
    prices: dict[str, D] = {}
    markets: dict[str, MarketRules] = {}
    balances: dict[str, Balance] = {}
    for asset in (*names, UNLISTED):
        prices[asset], markets[asset] = draw(market(asset, on_grid=exact_fills))
        balances[asset] = draw(holding(prices[asset], markets[asset].amount_step, locked=not exact_fills))
    if draw(st.booleans()):  # the unlisted holding may have no market on this venue
        del prices[UNLISTED], markets[UNLISTED]
    cash = D(draw(st.integers(0, 10**7))) / 100
    balances[QUOTE] = Balance(cash, cash)
    targeted = [*names, QUOTE] if draw(st.booleans()) else list(names)
    raw = draw(st.lists(st.integers(0, 100), min_size=len(targeted), max_size=len(targeted)))
    if sum(raw) == 0:
        raw[0] = 1
    points = [r * 10_000 // sum(raw) for r in raw]  # basis points, then the rounding rest to one asset
    points[raw.index(max(raw))] += 10_000 - sum(points)
    targets = {a: D(p) / 100 for a, p in zip(targeted, points, strict=True)}
    fee = ZERO if exact_fills else D(draw(st.integers(0, 50))) / 10_000
    planner_settings = PlannerSettings(
        min_trade_value=D(draw(st.integers(0, 5000))) / 100,
        max_trade_percent=D(draw(st.integers(500, 10_000))) / 100,
        slippage_percent=ZERO if exact_fills else D(draw(st.integers(0, 200))) / 100,
        sell_unlisted=draw(st.booleans()),
    )
    snap = Snapshot(QUOTE, balances, prices, markets, fee, datetime(2025, 1, 1, tzinfo=UTC))
    return Case(snap, targets, planner_settings)


def plan_of(case: Case) -> Plan:
    return plan_rebalance(case.snapshot, case.targets, case.settings)


@EXAMPLES
@given(cases())
def test_plan_never_overdraws_when_every_order_fills_at_its_worst_allowed_price_or_at_the_last(
    case: Case,
) -> None:
    plan = plan_of(case)
    # simulate raises InsufficientFunds for a negative balance or a buy locking more than the free quote.
    for result in (simulate(case.snapshot, plan, at_limit), simulate(case.snapshot, plan, at_reference)):
        assert all(b.free >= 0 and b.total >= b.free for b in result.balances.values())


@EXAMPLES
@given(cases())
def test_every_order_is_accepted_by_the_market_within_the_cap_and_in_execution_order(case: Case) -> None:
    with exact_arithmetic():
        plan = plan_of(case)
        cap = plan.total_value * case.settings.max_trade_percent / HUNDRED
        for leg, order in enumerate(plan.orders):
            rules = case.snapshot.markets[order.asset]
            assert order.leg == leg
            assert order.asset != QUOTE
            if order.side is Side.BUY:  # nothing is bought for an asset whose target is 0 (or absent)
                assert case.targets.get(order.asset, ZERO) > 0
            assert order.symbol == f"{order.asset}/{QUOTE}"
            assert order.amount > 0
            assert is_on_step(order.amount, rules.amount_step)
            assert order.amount >= rules.min_amount
            assert order.amount * order.limit_price >= rules.min_notional
            assert order.limit_price > 0
            assert is_on_step(order.limit_price, rules.price_tick)
            assert order.reference_price == case.snapshot.prices[order.asset]
            assert order.value == order.amount * order.reference_price <= cap
            # Never more slippage than configured, unless the last price is off the tick grid.
            last, slip = order.reference_price, case.settings.slippage_percent / HUNDRED
            if is_on_step(last, rules.price_tick):
                worst = last * (1 - slip) if order.side is Side.SELL else last * (1 + slip)
                assert order.limit_price >= worst if order.side is Side.SELL else order.limit_price <= worst
        sides = [o.side for o in plan.orders]
        assert sides == sorted(sides, key=lambda s: s is Side.BUY)  # every sell before every buy
        for side in (plan.sells, plan.buys):
            assert [(-o.value, o.asset) for o in side] == sorted((-o.value, o.asset) for o in side)


@EXAMPLES
@given(cases())
def test_value_is_conserved_up_to_fees_and_slippage(case: Case) -> None:
    with exact_arithmetic():
        plan = plan_of(case)
        before = case.value()
        assert plan.total_value == before

        at_last: Simulation = simulate(case.snapshot, plan, at_reference)
        assert case.value(dict(at_last.balances)) == before - at_last.fees_value

        # At the limits each order loses |limit - last| per unit. The limit is last x (1 -/+ slippage)
        # rounded towards last, or (off-grid last price) the nearest tick on the fillable side, so
        # |limit - last| <= last x slippage / 100 + tick.
        worst = simulate(case.snapshot, plan, at_limit)
        tolerance = sum(
            (
                o.value * case.settings.slippage_percent / HUNDRED
                + o.amount * case.snapshot.markets[o.asset].price_tick
                for o in plan.orders
            ),
            ZERO,
        )
        assert case.value(dict(worst.balances)) >= before - worst.fees_value - tolerance


@EXAMPLES
@given(cases(exact_fills=True))
def test_weights_after_rebalance_are_within_the_minimum_trade_bound_of_target(case: Case) -> None:
    """With fee 0, slippage 0 and fills at the (on-grid) last price, for every managed asset i:

        |w_i_after - w_i| <= 100 / V x B_i       (percentage points)

    with, for p = last price, s = lot step, M_i = max(min_trade_value, min_notional, min_amount x p):

        sell side (delta < 0):  B_i = E_i = M_i + s x p
        buy side  (delta > 0):  B_i = M_i + 2 x s x p + S
        quote:                  B_q = sum of the B_i of the other assets

    S is the room the buys lose when they are scaled down to the cash after sells. The buys want at
    most the sum of the positive deltas = sum |sell deltas| + cash - cash target; the sells bring in
    at least sum(|delta_j| - E_j), so S <= max(0, sum_j E_j - cash target value). The second step on
    the buy side is the flooring after scaling. Why E_i bounds a sell: the amount is floored (< s x p)
    and a trade, or the remainder of a split, is only dropped when it is below M_i.

    An asset whose trade was placed in full (no skipped remainder) is tighter: s x p for a sell,
    2 x s x p + S for a buy.

    One reason the bound cannot cover: the order cap itself (max_trade_percent x V) is below the
    smallest order the market accepts, so the asset cannot be traded at all; for such an asset
    B_i = |delta_i| (its whole gap). That is decided from the inputs here, not from the planner.
    The scale factor is rounded down at 60 digits, hence a slack of V x 1e-40.
    """
    with exact_arithmetic():
        snap, plan = case.snapshot, plan_of(case)
        value = case.value()
        assert plan.total_value == value
        result = simulate(snap, plan, at_reference)
        assert case.value(dict(result.balances)) == value  # no fee, no slippage: value unchanged
        if value == 0:
            return
        cap = value * case.settings.max_trade_percent / HUNDRED
        weights = planned_targets(case, plan)
        target = {a: value * w / HUNDRED for a, w in weights.items()}
        delta = {a: target[a] - snap.value(a) for a in weights}
        bound: dict[str, D] = {}
        for asset in weights:
            if asset == QUOTE:
                continue
            rules, price = snap.markets[asset], snap.prices[asset]
            step_value = rules.amount_step * price
            minimum = max(case.settings.min_trade_value, rules.min_notional, rules.min_amount * price)
            blocked = max_amount_within(cap, price, rules.amount_step) < smallest_order(rules, price)
            bound[asset] = abs(delta[asset]) if blocked else minimum + step_value
        room = max(ZERO, sum((bound[a] for a in bound if delta[a] < 0), ZERO) - target[QUOTE])
        for asset, gap_bound in list(bound.items()):
            if delta[asset] > 0 and gap_bound != abs(delta[asset]):
                bound[asset] = gap_bound + snap.markets[asset].amount_step * snap.prices[asset] + room
        bound[QUOTE] = sum(bound.values(), ZERO)
        slack = value * D("1e-40")
        traded = {o.asset for o in plan.orders} - {s.asset for s in plan.skipped}
        for asset, limit in bound.items():
            after = result.balances[asset].total * snap.price(asset) if asset in result.balances else ZERO
            assert abs(after - target[asset]) <= limit + slack, (asset, after, target[asset], limit)
            if asset in traded:  # traded in full: only the lot-step flooring (and the buy scaling) is left
                step_value = snap.markets[asset].amount_step * snap.prices[asset]
                tight = step_value if delta[asset] < 0 else 2 * step_value + room
                assert abs(after - target[asset]) <= tight + slack, (asset, after, target[asset], tight)


HELD = "stays at its current weight and nothing is sold to pay for it"


def planned_targets(case: Case, plan: Plan) -> dict[str, D]:
    """The targets a plan aims at: the case's, except that an asset whose buy cannot be placed is held
    at its current weight and the other targets, the cash's included, share the rest in proportion."""
    targets = {a: case.targets.get(a, ZERO) for a in case.managed()}
    targets[QUOTE] += HUNDRED - sum(case.targets.values(), ZERO)
    held = {s.asset for s in plan.skipped if HELD in s.reason}
    if not held:
        return targets
    value = case.value()
    current = {a: case.snapshot.value(a) * HUNDRED / value for a in held}
    others = {a: w for a, w in targets.items() if a not in held}
    left, wanted = HUNDRED - sum(current.values(), ZERO), sum(others.values(), ZERO)
    pinned = {a: w * left / wanted if wanted else ZERO for a, w in others.items()} | current
    pinned[QUOTE] += HUNDRED - sum(pinned.values(), ZERO)
    return pinned


@EXAMPLES
@given(cases())
def test_no_sell_pays_for_a_buy_that_cannot_be_placed(case: Case) -> None:
    """Every sell takes an asset above its target towards it (never below it by a lot step or more);
    an asset whose buy cannot be placed gets no order and is held where it is, and the sells are then
    only those the other assets need (the weight bounds above hold against the held targets)."""
    with exact_arithmetic():
        snap, plan = case.snapshot, plan_of(case)
        value = case.value()
        if value == 0:
            return
        targets = planned_targets(case, plan)
        held = {s.asset for s in plan.skipped if HELD in s.reason}
        assert not held & {o.asset for o in plan.orders}
        sold: dict[str, D] = {}
        for order in plan.sells:
            sold[order.asset] = sold.get(order.asset, ZERO) + order.amount
        for asset, amount in sold.items():
            price, step = snap.prices[asset], snap.markets[asset].amount_step
            target_value = value * targets[asset] / HUNDRED
            assert snap.value(asset) > target_value, (asset, "sold below its target already")
            assert (snap.balances[asset].total - amount) * price > target_value - step * price, asset


@EXAMPLES
@given(cases())
def test_planning_twice_gives_equal_plans_whatever_the_mapping_order(case: Case) -> None:
    first = plan_of(case)
    snap = case.snapshot
    shuffled = Snapshot(
        snap.quote,
        dict(reversed(snap.balances.items())),
        dict(reversed(snap.prices.items())),
        dict(reversed(snap.markets.items())),
        snap.fee_rate,
        snap.taken_at,
    )
    assert plan_of(case) == first
    assert plan_rebalance(shuffled, dict(reversed(case.targets.items())), case.settings) == first


@EXAMPLES
@given(cases())
def test_without_buys_with_sells_a_plan_keeps_only_its_sells_or_is_the_very_same_plan(case: Case) -> None:
    # The backtester's first plan leaves out the buys the executor re-plans anyway. It must place the
    # same orders: the full plan's sells, or, without sells, the full plan exactly (skipped trades too).
    full = plan_of(case)
    lean = plan_rebalance(case.snapshot, case.targets, replace(case.settings, buys_with_sells=False))
    if full.sells:
        assert repr(lean.orders) == repr(full.sells)  # repr: the same digits, not only equal values
        assert lean.total_value == full.total_value
    else:
        assert repr(lean) == repr(full)


@EXAMPLES
@given(cases(), st.integers(0, 20))
def test_first_leg_only_renumbers_the_orders(case: Case, first_leg: int) -> None:
    full = plan_of(case)
    moved = plan_rebalance(case.snapshot, case.targets, case.settings, first_leg=first_leg)
    assert moved.orders == tuple(replace(o, leg=first_leg + i) for i, o in enumerate(full.orders))
    assert (moved.skipped, moved.total_value) == (full.skipped, full.total_value)

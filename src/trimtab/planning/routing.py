"""The cheapest route (config ``rebalancing.routing: cheapest``): move value between two assets on the
cross pair the exchange lists (``ETH/BTC``) when one trade there costs less than two through the quote.

1. The quote-only plan (:func:`~trimtab.planning.planner.quote_plan`) says what each asset sells and
   buys: every policy (bands, sells, minimum trades, held assets, guards) is already in it.
2. A linear program (scipy's HiGHS) chooses the flow on each cross edge
   (:mod:`~trimtab.planning.routing_graph`) that saves the most, two quote trades' cost minus the cross
   trade's, subject to: out of an asset no more than the quote plan sells of it (at the pair's last
   price) nor than is free (at the leg's limit, the worst case); into an asset no more than the quote
   plan buys of it (up to its worst-case margin, never beyond the gap).
3. Flows become Decimal legs at the boundary: floored to the pair's step, capped again exactly, made
   smaller where they would leave a rest too small for the quote market (:meth:`Room.tidy`), split
   under the order cap. A leg the market or ``min_trade_value`` refuses is left out and the program
   solved once more without it (its value then goes through the quote).
4. The rest is the quote-only planner's again, on the balances the legs leave: totals at the expected
   fill, free balances at the worst (a leg filled at its limit), so no later sell can overdraw.

The routed plan is kept only when its fees are no higher than the quote-only plan's and it lands as
close to target (:mod:`~trimtab.planning.routing_check`); otherwise the quote-only plan is returned,
with ``quote_route_fees`` set. Floats live only inside the program; scipy is imported on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from trimtab.model.money import HUNDRED, ONE, ZERO, floor_to_step
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.constraints import (
    exact_arithmetic,
    largest_order,
    max_amount_within,
    min_amount_reaching,
    rule_violation,
    smallest_order,
    split_amount,
)
from trimtab.planning.options import Routing
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings, estimated_fees, quote_plan
from trimtab.planning.routing_check import DRIFT_TOLERANCE, worst_drift
from trimtab.planning.routing_graph import CrossEdge, cross_edges, quote_trade_cost

#: How often the program is solved again after a leg was refused (each round removes one edge or more).
MAX_SOLVES = 2

#: The margin on a quote market's smallest trade when a cross leg leaves a rest for the quote.
STRANDED_MARGIN = Decimal("1.01")

#: Flows below this share of the portfolio value are the solver's noise, not legs.
FLOW_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class CrossLeg:
    """One order on a cross pair: ``amount`` of the edge's base on its step, within every rule."""

    edge: CrossEdge
    amount: Decimal

    @property
    def value(self) -> Decimal:
        """The base amount's worth in the portfolio quote."""
        return self.amount * self.edge.base_price


def routed_plan(
    snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings, *, first_leg: int = 0
) -> Plan:
    """The cheapest plan for ``snapshot``: cross legs first, then the quote sells and buys of what they
    leave; ``quote_route_fees`` is the quote-only plan's fees. Same contract as
    :func:`~trimtab.planning.planner.plan_rebalance`, which calls it."""
    quote_settings = replace(settings, routing=Routing.QUOTE)
    with_buys = replace(quote_settings, buys_with_sells=True)
    fee_rate = snapshot.fee_rate
    with exact_arithmetic():
        full = quote_plan(snapshot, targets, with_buys, first_leg=first_leg)
        quote_fees = estimated_fees(full, fee_rate)
        plain = (
            full
            if settings.buys_with_sells
            else quote_plan(snapshot, targets, quote_settings, first_leg=first_leg)
        )
        fallback = replace(plain, estimated_fees=estimated_fees(plain, fee_rate), quote_route_fees=quote_fees)
        sold, bought = _sides(full)
        edges = cross_edges(snapshot, sold, bought, settings.slippage_percent)
        if not edges:
            return fallback
        # The quote plan's buys are sized for its worst case (slippage, fees) and, when the cash is
        # short, scaled down together. A cross leg may fill the worst-case margin (up to the gap, what
        # the same plan buys at fee 0 and slippage 0), not more: filling one buy's shortfall in full
        # would take the cash the others share.
        exact = replace(with_buys, slippage_percent=ZERO)
        gaps = _sides(quote_plan(replace(snapshot, fee_rate=ZERO), targets, exact))[1]
        margin = (ONE + settings.slippage_percent / HUNDRED) * (ONE + fee_rate)
        bought = {a: max(v, min(gaps.get(a, ZERO), v * margin)) for a, v in bought.items()}
        cap = full.total_value * settings.max_trade_percent / HUNDRED
        minimums = quote_minimums(snapshot, sold.keys() | bought.keys(), settings.min_trade_value)
        room = Room(sold, {a: snapshot.free(a) for a in sold}, bought, minimums)
        legs = cross_legs(snapshot, edges, room, min_trade_value=settings.min_trade_value, cap=cap)
        if not legs:
            return fallback
        cross = _cross_orders(legs, first_leg)
        after = balances_after(snapshot, legs)
        rest_first = first_leg + len(cross)
        rest_full = quote_plan(after, targets, with_buys, first_leg=rest_first)
        cross_fees = sum((o.value for o in cross), ZERO) * fee_rate
        if cross_fees + estimated_fees(rest_full, fee_rate) > quote_fees:
            return fallback
        drift = worst_drift(snapshot, cross + rest_full.orders, targets)
        if drift > worst_drift(snapshot, full.orders, targets) + DRIFT_TOLERANCE:
            return fallback  # cheaper, but further from target than the quote-only route
        rest = (
            rest_full
            if settings.buys_with_sells
            else quote_plan(after, targets, quote_settings, first_leg=rest_first)
        )
        return Plan(
            cross + rest.orders,
            rest.skipped,
            full.total_value,
            estimated_fees=cross_fees + estimated_fees(rest, fee_rate),
            quote_route_fees=quote_fees,
        )


def quote_minimums(
    snapshot: Snapshot, assets: Iterable[str], min_trade_value: Decimal
) -> dict[str, tuple[Decimal, Decimal]]:
    """Per asset, the quote value of one lot step on its quote market, and of the smallest trade there
    (the market's minimum at the last price, or ``min_trade_value``) with a 1 % margin plus one step for
    the limit price and the rounding."""
    minimums: dict[str, tuple[Decimal, Decimal]] = {}
    for asset in assets:
        rules, price = snapshot.markets[asset], snapshot.prices[asset]
        step = rules.amount_step * price
        smallest = max(min_trade_value, smallest_order(rules, price) * price)
        minimums[asset] = (step, smallest * STRANDED_MARGIN + step)
    return minimums


def _sides(plan: Plan) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """What ``plan`` sells of each asset (amount) and buys of each (quote value)."""
    sold: dict[str, Decimal] = {}
    bought: dict[str, Decimal] = {}
    for order in plan.orders:
        if order.side is Side.SELL:
            sold[order.asset] = sold.get(order.asset, ZERO) + order.amount
        else:
            bought[order.asset] = bought.get(order.asset, ZERO) + order.value
    return sold, bought


@dataclass(slots=True)
class Room:
    """What cross legs may still move: ``excess`` of each giver (its amount the quote plan sells, paid
    at the pair's last price), ``free`` of each giver (its free amount, paid at the leg's limit) and
    ``wanted`` of each taker (the quote value the quote plan buys of it, received at the last price).

    ``minimums`` holds, per asset, the quote value of one lot step on its quote market and the smallest
    trade there (the market's and ``min_trade_value``, with a margin): a leg that would leave between
    the two to trade through the quote is made smaller (:meth:`tidy`), since the quote planner would
    skip that rest and leave its value off target.
    """

    excess: dict[str, Decimal]
    free: dict[str, Decimal]
    wanted: dict[str, Decimal]
    minimums: Mapping[str, tuple[Decimal, Decimal]]

    def copy(self) -> Room:
        return Room(dict(self.excess), dict(self.free), dict(self.wanted), self.minimums)

    def tidy(self, edge: CrossEdge, amount: Decimal) -> Decimal:
        """``amount`` (on the step), made smaller until neither the giver's sell nor the taker's buy
        left for the quote is a stranded rest: above one lot step and below the smallest trade. Each
        asset moves out of the stranded range at most once, so three rounds settle it."""
        giver_price = edge.pair_quote_price if edge.side is Side.BUY else edge.base_price
        giver_per_base = (edge.price if edge.side is Side.BUY else ONE) * giver_price
        taker_per_base = edge.base_price if edge.side is Side.BUY else edge.price * edge.pair_quote_price
        for _ in range(3):
            giver_left = self.excess.get(edge.giver, ZERO) * giver_price - amount * giver_per_base
            taker_left = self.wanted.get(edge.taker, ZERO) - amount * taker_per_base
            short = max(
                self._short(edge.giver, giver_left) / giver_per_base,
                self._short(edge.taker, taker_left) / taker_per_base,
            )
            if short <= 0:
                return amount
            amount = max(floor_to_step(amount - short, edge.rules.amount_step), ZERO)
        return amount

    def _short(self, asset: str, left: Decimal) -> Decimal:
        """How much more quote value must be left of ``asset`` for its rest to be tradable (0: none)."""
        dust, smallest = self.minimums.get(asset, (ZERO, ZERO))
        return smallest - left if dust <= left < smallest else ZERO

    def max_amount(self, edge: CrossEdge) -> Decimal:
        """The largest base amount on the step ``edge`` may move within the room left."""
        step = edge.rules.amount_step
        excess, free = self.excess.get(edge.giver, ZERO), self.free.get(edge.giver, ZERO)
        wanted = self.wanted.get(edge.taker, ZERO)
        if edge.side is Side.BUY:
            by_giver = min(
                max_amount_within(excess, edge.price, step), max_amount_within(free, edge.limit, step)
            )
            by_taker = max_amount_within(wanted, edge.base_price, step)
        else:
            by_giver = floor_to_step(min(excess, free), step)
            by_taker = max_amount_within(wanted, edge.price * edge.pair_quote_price, step)
        return max(min(by_giver, by_taker), ZERO)

    def take(self, edge: CrossEdge, amount: Decimal) -> None:
        """Use the room a leg of ``amount`` on ``edge`` takes."""
        if edge.side is Side.BUY:
            self.excess[edge.giver] -= amount * edge.price
            self.free[edge.giver] -= amount * edge.limit
            self.wanted[edge.taker] -= amount * edge.base_price
        else:
            self.excess[edge.giver] -= amount
            self.free[edge.giver] -= amount
            self.wanted[edge.taker] -= amount * edge.price * edge.pair_quote_price


def cross_legs(
    snapshot: Snapshot,
    edges: list[CrossEdge],
    room: Room,
    *,
    min_trade_value: Decimal,
    cap: Decimal,
) -> list[CrossLeg]:
    """The cross legs to place within ``room``; ``cap`` is the order cap in quote value. Edges whose
    legs the market refuses are dropped and the program solved again, at most :data:`MAX_SOLVES` times."""
    prices = snapshot.prices
    value = sum((a * prices[g] for g, a in room.excess.items()), ZERO) + sum(room.wanted.values(), ZERO)
    if value <= 0:
        return []
    active = [e for e in edges if room.max_amount(e) >= _smallest(e, min_trade_value)]
    legs: list[CrossLeg] = []
    for _ in range(MAX_SOLVES):
        if not active:
            return legs
        flows = solve_flows(active, room, snapshot.fee_rate, value)
        legs, refused = _rounded(active, flows, room.copy(), limits=(min_trade_value, cap), value=value)
        if not refused:
            return legs
        active = [e for e in active if e not in refused]
    return legs


def solve_flows(edges: list[CrossEdge], room: Room, fee_rate: Decimal, value: Decimal) -> list[float]:
    """The quote value to move on each edge, as a share of ``value``: the linear program's optimum, or
    all zeros when the solver finds none. Each edge saves ``2 x quote trade - its cost`` per unit; a
    giver has two rows (its excess at the last price, its free balance at the limits), a taker one."""
    import numpy as np
    from scipy.optimize import linprog

    givers = sorted({e.giver for e in edges})
    takers = sorted({e.taker for e in edges})
    excess_row = {a: i for i, a in enumerate(givers)}
    free_row = {a: len(givers) + i for i, a in enumerate(givers)}
    taker_row = {a: 2 * len(givers) + i for i, a in enumerate(takers)}
    a_ub = np.zeros((2 * len(givers) + len(takers), len(edges)))
    b_ub = np.zeros(a_ub.shape[0])
    for asset in givers:
        price = _price(edges, asset)
        b_ub[excess_row[asset]] = float(room.excess[asset] * price / value)
        b_ub[free_row[asset]] = float(room.free[asset] * price / value)
    for asset in takers:
        b_ub[taker_row[asset]] = float(room.wanted[asset] / value)
    double_quote = 2 * quote_trade_cost(fee_rate)
    saving = np.zeros(len(edges))
    for k, edge in enumerate(edges):
        # Per unit of base value moved: the giver's value paid (at the last price, at the limit) and
        # the taker's value received before the fee.
        if edge.side is Side.BUY:
            a_ub[excess_row[edge.giver], k] = float(edge.implied_rate)
            a_ub[free_row[edge.giver], k] = float(edge.limit * edge.pair_quote_price / edge.base_price)
            a_ub[taker_row[edge.taker], k] = 1.0
        else:
            a_ub[excess_row[edge.giver], k] = 1.0
            a_ub[free_row[edge.giver], k] = 1.0
            a_ub[taker_row[edge.taker], k] = float(edge.implied_rate)
        saving[k] = float(double_quote - edge.cost)
    result = linprog(-saving, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if not result.success:
        return [0.0] * len(edges)
    return [float(x) for x in result.x]


def balances_after(snapshot: Snapshot, legs: list[CrossLeg]) -> Snapshot:
    """``snapshot`` with ``legs`` filled: totals at the pair's last price (the expected fill), free
    balances at the leg's limit (the worst fill), fee in the asset received. Free never exceeds total."""
    balances = dict(snapshot.balances)
    fee_keep = ONE - snapshot.fee_rate

    def move(asset: str, free: Decimal, total: Decimal) -> None:
        old = balances.get(asset, Balance(ZERO, ZERO))
        balances[asset] = Balance(old.free + free, old.total + total)

    for leg in legs:
        edge, amount = leg.edge, leg.amount
        base, pair_quote = edge.rules.base, edge.rules.quote
        if edge.side is Side.BUY:
            move(base, amount * fee_keep, amount * fee_keep)
            move(pair_quote, -amount * edge.limit, -amount * edge.price)
        else:
            move(base, -amount, -amount)
            move(pair_quote, amount * edge.limit * fee_keep, amount * edge.price * fee_keep)
    return replace(snapshot, balances=balances)


# --- Decimal at the boundary ---------------------------------------------------------------------


def _price(edges: list[CrossEdge], asset: str) -> Decimal:
    """``asset``'s price in the portfolio quote, from an edge that names it."""
    for edge in edges:
        if edge.rules.base == asset:
            return edge.base_price
        if edge.rules.quote == asset:
            return edge.pair_quote_price
    raise KeyError(asset)


def _smallest(edge: CrossEdge, min_trade_value: Decimal) -> Decimal:
    """The smallest base amount a leg on ``edge`` may have: the market's, and ``min_trade_value``."""
    smallest = smallest_order(edge.rules, edge.limit)
    by_value = min_amount_reaching(min_trade_value, edge.base_price, edge.rules.amount_step)
    return max(smallest, by_value)


def _rounded(
    edges: list[CrossEdge],
    flows: list[float],
    room: Room,
    *,
    limits: tuple[Decimal, Decimal],
    value: Decimal,
) -> tuple[list[CrossLeg], set[CrossEdge]]:
    """The program's flows (shares of ``value``) as legs on the pairs' grids, the largest flow first,
    each capped exactly by the ``room`` the legs before it left (``room`` is used up); and the edges
    whose flow no accepted leg can carry. ``limits`` is ``(min_trade_value, order cap)``."""
    min_trade_value, cap = limits
    legs: list[CrossLeg] = []
    refused: set[CrossEdge] = set()
    for flow, edge in sorted(zip(flows, edges, strict=True), key=lambda p: (-p[0], p[1].rules.symbol)):
        if flow <= FLOW_EPSILON:
            continue
        wanted = floor_to_step(Decimal(repr(flow)) * value / edge.base_price, edge.rules.amount_step)
        pieces = _pieces(edge, room.tidy(edge, min(wanted, room.max_amount(edge))), min_trade_value, cap)
        if not pieces:
            refused.add(edge)
            continue
        room.take(edge, sum(pieces, ZERO))
        legs.extend(CrossLeg(edge, piece) for piece in pieces)
    return legs, refused


def _pieces(edge: CrossEdge, amount: Decimal, min_trade_value: Decimal, cap: Decimal) -> list[Decimal]:
    """``amount`` cut into orders the pair accepts within the order ``cap`` (quote value), or [] when
    it is below the smallest leg; what cannot be placed goes through the quote."""
    rules, limit = edge.rules, edge.limit
    if amount <= 0 or amount < _smallest(edge, min_trade_value):
        return []
    piece = max_amount_within(cap, edge.base_price, rules.amount_step)
    largest = largest_order(rules, limit)
    if largest is not None:
        piece = min(piece, largest)
    split = split_amount(amount, rules.amount_step, piece, smallest_order(rules, limit))
    pieces = list(split.pieces)
    if not pieces or any(rule_violation(rules, p, limit) is not None for p in pieces):
        return []
    return pieces


def _cross_orders(legs: list[CrossLeg], first_leg: int) -> tuple[PlannedOrder, ...]:
    """The legs as planned orders, largest value first (then by symbol), numbered from ``first_leg``."""
    ordered = sorted(legs, key=lambda leg: (-leg.value, leg.edge.rules.symbol))
    return tuple(
        PlannedOrder(
            leg=number,
            asset=leg.edge.rules.base,
            symbol=leg.edge.rules.symbol,
            side=leg.edge.side,
            amount=leg.amount,
            limit_price=leg.edge.limit,
            reference_price=leg.edge.price,
            value=leg.value,
        )
        for number, leg in enumerate(ordered, first_leg)
    )

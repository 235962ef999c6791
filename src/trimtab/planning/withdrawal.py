"""How a withdrawal is raised: which holdings to sell so that ``amount`` of one asset is ready on the
exchange and the rest of the portfolio stays on target.

The targets are applied to what remains, the portfolio's value ``V`` less the withdrawal ``W``: each
asset ``i`` other than the withdrawn one ``X`` should end at ``t_i = (V - W) x weight_i / 100``, and
``X`` at ``t_X + W``. Its excess ``e_i = value_i - t_i`` is what ``i`` can give without going under
target; the excesses add up to exactly what ``X`` lacks, ``N = t_X + W - value_X``. So selling every
asset down to its target raises the withdrawal and leaves the rest on target, and any shortfall comes
only from what cannot be sold: external holdings (config ``portfolio.external``) and locked balances.

Which assets give first:

* without a preference, the most over-target: the sells bring the largest excesses down to one common
  level (water-filling), which makes the worst remaining drift as small as it can be; when the
  tradable excess is not enough, every asset goes the same value under target, each within what it
  has free;
* with a ``preference`` (the tax advisor's ranking, cheapest tax per unit raised first), each asset in
  turn gives its excess, and then, if still short, what it has free in the same order.

The result is a set of *pinned targets*: target weights (of today's ``V``) at which an ordinary
:func:`~trimtab.planning.planner.plan_rebalance` makes exactly these sells, and buys ``X`` when it is
not the quote. The executor's re-planned buy leg then finds nothing else to buy. Each sell is grossed
up for its worst allowed fill (slippage), its fee and one amount step, so the floored order raises its
share even at its limit price; the extra stays in the portfolio as cash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from trimtab.model.money import HUNDRED, ONE, ZERO
from trimtab.model.portfolio import Snapshot
from trimtab.planning.water_level import water_level


@dataclass(frozen=True)
class WithdrawalSizing:
    """What raising ``amount`` of ``asset`` (worth ``value`` in the quote) takes.

    ``sells`` is the quote value each asset gives (the quote itself, when the withdrawal is of another
    asset, gives cash), ``needed`` their sum (what ``asset`` lacks, at least what it lacks on the
    exchange), ``shortfall`` the part of the withdrawal itself (what ``asset`` lacks on the exchange) that no
    tradable balance could give: 0 when it can be raised, even if the rest cannot all be put on target,
    ``targets`` the pinned targets that make those trades and ``total_value`` the ``V`` they are of.
    """

    asset: str
    amount: Decimal
    value: Decimal
    sells: Mapping[str, Decimal]
    needed: Decimal
    shortfall: Decimal
    targets: Mapping[str, Decimal]
    total_value: Decimal


def size_withdrawal(
    snapshot: Snapshot,
    targets: Mapping[str, Decimal],
    asset: str,
    amount: Decimal,
    *,
    steps: Mapping[str, Decimal] | None = None,
    preference: Sequence[str] | None = None,
    slippage_percent: Decimal = ZERO,
) -> WithdrawalSizing:
    """The sells that raise ``amount`` of ``asset`` from ``snapshot`` (see the module docstring).

    ``targets`` are the portfolio's (percent, the quote may have one); ``steps`` the amount step of each
    asset's market (for the gross-up); ``preference`` the order in which assets give (None: water-fill);
    ``slippage_percent`` the planner's: the sells are sized for their worst allowed fill, and a non-quote
    ``asset`` is paid for at its worst allowed buy price, fee included.
    """
    quote = snapshot.quote
    assets = sorted(set(targets) | {quote})
    values = {a: snapshot.value(a) for a in assets}
    total = sum(values.values(), ZERO)
    price = snapshot.price(asset)
    value = amount * price
    rest = total - value
    goal = {a: rest * targets.get(a, ZERO) / HUNDRED for a in assets}
    goal[asset] += value
    givers = [a for a in assets if a != asset]
    excess = _excess(values, goal, asset)
    # What ``asset`` lacks in value, and at least what it lacks on the exchange (external units count
    # in its value but cannot be withdrawn from the exchange).
    on_venue_gap = max((amount - snapshot.free(asset)) * price, ZERO)
    needed = max(goal[asset] - values[asset], on_venue_gap)
    room = {a: snapshot.free(a) * snapshot.price(a) for a in givers}  # what can be sold (or spent)
    slip = slippage_percent / HUNDRED
    # A non-quote asset is bought with the cash raised: at worst at its limit, with the fee on top.
    cost = ONE if asset == quote else (ONE + slip) * (ONE + snapshot.fee_rate)
    if preference is None:
        sells = _water_fill(excess, room, needed * cost)
    else:
        ranked = [a for a in preference if a in excess] + sorted(a for a in givers if a not in preference)
        sells = _in_order(ranked, excess, room, needed * cost)
    raised = sum(sells.values(), ZERO)
    gross = ONE / ((ONE - slip) * (ONE - snapshot.fee_rate))  # a sell's worst-case proceeds, after its fee
    pinned = _pinned(snapshot, values, sells, (asset, needed), steps=steps or {}, gross=gross)
    return WithdrawalSizing(
        asset=asset,
        amount=amount,
        value=value,
        sells={a: v for a, v in sells.items() if v > 0},
        needed=needed,
        shortfall=max(on_venue_gap * cost - raised, ZERO),
        targets=pinned,
        total_value=total,
    )


def excesses(
    snapshot: Snapshot, targets: Mapping[str, Decimal], asset: str, amount: Decimal
) -> dict[str, Decimal]:
    """What each asset but ``asset`` holds above its target after withdrawing ``amount`` of ``asset``, in
    quote value and within what it has free (the sells a preference ranks); only those above target."""
    quote = snapshot.quote
    values = {a: snapshot.value(a) for a in sorted(set(targets) | {quote})}
    rest = sum(values.values(), ZERO) - amount * snapshot.price(asset)
    goal = {a: rest * targets.get(a, ZERO) / HUNDRED for a in values}
    found = {}
    for a, over in _excess(values, goal, asset).items():
        give = min(over, snapshot.free(a) * snapshot.price(a))
        if give > 0:
            found[a] = give
    return found


def _excess(values: Mapping[str, Decimal], goal: Mapping[str, Decimal], asset: str) -> dict[str, Decimal]:
    return {a: values[a] - goal[a] for a in values if a != asset}


def _water_fill(
    excess: Mapping[str, Decimal], room: Mapping[str, Decimal], needed: Decimal
) -> dict[str, Decimal]:
    """Sells ``clamp(excess_i - L, 0, room_i)`` with the level ``L`` at which they add up to ``needed``
    (everything sellable when even that is not enough)."""
    if needed <= 0:
        return dict.fromkeys(excess, ZERO)
    if sum((room[a] for a in excess), ZERO) <= needed:
        return {a: room[a] for a in excess}
    level = water_level(needed, [(room[a], excess[a]) for a in excess])
    return _exactly({a: min(max(excess[a] - level, ZERO), room[a]) for a in excess}, needed)


def _in_order(
    ranked: Sequence[str], excess: Mapping[str, Decimal], room: Mapping[str, Decimal], needed: Decimal
) -> dict[str, Decimal]:
    """Each asset of ``ranked`` in turn gives its excess (within its room) until ``needed`` is raised;
    if that is not enough, each gives what it has left, in the same order."""
    sells = dict.fromkeys(excess, ZERO)
    left = max(needed, ZERO)
    for asset in ranked:
        give = min(max(excess[asset], ZERO), room[asset], left)
        sells[asset] += give
        left -= give
    for asset in ranked:
        give = min(room[asset] - sells[asset], left)
        sells[asset] += give
        left -= give
    return sells


def _exactly(sells: dict[str, Decimal], needed: Decimal) -> dict[str, Decimal]:
    """``sells`` with the rounding of the level's division put on the largest one, so they add up to
    ``needed`` exactly."""
    off = needed - sum(sells.values(), ZERO)
    if off and sells:
        largest = max(sells, key=lambda a: (sells[a], a))
        sells[largest] = max(sells[largest] + off, ZERO)
    return sells


def _pinned(
    snapshot: Snapshot,
    values: Mapping[str, Decimal],
    sells: Mapping[str, Decimal],
    bought: tuple[str, Decimal],
    *,
    steps: Mapping[str, Decimal],
    gross: Decimal,
) -> dict[str, Decimal]:
    """Targets (percent of the ``values``' total) at which a rebalance makes ``sells`` (each grossed up by
    ``gross`` and one amount step, so the floored order still raises its share) and, for a non-quote
    asset, buys ``bought`` (asset, value) with their proceeds; the quote takes what is left, so the
    targets sum to 100."""
    total = sum(values.values(), ZERO)
    if total <= 0:
        return dict.fromkeys(values, ZERO)
    quote = snapshot.quote
    asset, value = bought
    pinned: dict[str, Decimal] = {}
    for a, current in values.items():
        if a == quote:
            continue
        step = steps.get(a, ZERO) * snapshot.price(a)
        if a == asset:
            pinned[a] = (current + value + (step if value > 0 else ZERO)) * HUNDRED / total
            continue
        give = sells.get(a, ZERO)
        if give > 0:
            give = min(give * gross + step, snapshot.free(a) * snapshot.price(a))
        pinned[a] = max(current - give, ZERO) * HUNDRED / total
    pinned[quote] = HUNDRED - sum(pinned.values(), ZERO)
    return pinned

"""The managed positions a plan starts from: the snapshot and the targets checked, and one entry per
tradable asset of the managed portfolio (the targets' assets, and unlisted holdings when they are sold).

The planner calls :func:`managed_positions` twice per rebalance (the sells, then the buys re-planned
from the real proceeds), so the common case, nothing wrong, is kept to one pass without sorting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.errors import PlanningError
from trimtab.model.markets import MarketRules
from trimtab.model.money import HUNDRED, ONE, ZERO, fmt
from trimtab.model.orders import Side
from trimtab.model.portfolio import WEIGHT_SUM_TOLERANCE, Snapshot
from trimtab.planning.dust import find_dust
from trimtab.planning.plan import SkippedTrade


# Not frozen, like the planner's other working records: a plan builds dozens of them, and a frozen
# dataclass takes five times as long to construct. Nothing changes one after it is made.
@dataclass(slots=True)
class Position:
    """One tradable (non-quote) managed asset: its market, last price, target weight and balance.

    ``total`` is :meth:`Snapshot.amount` (external holdings included, what is set aside excluded): the
    allocation counts it. ``free`` is what may be sold: on the venue only, so external is never sold."""

    asset: str
    rules: MarketRules
    price: Decimal
    weight: Decimal
    total: Decimal
    free: Decimal


def managed_positions(
    snapshot: Snapshot, targets: Mapping[str, Decimal], *, sell_unlisted: bool
) -> tuple[list[Position], list[SkippedTrade]]:
    """The positions to plan for, sorted by asset, and the unlisted holdings left alone because they
    cannot be traded (with ``sell_unlisted``; without it every unlisted holding is left alone silently).

    Raises :class:`PlanningError` when the snapshot or the targets are invalid, or when a targeted asset
    cannot be traded against the quote.
    """
    _check_snapshot(snapshot)
    quote = snapshot.quote
    dust = find_dust(snapshot, targets)  # unsellable and untargeted: out of the plan (see planning.dust)
    weights = {
        asset: weight
        for asset, weight in _checked_targets(targets).items()
        if asset != quote and asset not in dust
    }
    skipped: list[SkippedTrade] = []
    if sell_unlisted:
        held = sorted(a for a, b in snapshot.balances.items() if b.total > 0 and a != quote and a not in dust)
        for asset in held:
            if asset in weights:
                continue
            problem = untradable(asset, quote, snapshot.prices.get(asset), snapshot.markets.get(asset))
            if problem is None:
                weights[asset] = ZERO
            else:
                value = snapshot.amount(asset) * snapshot.prices.get(asset, ZERO)
                reason = f"{asset}: held without a target but {problem}; left alone"
                skipped.append(SkippedTrade(asset, Side.SELL, value, reason))
    positions = []
    for asset in sorted(weights):
        price, rules = snapshot.prices.get(asset), snapshot.markets.get(asset)
        problem = untradable(asset, quote, price, rules)
        if problem is not None or price is None or rules is None:
            raise PlanningError(f"{asset}: has a target weight but {problem}")
        # The amount counts external holdings (never sold: only the free balance on the venue is) and
        # leaves out what is set aside for a withdrawal (see Snapshot).
        total, free = snapshot.amount(asset), snapshot.free(asset)
        positions.append(Position(asset, rules, price, weights[asset], total, free))
    return positions, skipped


def managed_value(snapshot: Snapshot, positions: Iterable[Position]) -> Decimal:
    """The managed portfolio's value ``V`` the planner's weights are of: the quote's amount and every
    managed position at its last price."""
    return snapshot.amount(snapshot.quote) + sum((p.total * p.price for p in positions), ZERO)


def untradable(asset: str, quote: str, price: Decimal | None, rules: MarketRules | None) -> str | None:
    """Why ``asset``, at ``price`` under ``rules`` (its entries in a snapshot), cannot be traded against
    ``quote``, or None."""
    if price is None:
        return f"has no price in {quote}"
    if price <= 0:
        return f"has a non-positive price {fmt(price)}"
    if rules is None:
        return f"has no {asset}/{quote} market"
    if rules.base != asset or rules.quote != quote:
        return f"has market rules for {rules.symbol} instead of {asset}/{quote}"
    if rules.amount_step <= 0:
        return f"has no amount step in the {asset}/{quote} market rules"
    if rules.price_tick < 0:
        return f"has a negative price tick in the {asset}/{quote} market rules"
    return None


def _checked_targets(targets: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    if not all(isinstance(weight, Decimal) and weight >= 0 for weight in targets.values()):
        for asset, weight in sorted(targets.items()):  # name the first bad one, alphabetically
            if not isinstance(weight, Decimal):
                raise PlanningError(f"{asset}: target weight {weight!r} is not a Decimal")
            if weight < 0:
                raise PlanningError(f"{asset}: target weight {fmt(weight)} is negative")
    total = sum(targets.values(), ZERO)
    if abs(total - HUNDRED) > WEIGHT_SUM_TOLERANCE:
        raise PlanningError(f"target weights sum to {fmt(total)}, not 100")
    return targets


def _check_snapshot(snapshot: Snapshot) -> None:
    if not ZERO <= snapshot.fee_rate < ONE:
        raise PlanningError(f"fee rate {fmt(snapshot.fee_rate)} is not in [0, 1)")
    if all(ZERO <= b.free <= b.total for b in snapshot.balances.values()):
        return
    for asset, balance in sorted(snapshot.balances.items()):  # name the first bad one, alphabetically
        if balance.free < 0 or balance.total < balance.free:
            raise PlanningError(
                f"{asset}: balance free {fmt(balance.free)} / total {fmt(balance.total)} is inconsistent"
            )

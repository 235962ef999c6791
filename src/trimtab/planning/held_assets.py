"""Assets held at their current weight because their buy cannot be placed.

A sell made to pay for a buy that no order can make (an absurd price, a market minimum above the
order cap, ...) would only move the portfolio into cash. The planner holds such an asset where it is
and rebalances the others among themselves: :func:`held_targets` are the targets that do that, and
:func:`held_notes` the lines that tell the user why the asset was not traded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal

from trimtab.model.money import HUNDRED, ZERO
from trimtab.planning.plan import SkippedTrade
from trimtab.planning.positions import Position


def held_targets(
    targets: Mapping[str, Decimal],
    held: Collection[str],
    *,
    quote: str,
    positions: Iterable[Position],
    value: Decimal,
) -> dict[str, Decimal]:
    """``targets`` with each ``held`` asset at its current weight (of the portfolio ``value``) and every
    other target (the cash's implicit one included) scaled by one factor, so the others keep their
    proportions; they still sum to 100 (what the held assets free or take is the cash's when nothing
    else has a target)."""
    full = dict(targets)
    full[quote] = full.get(quote, ZERO) + HUNDRED - sum(targets.values(), ZERO)  # the implicit cash
    current = {p.asset: p.total * p.price * HUNDRED / value for p in positions if p.asset in held}
    others = {a: w for a, w in full.items() if a not in held}
    left, wanted = HUNDRED - sum(current.values(), ZERO), sum(others.values(), ZERO)
    scaled = {a: w * left / wanted for a, w in others.items()} if wanted > 0 else dict.fromkeys(others, ZERO)
    pinned = scaled | current
    # The rounding of the division, or nothing else to take the rest: the cash takes it (never below 0).
    pinned[quote] = max(ZERO, pinned.get(quote, ZERO) + HUNDRED - sum(pinned.values(), ZERO))
    return pinned


def held_notes(held: Mapping[str, SkippedTrade]) -> tuple[SkippedTrade, ...]:
    """The skipped buys of the ``held`` assets, each saying that its asset stays where it is."""
    return tuple(
        SkippedTrade(
            t.asset,
            t.side,
            t.value,
            f"{t.reason}; {t.asset} stays at its current weight and nothing is sold to pay for it",
        )
        for t in held.values()
    )

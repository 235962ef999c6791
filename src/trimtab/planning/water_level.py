"""Water-filling: the common level down to which the largest of several quantities are taken.

Two planners share it: a withdrawal sells the largest excesses first (:mod:`trimtab.planning.withdrawal`),
and a rebalance that cannot pay for all its buys keeps those of the most under-target assets
(:mod:`trimtab.planning.effective_targets`). Both take ``min(cap, max(0, gap - L))`` from each item and
need the level ``L`` at which the takes add up to a given total.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from trimtab.model.money import ZERO


def water_level(total: Decimal, items: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """The level ``L`` with ``sum(min(cap, max(0, gap - L))) == total`` over the ``(cap, gap)`` items
    (every ``cap >= 0``), given ``0 < total < sum(cap)``. Exact up to one division: the sum falls
    piecewise linearly as ``L`` rises, bent at each ``gap - cap`` (below it the cap holds) and each
    ``gap`` (above it nothing is taken), so ``L`` is interpolated between the two bends around it."""

    def taken(level: Decimal) -> Decimal:
        return sum((min(max(gap - level, ZERO), cap) for cap, gap in items), ZERO)

    bends = sorted({gap for _, gap in items} | {gap - cap for cap, gap in items}, reverse=True)
    high = bends[0]  # taken(high) == 0 < total
    for low in bends[1:]:
        at_low = taken(low)
        if at_low >= total:
            at_high = taken(high)
            return high - (total - at_high) * (high - low) / (at_low - at_high)
        high = low
    return high  # not reached: taken(the lowest bend) == sum(cap) > total

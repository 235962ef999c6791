"""Assets a guard froze for this run (:attr:`Snapshot.frozen`: a halted market, a crash held back).

A frozen asset is neither bought nor sold: the planner pins it at its current weight and rebalances
the others among themselves, as it does for an asset whose buy cannot be placed
(:func:`trimtab.planning.held_assets.held_targets`), and no cross pair through it is routed. The
trade it would have made is reported as skipped, with the guard's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from trimtab.model.money import HUNDRED
from trimtab.model.orders import Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.held_assets import held_targets
from trimtab.planning.plan import SkippedTrade
from trimtab.planning.positions import managed_positions, managed_value


def around_frozen(
    snapshot: Snapshot, targets: Mapping[str, Decimal], *, sell_unlisted: bool
) -> tuple[Snapshot, dict[str, Decimal], tuple[SkippedTrade, ...]]:
    """The snapshot (its ``frozen`` cleared, no cross pair through a frozen asset), the targets with
    every frozen managed asset pinned at its current weight, and the trades those pins skip."""
    frozen = snapshot.frozen
    positions, _ = managed_positions(snapshot, targets, sell_unlisted=sell_unlisted)
    value = managed_value(snapshot, positions)
    pinned_positions = [p for p in positions if p.asset in frozen]
    pairs = {s: r for s, r in snapshot.pairs.items() if r.base not in frozen and r.quote not in frozen}
    thawed = replace(snapshot, frozen={}, pairs=pairs)
    if not pinned_positions or value <= 0:
        return thawed, dict(targets), ()
    notes: list[SkippedTrade] = []
    for p in pinned_positions:
        gap = value * p.weight / HUNDRED - p.total * p.price
        if gap != 0:
            side = Side.BUY if gap > 0 else Side.SELL
            reason = f"{frozen[p.asset]}; {p.asset} stays at its current weight and is not traded"
            notes.append(SkippedTrade(p.asset, side, abs(gap), reason))
    held = {p.asset for p in pinned_positions}
    pinned = held_targets(targets, held, quote=snapshot.quote, positions=positions, value=value)
    return thawed, pinned, tuple(notes)

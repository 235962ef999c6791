"""The planner's working records: a trade being sized on its terms, and the planned orders it becomes.

Internal to :mod:`trimtab.planning.planner`, which builds, scales and splits them; once the plan is
settled, :func:`ordered` puts them in the order they are placed and :func:`planned_orders` numbers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trimtab.planning.plan import PlannedOrder
from trimtab.planning.positions import Position
from trimtab.venues.port import Side


# The working records are not frozen: a plan builds dozens of them, a frozen dataclass takes five
# times as long to construct, and nothing changes one after it is made.
@dataclass(slots=True)
class TradeTerms:
    """What every order of one position on one side has in common, worked out once per plan: the limit
    price and the smallest order the market accepts at it."""

    position: Position
    side: Side
    limit: Decimal
    smallest: Decimal
    largest: Decimal | None  # the market's maximum order at the limit (None: no maximum)


@dataclass(slots=True)
class SizedTrade:
    """An amount to trade on some terms; ``value`` is ``amount x`` the last price."""

    terms: TradeTerms
    amount: Decimal
    value: Decimal


def ordered(trades: list[SizedTrade]) -> list[SizedTrade]:
    """Largest value first, then by asset name; the sort is stable so equal pieces keep their order."""
    return sorted(trades, key=lambda t: (-t.value, t.terms.position.asset))


def planned_orders(trades: list[SizedTrade], first: int) -> tuple[PlannedOrder, ...]:
    """``trades`` as the plan's orders, their legs numbered from ``first``."""
    return tuple(
        PlannedOrder(
            leg=leg,
            asset=t.terms.position.asset,
            symbol=t.terms.position.rules.symbol,
            side=t.terms.side,
            amount=t.amount,
            limit_price=t.terms.limit,
            reference_price=t.terms.position.price,
            value=t.value,
        )
        for leg, t in enumerate(trades, first)
    )

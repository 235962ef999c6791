"""The planner's working records: a trade being sized on its terms, and the planned orders it becomes.

:mod:`trimtab.planning.planner` builds, scales and splits them; :func:`trade_terms` works out a trade's
terms, :func:`max_piece` and :func:`split_trade` cut it into orders within the order cap (the harvest
plan, :mod:`trimtab.tax.harvest_plan`, splits its sells the same way). Once the plan is settled,
:func:`ordered` puts them in the order they are placed and :func:`planned_orders` numbers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trimtab.model.orders import Side
from trimtab.planning.constraints import largest_order, max_amount_within, smallest_order, split_amount
from trimtab.planning.plan import PlannedOrder
from trimtab.planning.positions import Position


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


def trade_terms(position: Position, side: Side, limit: Decimal) -> TradeTerms:
    """The terms of trading ``position`` on ``side`` at ``limit``: the market's smallest and largest order."""
    return TradeTerms(
        position, side, limit, smallest_order(position.rules, limit), largest_order(position.rules, limit)
    )


def max_piece(trade: SizedTrade, cap: Decimal, known: dict[str, Decimal] | None = None) -> Decimal:
    """The largest amount one order of ``trade`` may have under the order ``cap`` (quote value): the
    trade's own amount when it is within the cap and the market's minimums and maximum (then one order
    holds it), else the largest multiple of the step worth at most the cap, within the market's maximum.
    ``known`` keeps that multiple per asset for a caller that asks again with the same cap."""
    terms = trade.terms
    largest = terms.largest
    within_market = largest is None or trade.amount <= largest
    if trade.value <= cap and trade.amount >= terms.smallest and within_market:
        return trade.amount
    position = terms.position
    piece = known.get(position.asset) if known is not None else None
    if piece is None:
        piece = max_amount_within(cap, position.price, position.rules.amount_step)
        if known is not None:
            known[position.asset] = piece
    return piece if largest is None else min(piece, largest)


def split_trade(trade: SizedTrade, largest_piece: Decimal) -> tuple[list[SizedTrade], Decimal]:
    """``trade`` cut into the fewest nearly equal orders of at most ``largest_piece`` (see
    :func:`~trimtab.planning.constraints.split_amount`), largest first, and the amount left over that is
    below the market's smallest order (0 when everything is placed); the caller says why it is skipped."""
    terms = trade.terms
    position = terms.position
    split = split_amount(trade.amount, position.rules.amount_step, largest_piece, terms.smallest)
    return [SizedTrade(terms, piece, piece * position.price) for piece in split.pieces], split.remainder


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

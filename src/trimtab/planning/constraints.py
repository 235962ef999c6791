"""Market-rule arithmetic for planning: limit prices on the tick grid, amounts on the lot grid, the
exchange's minimums checked the way the exchange checks them, and splitting an order under a size cap.

Every function here is exact: where a Decimal division could round the wrong way at a grid boundary,
the result is verified by multiplication and moved by one step (ccxt notes §8: never ``round()``).

>>> sell_limit_price(Decimal("60000"), Decimal("0.5"), Decimal("0.01"))
Decimal('59700.00')
>>> buy_limit_price(Decimal("1.2345"), Decimal("1"), Decimal("0.001"))
Decimal('1.246')
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

from trimtab.model.markets import MarketRules
from trimtab.model.money import HUNDRED, ONE, ZERO, ceil_to_step, floor_to_step, fmt, is_on_step

# Significant digits for planning arithmetic. The default 28 is not enough to keep
# amount x price x (1 + fee) exact for a 1e10-unit meme-coin holding with 8 decimals at an
# 8-decimal price; 60 keeps every product in the planner and the simulator exact.
EXACT_DIGITS = 60


def exact_arithmetic() -> AbstractContextManager[Context]:
    """A local decimal context (traps kept) with enough digits that products of money are exact."""
    return localcontext(prec=EXACT_DIGITS)


def sell_limit_price(last: Decimal, slippage_percent: Decimal, tick: Decimal) -> Decimal:
    """``last x (1 - slippage/100)`` rounded UP to the tick: the tighter side, so we never accept more
    slippage than configured.

    When the last price itself is off the tick grid (a stale or synthetic price), rounding up could land
    above the last price and the immediate-or-cancel order would not fill; the limit is then the grid
    price just below the last price. The result may be 0 when the last price is below one tick.
    """
    limit = ceil_to_step(last * (ONE - slippage_percent / HUNDRED), tick)
    if limit > last:
        limit = floor_to_step(last, tick)
    return limit


def buy_limit_price(last: Decimal, slippage_percent: Decimal, tick: Decimal) -> Decimal:
    """``last x (1 + slippage/100)`` rounded DOWN to the tick (the tighter side); never below the last
    price, so an off-grid last price gives the grid price just above it rather than an unfillable order."""
    limit = floor_to_step(last * (ONE + slippage_percent / HUNDRED), tick)
    if limit < last:
        limit = ceil_to_step(last, tick)
    return limit


def max_amount_within(value: Decimal, price: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of ``step`` whose ``amount x price`` is <= ``value`` (0 if none)."""
    if value <= 0:
        return ZERO
    amount = floor_to_step(value / price, step)
    # The quotient is rounded to the context precision: correct a boundary miss in either direction.
    while amount > 0 and amount * price > value:
        amount -= step
    while (amount + step) * price <= value:
        amount += step
    return max(amount, ZERO)


def min_amount_reaching(value: Decimal, price: Decimal, step: Decimal) -> Decimal:
    """The smallest multiple of ``step`` whose ``amount x price`` is >= ``value`` (0 if ``value`` <= 0)."""
    if value <= 0:
        return ZERO
    amount = ceil_to_step(value / price, step)
    while amount * price < value:
        amount += step
    while amount > step and (amount - step) * price >= value:
        amount -= step
    return amount


def smallest_order(rules: MarketRules, limit: Decimal) -> Decimal:
    """The smallest positive amount on the step grid that the market accepts at ``limit``."""
    step = rules.amount_step
    by_amount = ceil_to_step(rules.min_amount, step)
    by_notional = min_amount_reaching(rules.min_notional, limit, step)
    return max(step, by_amount, by_notional)


def rule_violation(rules: MarketRules, amount: Decimal, limit: Decimal) -> str | None:
    """Why the exchange would reject a limit order of ``amount`` at ``limit`` (None when it accepts it).

    The reason completes a sentence such as ``"ETH: sell of 0.00012 ETH (0.43 USDT) ..."``. The
    notional is checked at the limit price because that is what the exchange checks for limit orders.
    """
    if amount <= 0:
        return "is not a positive amount"
    if not is_on_step(amount, rules.amount_step):
        return f"is not a multiple of the amount step of {fmt(rules.amount_step)} {rules.base}"
    if limit <= 0 or not is_on_step(limit, rules.price_tick):
        return f"has a limit price of {fmt(limit)} that is not on the price tick of {fmt(rules.price_tick)}"
    if amount < rules.min_amount:
        return f"is below the market minimum amount of {fmt(rules.min_amount)} {rules.base}"
    if amount * limit < rules.min_notional:
        return f"is below the market minimum notional of {fmt(rules.min_notional)} {rules.quote}"
    if rules.max_amount is not None and amount > rules.max_amount:
        return f"is above the market maximum amount of {fmt(rules.max_amount)} {rules.base}"
    if rules.max_notional is not None and amount * limit > rules.max_notional:
        return f"is above the market maximum notional of {fmt(rules.max_notional)} {rules.quote}"
    return None


def largest_order(rules: MarketRules, limit: Decimal) -> Decimal | None:
    """The largest amount on the step grid the market accepts at ``limit`` (None: no maximum)."""
    largest = floor_to_step(rules.max_amount, rules.amount_step) if rules.max_amount is not None else None
    if rules.max_notional is not None and limit > 0:
        by_notional = max_amount_within(rules.max_notional, limit, rules.amount_step)
        largest = by_notional if largest is None else min(largest, by_notional)
    return largest


@dataclass(frozen=True, slots=True)
class Split:
    """An amount cut into order pieces, largest first, and the remainder that could not be placed."""

    pieces: tuple[Decimal, ...]
    remainder: Decimal


def split_amount(amount: Decimal, step: Decimal, max_piece: Decimal, min_piece: Decimal) -> Split:
    """Cut ``amount`` (on the ``step`` grid) into the fewest pieces of nearly equal size (they differ
    by at most one step) that are each <= ``max_piece``, each >= ``min_piece``.

    The fewest pieces under the cap is ``n = ceil(units / max_units)``; fewer pieces would break the
    cap. When the ``n`` equal pieces fall under ``min_piece`` (only possible when the remainder of
    full-size pieces is itself below the minimum), the amount is cut into full pieces of
    ``max_piece`` and the remainder is left over. When ``max_piece < min_piece`` nothing can be placed.

    >>> split_amount(Decimal("0.1"), Decimal("0.00001"), Decimal("0.04"), Decimal("0.0001")).pieces
    (Decimal('0.03334'), Decimal('0.03333'), Decimal('0.03333'))
    """
    # Work in integer units of the step: exact, and "nearly equal" is then plain integer division.
    units = int(amount / step)
    max_units = int(max_piece / step)  # both callers pass amounts on the grid
    if 0 < units <= max_units:
        whole = units * step
        if whole >= min_piece:  # one piece: what the general case below gives, only sooner
            return Split((whole,), ZERO)
    min_units = max(1, int(ceil_to_step(min_piece, step) / step))
    if units <= 0 or max_units < min_units:
        return Split((), amount)
    count = -(-units // max_units)
    small, extra = divmod(units, count)
    if small >= min_units:
        sizes = [small + 1] * extra + [small] * (count - extra)
        return Split(tuple(size * step for size in sizes), ZERO)
    full = units // max_units
    return Split(tuple(max_units * step for _ in range(full)), (units - full * max_units) * step)

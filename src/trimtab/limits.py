"""The range of numbers trimtab accepts from its inputs (config files, flags, paper prices).

A market holds nothing like ``1e400`` or ``1e-30``: such numbers are typos or attacks, and they turn
Decimal arithmetic into ``InvalidOperation`` or ``Overflow`` deep inside a run. Every input number is
checked against these bounds where it enters (``trimtab validate`` already), so that inside them every
sum, product, division by a lot step and rounding to a cent stays within Decimal's 28 digits:

- amounts (balances, lot steps, minimum amounts) at most 1e15 units, on a grid no finer than 1e-12,
  so ``amount / step`` has at most 27 digits;
- prices from 1e-12 to 1e12 in the quote currency (a tick no finer than 1e-12);
- values (a holding, a minimum notional or trade, a backtest's starting capital) at most 1e15 in the
  quote currency, so a portfolio's total still rounds to the cent.
"""

from __future__ import annotations

from decimal import Decimal

from trimtab.model.money import fmt

MAX_AMOUNT = Decimal("1e15")
MIN_STEP = Decimal("1e-12")
MIN_PRICE = Decimal("1e-12")
MAX_PRICE = Decimal("1e12")
MAX_VALUE = Decimal("1e15")
#: Ledger ids are SQLite/PostgreSQL 64-bit integers: no run can have a larger id.
MAX_RUN_ID = 2**63 - 1


def bound(value: Decimal) -> str:
    """A bound as people write it: ``1e15`` rather than ``1E+15``, ``0.001`` rather than ``1E-3``."""
    if value != 0 and (abs(value) >= 10**6 or abs(value) < Decimal("0.0001")):
        return f"{value.normalize():e}".replace("e+", "e")
    return fmt(value, negative_zero=True)


def interval(low: Decimal, high: Decimal, *, above: bool = False, below: bool = False) -> str:
    """``[0, 100]``; ``above``/``below`` make an end open: ``(0, 100]``, ``[0, 0.1)``."""
    return f"{'(' if above else '['}{bound(low)}, {bound(high)}{')' if below else ']'}"

"""Decimal helpers. Quantities are rounded through a market's step, never with ``round()`` on floats.

>>> floor_to_step(Decimal("0.123456789"), Decimal("0.00001"))
Decimal('0.12345')
>>> ceil_to_step(Decimal("60000.005"), Decimal("0.01"))
Decimal('60000.01')
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


def to_decimal(value: object) -> Decimal:
    """Convert a config or wire value to Decimal exactly as written (floats go through ``str``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int | str):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"cannot convert {type(value).__name__} to Decimal")


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of ``step`` that is <= ``value`` (``step`` <= 0 means no grid)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The smallest multiple of ``step`` that is >= ``value`` (``step`` <= 0 means no grid)."""
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def is_on_step(value: Decimal, step: Decimal) -> bool:
    """True when ``value`` is an exact multiple of ``step``."""
    return step <= 0 or value % step == 0


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole`` (0 when ``whole`` is 0)."""
    return part / whole * HUNDRED if whole else ZERO


def fmt(value: Decimal) -> str:
    """A plain decimal string without exponent or trailing zeros (``1E+1`` -> ``10``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text

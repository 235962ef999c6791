"""Decimal helpers, and the one place that writes money and amounts as text.

Quantities are rounded through a market's step, never with ``round()`` on floats.

>>> floor_to_step(Decimal("0.123456789"), Decimal("0.00001"))
Decimal('0.12345')
>>> ceil_to_step(Decimal("60000.005"), Decimal("0.01"))
Decimal('60000.01')

:func:`fmt` writes every number a person or a program reads, in one of two shapes: exact strings for data
(JSON, CSV, messages; no trailing zeros) and fixed places for tables, with options for the rounding, thousands
separators and the sign:

>>> fmt(Decimal("1234.5000"))
'1234.5'
>>> fmt(Decimal("12.345678"), 4)
'12.3457'
>>> fmt(Decimal("1234.5"), 2, fixed=True, thousands=True)
'1,234.50'
>>> fmt(Decimal("0.125"), 2, fixed=True), fmt(Decimal("0.125"), 2, fixed=True, rounding=ROUND_HALF_UP)
('0.12', '0.13')
>>> fmt(Decimal("0.5"), 2, fixed=True, sign=True)
'+0.50'
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


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


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to cents, half up (the rounding of tax forms)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(
    value: Decimal | float,
    places: int | None = None,
    *,
    fixed: bool = False,
    rounding: str = ROUND_HALF_EVEN,
    thousands: bool = False,
    sign: bool = False,
    negative_zero: bool = False,
) -> str:
    """``value`` as text, never with an exponent (``1E+1`` -> ``10``).

    - ``places``: round to that many decimal places first (``rounding``, half even by default); None keeps
      every digit (the exact string of the JSON and the ledger).
    - ``fixed``: keep exactly ``places`` digits after the point (tables: ``1.50``); without it trailing zeros
      are dropped (data: ``1.5``).
    - ``thousands``: group the integer digits with commas (``1,234.50``). ``sign``: write ``+`` before a
      positive number. ``negative_zero``: keep the minus of a negative number that rounds to zero
      (``-0.00``, what Python's own formatting writes); without it that is ``0.00``.

    A float (the vectorised backtest's metrics) is rounded by Python's own float formatting when
    ``fixed``; otherwise through its shortest repr, so ``0.1`` is ``0.1`` and not the binary expansion.
    """
    spec = f"{'+' if sign else ''}{'' if negative_zero else 'z'}{',' if thousands else ''}"
    if fixed:
        if places is None:
            raise ValueError("fixed needs places")
        if isinstance(value, Decimal):
            value = value.quantize(Decimal(1).scaleb(-places), rounding=rounding)
        return format(value, f"{spec}.{places}f")
    if isinstance(value, float):
        exact = Decimal(repr(value if places is None else round(value, places)))
    else:
        exact = value if places is None else value.quantize(Decimal(1).scaleb(-places), rounding=rounding)
    text = format(exact.normalize(), f"{spec}f")
    return text or "0"

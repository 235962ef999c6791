"""``fmt``: the one formatter of money and amounts, in the shapes the reports and tables print."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, FloatOperation, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trimtab.model.money import cents, fmt

CENT = Decimal("0.01")
money_values = st.decimals(
    min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=6
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1234.5000", "1234.5"),
        ("1E+1", "10"),
        ("-0", "0"),
        ("-0.0000", "0"),
        ("0E-8", "0"),
        ("1E+22", "1" + "0" * 22),
    ],
)
def test_data_strings_are_exact_without_exponent_or_trailing_zeros(value: str, text: str) -> None:
    assert fmt(Decimal(value)) == text


def test_places_round_half_even_then_drop_trailing_zeros() -> None:
    assert fmt(Decimal("12.345650"), 4) == "12.3456"
    assert fmt(Decimal("12.30004"), 4) == "12.3"
    assert fmt(Decimal("-0.00004"), 4) == "0"


def test_fixed_places_for_tables() -> None:
    assert fmt(Decimal("1234567.5"), 2, fixed=True, thousands=True) == "1,234,567.50"
    assert fmt(Decimal("0.125"), 2, fixed=True) == "0.12"
    assert fmt(Decimal("0.125"), 2, fixed=True, rounding=ROUND_HALF_UP) == "0.13"
    assert fmt(Decimal(0), 2, fixed=True, sign=True) == "+0.00"
    assert fmt(Decimal("-1.5"), 2, fixed=True, sign=True) == "-1.50"


def test_a_tiny_negative_is_zero_unless_its_sign_is_kept() -> None:
    assert fmt(Decimal("-0.001"), 2, fixed=True) == "0.00"
    assert fmt(Decimal("-0.001"), 2, fixed=True, negative_zero=True) == "-0.00"
    assert fmt(Decimal("-0.001"), 2, fixed=True, sign=True, negative_zero=True) == "-0.00"


def test_floats_of_the_backtest() -> None:
    assert fmt(0.1) == "0.1"
    assert fmt(1 / 3, 10) == "0.3333333333"
    assert fmt(1e22, 10) == "1" + "0" * 22
    assert fmt(12345.678, 2, fixed=True, thousands=True) == "12,345.68"
    assert fmt(math.nan, 2, fixed=True) == "nan"


def test_fixed_needs_places() -> None:
    with pytest.raises(ValueError, match="fixed needs places"):
        fmt(Decimal(1), fixed=True)


@given(money_values)
def test_the_shapes_match_the_formatting_they_replaced(value: Decimal) -> None:
    """Each shape writes what the module's own formatting wrote before there was one formatter, in
    trimtab's decimal context (raw ccxt calls in other tests leave ROUND_HALF_UP on this thread's)."""
    with localcontext(Context(rounding=ROUND_HALF_EVEN, traps=[FloatOperation])):
        assert fmt(value, 2, fixed=True, thousands=True, negative_zero=True) == f"{value.quantize(CENT):,}"
        assert fmt(value, 2, fixed=True, thousands=True, negative_zero=True) == f"{value:,.2f}"
        assert fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP, negative_zero=True) == str(cents(value))
        assert fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP) == str(cents(value) + 0)
        assert fmt(value, 2, fixed=True, rounding=ROUND_HALF_UP, thousands=True) == f"{cents(value) + 0:,.2f}"
        signed = f"{value.quantize(CENT)}"
        assert fmt(value, 2, fixed=True, sign=True, negative_zero=True) == (
            signed if signed.startswith("-") else f"+{signed}"
        )
        assert fmt(value, 4) == fmt(value.quantize(Decimal("0.0001")))


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_floats_match_the_formatting_they_replaced(value: float) -> None:
    assert fmt(value, 10) == fmt(Decimal(repr(round(value, 10))))
    assert fmt(abs(value), 2, fixed=True, thousands=True) == f"{abs(value):,.2f}"

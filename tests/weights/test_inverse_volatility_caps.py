from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trimtab.model.money import ceil_to_step, floor_to_step
from trimtab.weights import WEIGHT_STEP, InverseVolatility, log_return_volatility


def d(text: str) -> Decimal:
    return Decimal(text)


def zigzag(factor: int, closes: int = 31) -> list[Decimal]:
    """Every log return is +-ln(factor): volatilities of zigzag(2), zigzag(4), zigzag(16) are 1:2:4."""
    return [Decimal(100 * factor) if i % 2 else Decimal(100) for i in range(closes)]


# Scores 4:2:1, uncapped weights 57.142857 / 28.571429 / 14.285714.
ONE_TWO_FOUR = {"A": zigzag(2), "B": zigzag(4), "C": zigzag(16)}


def test_uncapped_weights_for_volatilities_one_two_four() -> None:
    targets = InverseVolatility(("A", "B", "C")).targets(ONE_TWO_FOUR)

    assert targets == {"A": d("57.1429"), "B": d("28.5714"), "C": d("14.2857")}


def test_min_weight_lifts_the_most_volatile_and_the_rest_is_reshared_by_score() -> None:
    # C is clipped up to 20; A and B share 80 as 4:2.
    targets = InverseVolatility(("A", "B", "C"), min_weight=d("20")).targets(ONE_TWO_FOUR)

    assert targets == {"A": d("53.3333"), "B": d("26.6667"), "C": d("20")}


def test_max_weight_caps_the_calmest_and_the_rest_is_reshared_by_score() -> None:
    # A is clipped down to 50; B and C share 50 as 2:1.
    targets = InverseVolatility(("A", "B", "C"), max_weight=d("50")).targets(ONE_TWO_FOUR)

    assert targets == {"A": d("50"), "B": d("33.3333"), "C": d("16.6667")}


def test_caps_cascade_until_stable() -> None:
    # A capped at 45 leaves 55 for B:C = 2:1 -> C at 18.33 breaks the floor, so C = 20 and B = 35.
    targets = InverseVolatility(("A", "B", "C"), min_weight=d("20"), max_weight=d("45")).targets(ONE_TWO_FOUR)

    assert targets == {"A": d("45"), "B": d("35"), "C": d("20")}


def test_a_floor_is_not_set_when_the_reshare_lifts_the_asset_above_it() -> None:
    # Uncapped: A 83.33, B 8.33, C 8.33. Clipping A to 50 and B, C to 10 together would leave 30
    # unallocated; the right answer gives B and C the 50 that A gave up, equally.
    closes = {"A": zigzag(2), "B": zigzag(1024), "C": zigzag(1024)}

    targets = InverseVolatility(("A", "B", "C"), min_weight=d("10"), max_weight=d("50")).targets(closes)

    assert targets == {"A": d("50"), "B": d("25"), "C": d("25")}


def test_caps_are_percent_of_the_whole_portfolio_and_leave_cash_alone() -> None:
    weights = InverseVolatility(("A", "B", "C"), cash_asset="USDT", cash_weight=d("30"), max_weight=d("30"))

    targets = weights.targets(ONE_TWO_FOUR)

    # 70 to share: A 40 > 30 is capped; B:C = 2:1 share 40.
    assert targets == {"A": d("30"), "B": d("26.6667"), "C": d("13.3333"), "USDT": d("30")}


def test_caps_that_exactly_fill_the_budget_give_every_asset_the_cap() -> None:
    targets = InverseVolatility(("A", "B", "C"), max_weight=d("33.3334"), min_weight=d("33.3333")).targets(
        ONE_TWO_FOUR
    )

    assert targets == {"A": d("33.3334"), "B": d("33.3333"), "C": d("33.3333")}


def test_rounding_remainder_never_moves_a_weight_held_at_its_cap() -> None:
    # A and B are capped at 25; C and D share 49.9999 as 24.99995 each, which both round up to 25.
    # The -0.0001 remainder goes to C (free, ties by name), not to A: a calmer asset keeps more weight.
    closes = {"A": zigzag(2), "B": zigzag(2), "C": zigzag(4), "D": zigzag(4)}
    weights = InverseVolatility(
        ("A", "B", "C", "D"), cash_asset="USDT", cash_weight=d("0.0001"), max_weight=d("25")
    )

    targets = weights.targets(closes)

    assert targets == {"A": d("25"), "B": d("25"), "C": d("24.9999"), "D": d("25"), "USDT": d("0.0001")}


def test_min_weight_too_high_for_the_budget_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"min_weight 30 x 3 assets = 90 is more than the 80 left"):
        InverseVolatility(("A", "B", "C"), cash_asset="USDT", cash_weight=d("20"), min_weight=d("30"))


def test_max_weight_too_low_for_the_budget_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"max_weight 30 x 3 assets = 90 is less than the 100 left"):
        InverseVolatility(("A", "B", "C"), max_weight=d("30"))


def test_off_grid_caps_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"max_weight must be a multiple of 0\.0001"):
        InverseVolatility(("A", "B"), max_weight=d("60.00005"))


@st.composite
def capped_problems(draw: st.DrawFn) -> tuple[InverseVolatility, dict[str, list[Decimal]]]:
    count = draw(st.integers(min_value=1, max_value=6))
    assets = tuple(f"A{i}" for i in range(count))
    # Distinct closes guarantee a series that moves.
    closes = {
        asset: [
            Decimal(cents) / 100
            for cents in draw(st.lists(st.integers(1, 10**8), min_size=6, max_size=9, unique=True))
        ]
        for asset in assets
    }
    cash = draw(st.decimals(min_value=0, max_value=99, places=4))
    budget = 100 - cash
    fair = budget / count
    low = draw(st.none() | st.decimals(min_value=0, max_value=floor_to_step(fair, WEIGHT_STEP), places=4))
    high = draw(st.none() | st.decimals(min_value=ceil_to_step(fair, WEIGHT_STEP), max_value=100, places=4))
    weights = InverseVolatility(
        assets, lookback_days=5, cash_asset="USDT", cash_weight=cash, min_weight=low, max_weight=high
    )
    return weights, closes


@given(capped_problems())
def test_weights_sum_to_exactly_100_on_the_grid_within_the_caps(
    problem: tuple[InverseVolatility, dict[str, list[Decimal]]],
) -> None:
    weights, closes = problem

    targets = weights.targets(closes)

    assert sum(targets.values()) == 100
    assert targets["USDT"] == weights.cash_weight
    assert tuple(targets) == weights.assets
    for asset in weights.risk_assets:
        assert targets[asset] == targets[asset].quantize(WEIGHT_STEP)
        assert weights.min_weight is None or targets[asset] >= weights.min_weight
        assert weights.max_weight is None or targets[asset] <= weights.max_weight


@given(capped_problems())
def test_a_calmer_asset_never_gets_less_weight(
    problem: tuple[InverseVolatility, dict[str, list[Decimal]]],
) -> None:
    weights, closes = problem

    targets = weights.targets(closes)
    vol = {a: log_return_volatility(closes[a][-6:]) for a in weights.risk_assets}

    for calm in weights.risk_assets:
        for wild in weights.risk_assets:
            # Strictly calmer by a margin that survives 0.0001 rounding of the weights.
            if vol[calm] * 1.01 < vol[wild]:
                assert targets[calm] >= targets[wild]

"""Market-rule arithmetic: limit prices, grid amounts, minimums and splitting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trimtab.model.markets import MarketRules
from trimtab.model.money import floor_to_step
from trimtab.planning.constraints import (
    Split,
    buy_limit_price,
    max_amount_within,
    min_amount_reaching,
    rule_violation,
    sell_limit_price,
    smallest_order,
    split_amount,
)

D = Decimal  # short for the many literals below

ETH = MarketRules("ETH", "USDT", D("0.0001"), D("0.001"), D("5"), D("0.01"))


def test_amount_is_truncated_to_the_lot_step_like_ccxt() -> None:
    assert floor_to_step(D("0.123456789"), D("0.00001")) == D("0.12345")


@pytest.mark.parametrize(
    ("last", "slippage", "tick", "expected"),
    [
        ("60000", "0.5", "0.01", "59700"),
        ("3001.23", "0.5", "0.01", "2986.23"),  # 2986.22385 rounded up: tighter than the slippage allows
        ("3001.23", "0", "0.01", "3001.23"),
        ("1.005", "0", "0.01", "1"),  # off-grid last: rounding up would sit above it and never fill
        ("0.004", "1", "0.01", "0"),  # below one tick: no valid sell price
        ("3001.23", "0.5", "0", "2986.22385"),  # no tick grid
    ],
)
def test_sell_limit_is_rounded_up_to_the_tick_but_never_above_the_last_price(
    last: str, slippage: str, tick: str, expected: str
) -> None:
    assert sell_limit_price(D(last), D(slippage), D(tick)) == D(expected)


@pytest.mark.parametrize(
    ("last", "slippage", "tick", "expected"),
    [
        ("60000", "0.5", "0.01", "60300"),
        ("3001.23", "0.5", "0.01", "3016.23"),  # 3016.23615 rounded down
        ("1.005", "0", "0.01", "1.01"),  # off-grid last: the next tick up still fills
        ("0.004", "0", "0.01", "0.01"),
    ],
)
def test_buy_limit_is_rounded_down_to_the_tick_but_never_below_the_last_price(
    last: str, slippage: str, tick: str, expected: str
) -> None:
    assert buy_limit_price(D(last), D(slippage), D(tick)) == D(expected)


def test_max_amount_within_a_value_is_exact_at_the_boundary() -> None:
    assert max_amount_within(D("1"), D("3"), D("0.001")) == D("0.333")
    assert max_amount_within(D("0.999"), D("3"), D("0.001")) == D("0.333")  # exactly on the boundary
    assert max_amount_within(D("0.998"), D("3"), D("0.001")) == D("0.332")
    assert max_amount_within(D("0"), D("3"), D("0.001")) == D("0")


def test_min_amount_reaching_a_value_is_exact_at_the_boundary() -> None:
    assert min_amount_reaching(D("1"), D("3"), D("0.001")) == D("0.334")
    assert min_amount_reaching(D("0.999"), D("3"), D("0.001")) == D("0.333")
    assert min_amount_reaching(D("0"), D("3"), D("0.001")) == D("0")


def test_smallest_order_meets_min_amount_and_min_notional_at_the_limit() -> None:
    assert smallest_order(ETH, D("3000")) == D("0.0017")  # 5 / 3000 = 0.00166.. rounded up to the step
    assert smallest_order(ETH, D("10000")) == D("0.001")  # min_amount dominates
    free_market = MarketRules("X", "USDT", D("0.01"), D("0"), D("0"), D("0"))
    assert smallest_order(free_market, D("1")) == D("0.01")  # at least one step


@pytest.mark.parametrize(
    ("amount", "limit", "reason"),
    [
        ("0.01", "3000", None),
        ("0", "3000", "is not a positive amount"),
        ("0.00015", "3000", "is not a multiple of the amount step of 0.0001 ETH"),
        ("0.01", "3000.005", "has a limit price of 3000.005 that is not on the price tick of 0.01"),
        ("0.0009", "10000", "is below the market minimum amount of 0.001 ETH"),
        ("0.0016", "3000", "is below the market minimum notional of 5 USDT"),
    ],
)
def test_rule_violation_names_the_rule_the_exchange_would_reject(
    amount: str, limit: str, reason: str | None
) -> None:
    assert rule_violation(ETH, D(amount), D(limit)) == reason


def test_split_gives_the_fewest_nearly_equal_pieces_within_the_cap() -> None:
    split = split_amount(D("0.1"), D("0.00001"), D("0.04"), D("0.0001"))
    assert split == Split((D("0.03334"), D("0.03333"), D("0.03333")), D("0"))


def test_split_of_an_amount_within_the_cap_is_one_piece() -> None:
    assert split_amount(D("0.04"), D("0.01"), D("0.04"), D("0.01")) == Split((D("0.04"),), D("0"))


def test_split_whose_equal_pieces_would_be_too_small_uses_full_pieces_and_leaves_the_rest() -> None:
    # 21 steps under a 10-step cap: three pieces of 7 are below the 8-step minimum.
    assert split_amount(D("0.21"), D("0.01"), D("0.1"), D("0.08")) == Split((D("0.1"), D("0.1")), D("0.01"))


def test_split_is_impossible_when_the_cap_is_below_the_minimum() -> None:
    assert split_amount(D("5"), D("1"), D("2"), D("3")) == Split((), D("5"))


def test_a_single_piece_is_written_on_the_step_grid_like_every_piece() -> None:
    # The one-piece shortcut must give the digits the general case gives: units x step, so 0.5 on a
    # 0.001 grid is 0.500 (a fill of "0.5" would print differently in a trade list).
    [piece] = split_amount(D("0.5"), D("0.001"), D("0.5"), D("0.001")).pieces
    assert str(piece) == "0.500"
    assert split_amount(D("0.5"), D("0.001"), D("0.2"), D("0.001")).pieces == (
        D("0.167"),
        D("0.167"),
        D("0.166"),
    )


def test_a_single_piece_below_the_minimum_is_not_placed() -> None:
    assert split_amount(D("2"), D("1"), D("5"), D("3")) == Split((), D("2"))

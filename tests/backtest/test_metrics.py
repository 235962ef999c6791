"""Metrics of tiny equity curves computed by hand, and the rebalancing premium on Shannon's demon."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trimtab.backtest.metrics import (
    compute_metrics,
    drawdowns,
    log_growth,
    rebalancing_premium,
    theoretical_premium,
)

# 100 -> 120 -> 90 -> 108 with 3 bars a year: 3 returns = exactly one year.
# returns +0.20, -0.25, +0.20; mean 0.05
EQUITY = np.array([100.0, 120.0, 90.0, 108.0])


def test_cagr_is_the_annual_growth_over_bars_minus_one_per_year() -> None:
    metrics = compute_metrics(EQUITY, 3.0)
    assert metrics.years == 1.0  # (4 - 1) / 3
    assert metrics.cagr == pytest.approx(0.08)  # (108 / 100) ** (1 / 1) - 1
    assert metrics.final_value == 108.0


def test_cagr_over_two_years_takes_the_square_root() -> None:
    # 100 -> 121 over 2 returns at 1 bar a year: 1.21 ** (1/2) - 1 = 0.1
    assert compute_metrics(np.array([100.0, 90.0, 121.0]), 1.0).cagr == pytest.approx(0.10)


def test_volatility_sharpe_and_sortino_by_hand() -> None:
    metrics = compute_metrics(EQUITY, 3.0)
    # deviations from 0.05: +0.15, -0.30, +0.15 -> squares 0.0225 + 0.09 + 0.0225 = 0.135; / (3 - 1) = 0.0675
    # annualised: sqrt(0.0675 * 3) = sqrt(0.2025) = 0.45
    assert metrics.volatility == pytest.approx(0.45)
    # (0.05 * 3) / 0.45 = 1/3
    assert metrics.sharpe == pytest.approx(1 / 3)
    # downside: min(r, 0)^2 = 0, 0.0625, 0 -> mean over ALL 3 bars 0.0625 / 3; * 3 bars a year -> sqrt = 0.25
    # sortino = 0.15 / 0.25 = 0.6
    assert metrics.sortino == pytest.approx(0.6)


def test_sharpe_subtracts_the_annual_risk_free_rate() -> None:
    # (0.15 - 0.06) / 0.45 = 0.2
    assert compute_metrics(EQUITY, 3.0, risk_free=0.06).sharpe == pytest.approx(0.2)


def test_drawdowns_and_max_drawdown() -> None:
    # running max 100, 120, 120, 120 -> 0, 0, 90/120 - 1 = -0.25, 108/120 - 1 = -0.1
    np.testing.assert_allclose(drawdowns(EQUITY), [0.0, 0.0, -0.25, -0.1])
    assert compute_metrics(EQUITY, 3.0).max_drawdown == pytest.approx(-0.25)


def test_turnover_is_traded_value_over_average_value_per_year() -> None:
    # mean equity (100 + 120 + 90 + 108) / 4 = 104.5; 209 / 104.5 = 2 over one year
    metrics = compute_metrics(EQUITY, 3.0, traded_value=209.0, fees=0.5, rebalances=3)
    assert metrics.turnover == pytest.approx(2.0)
    assert (metrics.fees, metrics.rebalances) == (0.5, 3)


def test_log_growth_is_annualised_mean_log_return() -> None:
    assert log_growth(EQUITY, 3.0) == pytest.approx(math.log(1.08))  # ln(108/100) / 1 year
    assert log_growth(EQUITY, 1.0) == pytest.approx(math.log(1.08) / 3)  # 3 years


def test_docstring_example() -> None:
    metrics = compute_metrics(np.array([100.0, 110.0, 99.0]), 2.0)
    assert (round(metrics.cagr, 6), round(metrics.max_drawdown, 6)) == (-0.01, -0.1)


def test_a_single_bar_gives_nan_ratios_and_zero_drawdown_without_raising() -> None:
    metrics = compute_metrics(np.array([100.0]), 365.0)
    assert metrics.years == 0.0
    assert math.isnan(metrics.cagr)
    assert math.isnan(metrics.volatility)
    assert math.isnan(metrics.sharpe)
    assert math.isnan(metrics.sortino)
    assert metrics.max_drawdown == 0.0
    assert metrics.turnover == 0.0
    assert math.isnan(compute_metrics(np.array([100.0]), 365.0, traded_value=5.0).turnover)
    assert math.isnan(log_growth(np.array([100.0]), 365.0))


def test_two_bars_have_no_sample_volatility() -> None:
    metrics = compute_metrics(np.array([100.0, 110.0]), 1.0)
    assert metrics.cagr == pytest.approx(0.1)
    assert math.isnan(metrics.volatility)  # std with ddof=1 of one return
    assert math.isnan(metrics.sharpe)


def test_flat_equity_has_zero_volatility_and_nan_ratios() -> None:
    metrics = compute_metrics(np.full(10, 100.0), 365.0)
    assert (metrics.cagr, metrics.volatility, metrics.max_drawdown) == (0.0, 0.0, 0.0)
    assert math.isnan(metrics.sharpe)
    assert math.isnan(metrics.sortino)


def test_steady_growth_counts_rounding_noise_as_zero_volatility() -> None:
    metrics = compute_metrics(100.0 * 1.01 ** np.arange(50), 365.0)
    assert metrics.volatility == 0.0
    assert math.isnan(metrics.sharpe)
    assert math.isnan(metrics.sortino)  # no return below zero


def test_empty_equity_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="non-empty 1-D"):
        compute_metrics(np.array([]), 365.0)


# Shannon's demon: an asset that doubles and halves alternately, held 50/50 with cash.
DEMON = 2.0 ** (np.arange(11) % 2)  # 1, 2, 1, 2, ..., 1: 10 log returns of +-ln 2, mean 0
WITH_CASH = np.column_stack([DEMON, np.ones_like(DEMON)])


def test_shannons_demon_theoretical_premium_is_sigma_squared_over_eight() -> None:
    # sigma_asset^2 = (ln 2)^2 (ddof=0, mean 0), cash 0, covariance 0; portfolio w' S w = 1/4 (ln 2)^2
    # gamma = 1/2 (1/2 (ln 2)^2 - 1/4 (ln 2)^2) = (ln 2)^2 / 8 = 0.0600566 per bar
    expected = math.log(2) ** 2 / 8
    assert theoretical_premium(WITH_CASH, np.array([0.5, 0.5]), 1.0) == pytest.approx(expected, rel=1e-12)
    assert theoretical_premium(WITH_CASH, np.array([0.5, 0.5]), 365.0) == pytest.approx(365 * expected)


def test_shannons_demon_measured_premium_against_buy_and_hold() -> None:
    # Rebalanced 50/50: every up bar multiplies the wealth by (1 + 2) / 2 = 1.5, every down bar by
    # (0.5 + 1) / 2 = 0.75; five of each. Buy-and-hold 50/50 ends where it started (the asset is back at 1).
    factors = np.where(np.diff(DEMON) > 0, 1.5, 0.75)
    strategy = np.concatenate([[1.0], np.cumprod(factors)])
    hold = 0.5 * DEMON + 0.5
    measured = rebalancing_premium(strategy, hold, 1.0)
    assert measured == pytest.approx(0.5 * math.log(1.5 * 0.75))  # 1/2 ln 1.125 = 0.0588915 per bar
    # the second-order formula is within 2% of the realised growth even at +-69% log moves
    assert measured == pytest.approx(theoretical_premium(WITH_CASH, np.array([0.5, 0.5]), 1.0), rel=0.02)


def test_two_assets_at_half_each_earn_an_eighth_of_the_relative_variance() -> None:
    rng = np.random.default_rng(7)
    closes = np.exp(np.cumsum(rng.normal(0.0, 0.05, size=(500, 2)), axis=0))
    relative = np.diff(np.log(closes[:, 0] / closes[:, 1]))
    # 1/2 (1/2 s1 + 1/2 s2 - 1/4 (s1 + s2 + 2 c)) = 1/8 (s1 + s2 - 2 c) = 1/8 Var(r1 - r2)
    assert theoretical_premium(closes, np.array([0.5, 0.5]), 365.0) == pytest.approx(
        365 * np.var(relative) / 8, rel=1e-12
    )


def test_a_single_asset_has_no_premium() -> None:
    assert theoretical_premium(DEMON[:, None], np.array([1.0]), 365.0) == pytest.approx(0.0, abs=1e-15)


def test_theoretical_premium_rejects_bad_weights_and_missing_prices() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        theoretical_premium(WITH_CASH, np.array([0.5, 0.4]), 365.0)
    with pytest.raises(ValueError, match="do not match"):
        theoretical_premium(WITH_CASH, np.array([1.0]), 365.0)
    with_gap = WITH_CASH.copy()
    with_gap[0, 0] = np.nan
    with pytest.raises(ValueError, match="positive and present"):
        theoretical_premium(with_gap, np.array([0.5, 0.5]), 365.0)
    assert math.isnan(theoretical_premium(WITH_CASH[:1], np.array([0.5, 0.5]), 365.0))


def test_rebalancing_premium_needs_curves_over_the_same_bars() -> None:
    with pytest.raises(ValueError, match="same bars"):
        rebalancing_premium(EQUITY, EQUITY[:-1], 365.0)

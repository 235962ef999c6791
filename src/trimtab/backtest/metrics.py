"""Performance metrics of an equity curve, and the rebalancing premium measured and predicted.

``equity`` is the portfolio value at each bar close (1-D, positive, oldest first); ``bars_per_year`` is 365
for daily and 8760 for hourly crypto bars. With ``n`` bars there are ``n − 1`` bar returns
``r_t = equity[t] / equity[t−1] − 1``. Definitions:

years
    ``(n − 1) / bars_per_year``: the time spanned between the first and the last close.
CAGR
    ``(final / initial) ** (1 / years) − 1``.
volatility
    ``std(r, ddof=1) · sqrt(bars_per_year)``: sample standard deviation of simple bar returns, annualised.
Sharpe
    ``(mean(r) · bars_per_year − risk_free) / volatility``; ``risk_free`` is an annual rate (0 by default).
Sortino
    ``(mean(r) · bars_per_year − risk_free) / downside``, with ``downside = sqrt(mean(min(r, 0)²)) ·
    sqrt(bars_per_year)``: the root mean square of the returns below 0, averaged over ALL bars (a bar
    without a loss counts as 0, it is not left out).
max drawdown
    ``min(equity / running max − 1)``: a fraction ``<= 0`` (−0.25 is a 25% fall from a peak).
turnover
    ``traded_value / mean(equity) / years``: how many times a year the average portfolio was traded.
log growth
    ``mean(ln(equity[t] / equity[t−1])) · bars_per_year = ln(final / initial) / years``.

Edge cases return a number, never raise: with one bar (``years = 0``) CAGR, volatility, Sharpe, Sortino
and log growth are NaN, max drawdown is 0 and turnover is 0 (NaN if something was traded). With two bars
(one return) the volatility is NaN (ddof=1 needs two returns). Zero volatility (below 1e-12, i.e. rounding
noise) gives volatility 0.0 and Sharpe NaN; no return below zero gives Sortino NaN (a ratio with a zero
denominator is not a number worth printing). Empty or non-1-D equity is a programming error (ValueError).

Rebalancing premium (the README's backtest section shows it measured on the bundled history). Measured:
:func:`rebalancing_premium` = annualised log growth of the strategy minus that of buy-and-hold. Predicted
for weights held constant: :func:`theoretical_premium` = ``γ* = ½ (Σ w_i σ_i² − σ_p²)`` of log returns
(the "excess growth rate" / diversification return); it is measured against the weighted average of the
assets' own log growth, not against buy-and-hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Annualised volatility below this is float rounding of equal returns, reported as exactly 0.
_NOISE = 1e-12


@dataclass(frozen=True)
class Metrics:
    """Summary of one equity curve; the definitions are in the module docstring. Rates are fractions."""

    final_value: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float  # <= 0
    turnover: float  # traded value / average portfolio value, per year
    fees: float
    rebalances: int
    years: float


def compute_metrics(
    equity: NDArray[np.float64],
    bars_per_year: float,
    *,
    traded_value: float = 0.0,
    fees: float = 0.0,
    rebalances: int = 0,
    risk_free: float = 0.0,
) -> Metrics:
    """Metrics of ``equity`` (value at each bar close); ``fees`` and ``rebalances`` are passed through.

    >>> m = compute_metrics(np.array([100.0, 110.0, 99.0]), 2.0)  # two bars a year, one year
    >>> round(m.cagr, 6), round(m.max_drawdown, 6)
    (-0.01, -0.1)
    """
    equity = _curve(equity)
    returns = equity[1:] / equity[:-1] - 1.0
    years = (len(equity) - 1) / bars_per_year
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cagr = float((equity[-1] / equity[0]) ** (1.0 / years) - 1.0) if years > 0 else math.nan
        volatility = (
            float(np.std(returns, ddof=1)) * math.sqrt(bars_per_year) if len(returns) > 1 else math.nan
        )
        excess = float(np.mean(returns)) * bars_per_year - risk_free if len(returns) else math.nan
        downside = (
            math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)) * bars_per_year) if len(returns) else 0.0
        )
    if volatility < _NOISE:  # a steady curve's returns differ only by rounding: call that zero, not 1e-17
        volatility = 0.0
    if traded_value == 0.0:
        turnover = 0.0
    else:
        turnover = traded_value / float(np.mean(equity)) / years if years > 0 else math.nan
    return Metrics(
        final_value=float(equity[-1]),
        cagr=cagr,
        volatility=volatility,
        sharpe=excess / volatility if volatility > 0 else math.nan,
        sortino=excess / downside if downside > 0 else math.nan,
        max_drawdown=float(np.min(drawdowns(equity))),
        turnover=turnover,
        fees=fees,
        rebalances=rebalances,
        years=years,
    )


def drawdowns(equity: NDArray[np.float64]) -> NDArray[np.float64]:
    """``equity / running maximum − 1`` at every bar: 0 at a new high, negative below it."""
    equity = _curve(equity)
    result: NDArray[np.float64] = equity / np.maximum.accumulate(equity) - 1.0
    return result


def log_growth(equity: NDArray[np.float64], bars_per_year: float) -> float:
    """Annualised mean log return, ``ln(final / initial) / years``; NaN for a single bar."""
    equity = _curve(equity)
    years = (len(equity) - 1) / bars_per_year
    if years <= 0:
        return math.nan
    with np.errstate(divide="ignore"):
        return float(np.log(equity[-1] / equity[0])) / years


def rebalancing_premium(
    strategy_equity: NDArray[np.float64], hold_equity: NDArray[np.float64], bars_per_year: float
) -> float:
    """Measured premium: annualised log growth of the strategy minus that of buy-and-hold (same bars).

    0.05 means the strategy compounded at 5%/yr (in log terms) faster than holding its starting portfolio.
    """
    if np.shape(strategy_equity) != np.shape(hold_equity):
        raise ValueError("the strategy and buy-and-hold curves must cover the same bars")
    return log_growth(strategy_equity, bars_per_year) - log_growth(hold_equity, bars_per_year)


def theoretical_premium(
    closes: NDArray[np.float64], weights: NDArray[np.float64], bars_per_year: float
) -> float:
    """Predicted excess growth at constant ``weights``, annualised: ``½ (Σ w_i σ_i² − σ_p²) · bars_per_year``.

    ``closes`` is (bars, assets) without NaN; ``weights`` (assets,) sums to 1. A cash asset has σ = 0: pass
    it as a column of ones. ``σ_i²`` is the variance of asset i's bar log returns and ``σ_p² = w' Σ w`` with
    ``Σ`` their covariance matrix. That ``σ_p²`` is an approximation: the log return of the rebalanced
    portfolio is ``ln Σ w_i e^{r_i}``, not ``Σ w_i r_i``, and the two agree to second order in the bar
    returns, which is the order at which γ* itself is defined. Moments are the sample's own (ddof=0: the
    realised variance of this path), so Shannon's demon (an asset alternating ×2 and ×½, held 50/50 with
    cash) gives exactly ½ (½ σ² − ¼ σ²) = σ²/8 per bar with σ = ln 2, against a realised
    ½ ln(1.5 · 0.75) ≈ 0.0589 per bar. NaN with fewer than two bars.
    """
    closes = np.asarray(closes, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if closes.ndim != 2 or weights.shape != (closes.shape[1],):
        raise ValueError(f"closes {closes.shape} and weights {weights.shape} do not match")
    if not abs(float(weights.sum()) - 1.0) <= 1e-6:
        raise ValueError(f"weights must sum to 1, got {float(weights.sum())}")
    if not np.all(closes > 0):  # also rejects NaN: select a window in which every asset has a price
        raise ValueError("closes must be positive and present for every asset at every bar")
    if len(closes) < 2:
        return math.nan
    log_returns = np.diff(np.log(closes), axis=0)
    covariance = np.atleast_2d(np.cov(log_returns, rowvar=False, ddof=0))
    weighted_variance = float(weights @ np.diag(covariance))
    portfolio_variance = float(weights @ covariance @ weights)
    return 0.5 * (weighted_variance - portfolio_variance) * bars_per_year


def _curve(equity: NDArray[np.float64]) -> NDArray[np.float64]:
    curve = np.asarray(equity, dtype=np.float64)
    if curve.ndim != 1 or len(curve) == 0:
        raise ValueError(f"equity must be a non-empty 1-D array, got shape {curve.shape}")
    return curve

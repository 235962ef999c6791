"""Inverse-volatility targets for the backtest: every window's volatility computed once, with numpy.

The live bot hands :meth:`InverseVolatility.targets` the last ``lookback_days + 1`` daily closes of each
asset, and it works the volatility out from them in Python. A backtest asks at every check (an hourly
run checked daily: 1,826 times in 5 years), so :class:`RollingVolatility` computes the volatility of every
window of the history's daily closes in one go: log returns once, then per window the mean and the sum
of squared deviations from it (two passes, as :func:`statistics.stdev` does, never running sums that
cancel). The weights then come from :meth:`InverseVolatility.targets_from_volatility`: the live Decimal
scores, water-filling and rounding.

Tolerance against the live path: the volatilities agree to ~1e-15 relative (float rounding of the log
and of the sums; ``statistics.stdev`` rounds its exact result once). The weights are on a 0.0001-point
grid, so they are the same unless an exact weight falls within ~1e-13 points of a rounding boundary of
that grid; then one asset's weight can differ by one step (0.0001 points) and another's by the same
step the other way. tests/backtest/test_volatility.py compares both paths on real hourly data.

A window with a missing (NaN) or non-positive close, or one whose volatility is zero, is handed to the
live path, which gives the same answer or the same error as the live bot would.

:meth:`RollingVolatility.screen_targets` gives the same targets in floats for many checks at once, for
the drift screen (:mod:`trimtab.backtest.screen`): it only has to be within
:func:`target_slack` of the Decimal targets, since every check it cannot rule out is decided by them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from trimtab.backtest.data import PriceFrame
from trimtab.weights.inverse_volatility import InverseVolatility

# Windows worked on at once: bounds the temporary (windows x assets x lookback) array to ~16 MiB.
_CHUNK_VALUES = 2_000_000


def target_slack(names: int) -> float:
    """How far (percentage points) float targets of ``names`` weights may be from the Decimal ones: each
    weight is rounded to the 0.0001 grid and the rounding remainder (up to half a step per weight) goes to
    one of them; float rounding adds ~1e-12. Twice that, to be safe."""
    return 2 * 0.0001 * (names + 2)


def water_fill(scores: NDArray[np.float64], budget: float, low: float, high: float) -> NDArray[np.float64]:
    """Row by row, ``budget`` split in proportion to ``scores`` within ``[low, high]``: the float twin of
    :func:`trimtab.weights.inverse_volatility._water_fill` (the same passes, all rows at once)."""
    fixed = np.full(scores.shape, np.nan)
    for _ in range(scores.shape[1]):
        free = np.isnan(fixed)
        if not free.any():
            break
        remaining = budget - np.where(free, 0.0, fixed).sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # rows with nothing free left: not used
            share = remaining * scores / np.where(free, scores, 0.0).sum(axis=1, keepdims=True)
        above, below = free & (share > high), free & (share < low)
        settled = ~(above | below).any(axis=1, keepdims=True)
        excess = np.where(above, share - high, 0.0).sum(axis=1, keepdims=True)
        deficit = np.where(below, low - share, 0.0).sum(axis=1, keepdims=True)
        fixed = np.where(free & settled, share, fixed)
        fixed = np.where(above & ~settled & (excess >= deficit), high, fixed)
        fixed = np.where(below & ~settled & (excess < deficit), low, fixed)
    return fixed


def daily_rows(frame: PriceFrame) -> NDArray[np.int64]:
    """Row indexes of the daily closes of ``frame``: every row for daily bars; the bar closing at 00:00
    UTC (the close of the day before) for hourly bars."""
    if frame.bar == "1d":
        return np.arange(len(frame.times), dtype=np.int64)
    hours = frame.times.astype("datetime64[h]").astype(np.int64)
    return np.flatnonzero(hours % 24 == 0).astype(np.int64)


def window_volatility(closes: NDArray[np.float64], lookback: int) -> NDArray[np.float64]:
    """Sample standard deviation (ddof=1) of the ``lookback`` log returns ending at each daily close.

    ``closes``: daily closes, days x assets. Row ``i`` of the result is the volatility of the window of
    closes ``i .. i + lookback`` (so it has ``days - lookback`` rows); NaN where the window has a NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.log(closes[1:] / closes[:-1])  # days - 1 x assets
    count = max(0, len(returns) - lookback + 1)
    result = np.empty((count, closes.shape[1]), dtype=np.float64)
    step = max(1, _CHUNK_VALUES // max(1, closes.shape[1] * lookback))
    for first in range(0, count, step):
        last = min(count, first + step)
        windows = sliding_window_view(returns[first : last + lookback - 1], lookback, axis=0)
        deviations = windows - windows.mean(axis=-1, keepdims=True)
        result[first:last] = np.sqrt(np.einsum("wal,wal->wa", deviations, deviations) / (lookback - 1))
    return result


class RollingVolatility:
    """The inverse-volatility targets of ``weights`` at any bar of ``history``, from precomputed windows.

    ``assets`` are the assets the backtest holds (the live path is given closes of these only).
    """

    def __init__(self, weights: InverseVolatility, history: PriceFrame, assets: tuple[str, ...]) -> None:
        self.weights = weights
        self.risk_assets = weights.risk_assets
        self.rows = daily_rows(history)
        self.usable = all(a in assets and a in history.assets for a in self.risk_assets)
        if self.usable:
            columns = [history.assets.index(a) for a in self.risk_assets]
            closes = history.closes[self.rows][:, columns]
            self.volatility = window_volatility(closes, weights.lookback_days)
            with np.errstate(invalid="ignore"):
                positive = np.all(closes > 0, axis=1)
            # A window is served here when all its closes are positive and every volatility is > 0.
            lookback = weights.lookback_days
            bad = np.concatenate(([0], np.cumsum(~positive)))
            clean = (bad[lookback + 1 :] - bad[: len(bad) - lookback - 1]) == 0
            self.served = clean[: len(self.volatility)] & np.all(self.volatility > 0, axis=1)
        self.cached: tuple[int, dict[str, Decimal]] | None = None  # hourly checks share a day's window

    def windows(self, lasts: NDArray[np.int64]) -> NDArray[np.int64]:
        """The window index of each history row in ``lasts``; -1 where it is left to the live path."""
        ends = np.searchsorted(self.rows, lasts, side="right")
        window = ends - self.weights.lookback_days - 1
        inside = (window >= 0) & (window < len(self.volatility))
        window = np.where(inside, window, 0)
        return np.where(inside & self.served[window], window, -1)

    def screen_targets(self, lasts: NDArray[np.int64], names: Sequence[str]) -> NDArray[np.float64] | None:
        """Float target percentages at the history rows ``lasts`` (one row each), columns ``names``; NaN
        rows where the live path decides. None when a target lies outside ``names`` (a cash asset that is
        not the backtest's quote) or the assets are not all held: the screen is then left out."""
        weights = self.weights
        columns = [names.index(a) if a in names else -1 for a in weights.assets]
        if not self.usable or -1 in columns:
            return None
        window = self.windows(lasts)
        served = window >= 0
        low = float(weights.min_weight) if weights.min_weight is not None else 0.0
        high = float(weights.max_weight) if weights.max_weight is not None else 100.0
        budget = 100.0 - float(weights.cash_weight)
        result = np.full((len(lasts), len(names)), np.nan)
        shares = water_fill(1.0 / self.volatility[window[served]], budget, low, high)
        risky = np.array(columns[: len(self.risk_assets)], dtype=np.int64)
        others = np.array([i for i in range(len(names)) if i not in columns], dtype=np.int64)
        result[np.ix_(served, risky)] = shares
        result[np.ix_(served, others)] = 0.0
        if weights.cash_asset is not None:
            result[served, columns[-1]] = float(weights.cash_weight)
        return result

    def targets(self, last: int) -> dict[str, Decimal] | None:
        """The targets with the daily closes up to row ``last`` of the history, or None when this
        window is left to the live path (not enough closes, a missing or non-positive one, no move)."""
        if not self.usable:
            return None
        end = int(np.searchsorted(self.rows, last, side="right"))
        window = end - self.weights.lookback_days - 1  # the window of closes end - lookback - 1 .. end - 1
        if window < 0 or window >= len(self.volatility) or not self.served[window]:
            return None
        if self.cached is None or self.cached[0] != window:
            row = self.volatility[window]
            volatility = {asset: float(row[i]) for i, asset in enumerate(self.risk_assets)}
            self.cached = window, self.weights.targets_from_volatility(volatility)
        return dict(self.cached[1])

"""The target weights a replay plans with at each bar, and the ones its drift screen compares with.

Static weights are the configured ones at every bar. Dynamic weights see only the daily closes of the
look-back window before the bar, as the live bot would at that time. Inverse volatility is served by
:class:`~trimtab.backtest.volatility.RollingVolatility` (every window worked out at once, and in floats
for the screen); other dynamic weights, and the windows it leaves to the live path, get the live
``targets`` call with that window's closes as Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from trimtab.backtest.data import PriceFrame
from trimtab.backtest.volatility import RollingVolatility, daily_rows, target_slack
from trimtab.weights.base import TargetWeights
from trimtab.weights.inverse_volatility import InverseVolatility


class BarTargets:
    """The targets of ``weights`` at the bars closing at ``times`` (the replayed frame's), looking back
    into ``history`` (a frame of the same assets that may start earlier); ``assets`` are the ones held."""

    def __init__(
        self,
        weights: TargetWeights,
        times: NDArray[np.datetime64],
        history: PriceFrame,
        assets: tuple[str, ...],
    ) -> None:
        self.weights = weights
        self.times = times
        self.history = history
        self.assets = assets
        # Dynamic weights read daily closes: their rows once, and inverse volatility's windows at once.
        self.rolling = (
            RollingVolatility(weights, history, assets) if isinstance(weights, InverseVolatility) else None
        )
        if self.rolling is not None:
            self.daily: NDArray[np.int64] | None = self.rolling.rows
        else:
            self.daily = daily_rows(history) if weights.lookback_days else None
        self.columns = [history.assets.index(asset) for asset in assets] if weights.lookback_days else []

    def at(self, bar: int) -> dict[str, Decimal]:
        """The targets at the close of ``bar``."""
        needed = self.weights.lookback_days
        if not needed:
            return self.weights.targets({})
        # Dynamic weights see only the daily closes up to this bar (the look-back window before it).
        history = self.history
        last = int(np.searchsorted(history.times, self.times[bar], side="right")) - 1
        fast = self.rolling.targets(last) if self.rolling is not None else None
        if fast is not None:
            return fast
        assert self.daily is not None
        end = int(np.searchsorted(self.daily, last, side="right"))
        daily = self.daily[max(0, end - needed - 1) : end]
        closes: dict[str, list[Decimal]] = {}
        for asset, column in zip(self.assets, self.columns, strict=True):
            values = (float(history.closes[r, column]) for r in daily)
            closes[asset] = [Decimal(repr(v)) for v in values if not np.isnan(v)]
        return self.weights.targets(closes)

    def screened(
        self, checks: NDArray[np.int64], names: Sequence[str]
    ) -> tuple[Mapping[str, Decimal] | NDArray[np.float64], float] | None:
        """What :class:`~trimtab.backtest.screen.DriftScreen` compares with at the bars ``checks``
        (weight columns ``names``), and its slack in points: the static targets, or inverse volatility's
        in floats, one row per check. None when the targets cannot be screened."""
        if self.rolling is None:
            return None if self.weights.lookback_days else (self.weights.targets({}), 0.0)
        lasts = np.searchsorted(self.history.times, self.times[checks], side="right") - 1
        moving = self.rolling.screen_targets(lasts, names)
        return None if moving is None else (moving, target_slack(len(names)))

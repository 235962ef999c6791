"""A float pre-check that tells the backtester at which checks a drift policy cannot fire.

Between two rebalances the holdings do not change, so the weights at every later check are one
vectorised product of the holdings and the closes. A threshold or hybrid policy can only fire where
some asset is at least its band away from its target; :class:`DriftScreen` finds those checks in
floats, with a margin (:data:`MARGIN_POINTS`) far wider than any float rounding, and the engine asks
the live Decimal policy only there. Everywhere else the policy's answer is known to be "no", so the
decisions, and so the trades, are exactly those of asking the policy at every check (a test replays
both ways and compares them).

Only policies whose decision depends on the weights alone, at a fixed interval, are screened:
:class:`~trimtab.policy.ThresholdPolicy` and :class:`~trimtab.policy.HybridPolicy`, with static weights
or with inverse volatility, whose targets move from check to check: the screen then takes them per check
in floats (:meth:`trimtab.backtest.volatility.RollingVolatility.screen_targets`) and widens its margin by
how far those may be from the Decimal targets. Everything else is asked at every check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from trimtab.policy.base import Policy
from trimtab.policy.hybrid import HybridPolicy
from trimtab.policy.threshold import ThresholdPolicy

# Percentage points. Float weights differ from the Decimal ones by ~1e-12 points; a check whose float
# drift is within this margin of a band is handed to the Decimal policy to decide.
MARGIN_POINTS = 1e-7
FIRST_BLOCK, LARGEST_BLOCK = 64, 4096  # checks screened at once, doubling while none is near a band


@dataclass(frozen=True)
class DriftBand:
    """What a screenable policy fires on: an absolute band, an optional relative one, the interval."""

    threshold_percent: Decimal
    relative_percent: Decimal | None
    check_interval: timedelta


def drift_band(policy: Policy) -> DriftBand | None:
    """The band of a threshold or hybrid policy; None for any policy that is not screened."""
    if isinstance(policy, HybridPolicy):
        threshold, interval = policy.threshold, policy.check_interval
    elif isinstance(policy, ThresholdPolicy):
        threshold, interval = policy, policy.check_interval
    else:
        return None
    return DriftBand(threshold.threshold_percent, threshold.relative_percent, interval)


class DriftScreen:
    """Screens the check bars ``checks`` of a frame whose asset closes are ``closes`` (bars x assets).

    ``names`` are the weight columns: the assets of ``closes`` in order, then the quote (cash).
    ``targets`` are percentages; a target for a name outside ``names`` is a weight that stays 0. Targets
    that move are an array of float percentages, one row per check and one column per name, within
    ``slack`` points of the Decimal ones; a row of NaN leaves that check to the policy.
    """

    def __init__(
        self,
        band: DriftBand,
        closes: NDArray[np.float64],
        checks: NDArray[np.int64],
        names: Sequence[str],
        targets: Mapping[str, Decimal] | NDArray[np.float64],
        *,
        slack: float = 0.0,
    ) -> None:
        self.closes = closes
        self.checks = checks
        if isinstance(targets, np.ndarray):  # one row per check
            self.targets = targets
            # A target on a name the frame does not hold is never passed here (see screen_targets).
            self.always = False
        else:
            self.targets = np.array([float(targets.get(n, 0)) for n in names], dtype=np.float64)
            # A target on a name the frame does not hold never moves: leave every check to the policy.
            self.always = any(v > 0 for n, v in targets.items() if n not in names)
        margin = MARGIN_POINTS + slack
        limits = np.full(self.targets.shape, float(band.threshold_percent) - margin)
        if band.relative_percent is not None:
            relative = float(band.relative_percent) * self.targets / 100 - margin
            limits = np.where(self.targets > 0, np.minimum(limits, relative), limits)
        self.limits = limits

    def next_candidate(self, start: int, held: NDArray[np.float64], cash: float) -> int:
        """The first position ``p >= start`` in ``checks`` where a band may be broken, or ``len(checks)``."""
        count = len(self.checks)
        if self.always:
            return min(start, count)
        block = FIRST_BLOCK
        while start < count:
            rows = self.checks[start : start + block]
            values = self.closes[rows] * held
            totals = values.sum(axis=1) + cash
            weights = np.column_stack([values, np.full(len(rows), cash)]) * (100.0 / totals)[:, None]
            if self.targets.ndim == 2:
                targets, limits = self.targets[start : start + block], self.limits[start : start + block]
                near = (np.abs(weights - targets) >= limits).any(axis=1) | np.isnan(targets).any(axis=1)
            else:
                near = (np.abs(weights - self.targets) >= self.limits).any(axis=1)
            hits = np.flatnonzero(near | ~(totals > 0))
            if len(hits):
                return start + int(hits[0])
            start += len(rows)
            block = min(block * 2, LARGEST_BLOCK)
        return count

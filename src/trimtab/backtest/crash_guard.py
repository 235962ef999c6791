"""The crash guard, replayed (``guards.crash_percent`` in a backtest).

Live, an asset that fell more than ``crash_percent`` over 24 hours is not bought until its owner
resumes it (:mod:`trimtab.app.guards`). A backtest has no owner, so its stand-in for the resume is
time: at a rebalance, an asset whose 24-hour change fell below ``-crash_percent`` at any bar of the
last :data:`RESUME_DAYS` days (that bar included) is held back: frozen like the live bot freezes it,
neither bought nor sold, the rest rebalanced around it. It is bought again at the first rebalance
after it has gone :data:`RESUME_DAYS` days without such a fall.

The 24-hour change at a bar is its close against the close of the last bar at least 24 hours before
(none for the bars of the first day).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from trimtab.model.money import fmt

#: Days without a fall past ``crash_percent`` after which the backtest buys a held-back asset again:
#: its stand-in for the owner's resume.
RESUME_DAYS = 3
_DAY = 86_400


class CrashGuard:
    """The crash flags of ``closes`` (bars x ``assets``, at Unix ``seconds``) for ``crash_percent``."""

    def __init__(
        self,
        assets: tuple[str, ...],
        seconds: NDArray[np.int64],
        closes: NDArray[np.float64],
        crash_percent: Decimal,
        resume_days: int = RESUME_DAYS,
    ) -> None:
        self.assets = assets
        self.seconds = seconds
        self.crash_percent = crash_percent
        self.window = resume_days * _DAY
        before = np.searchsorted(seconds, seconds - _DAY, side="right") - 1
        known = before >= 0
        earlier = closes[np.where(known, before, 0)]
        with np.errstate(divide="ignore", invalid="ignore"):
            change = (closes / earlier - 1.0) * 100.0
        change[~known] = np.nan
        self.change = change
        # nan compares False: a bar without a day before it (or a price) is no crash
        self.crashed = change < -float(crash_percent)

    def frozen(self, bar: int) -> dict[str, str]:
        """The assets held back at ``bar``, each with its reason."""
        first = int(np.searchsorted(self.seconds, self.seconds[bar] - self.window, side="right"))
        recent = self.crashed[first : bar + 1]
        held: dict[str, str] = {}
        for j, asset in enumerate(self.assets):
            if recent[:, j].any():
                worst = float(np.nanmin(self.change[first : bar + 1, j]))
                held[asset] = (
                    f"{asset} fell {fmt(Decimal(repr(-worst)), 2)} % in 24 h, more than guards.crash_percent "
                    f"({fmt(self.crash_percent)} %), within the last {self.window // _DAY} days"
                )
        return held

"""The bars at which a replay asks its policy: every bar of the policy's ``next_check`` chain, or, for a
policy the drift screen understands (:mod:`trimtab.backtest.screen`), only the checks where the screen
cannot rule out that it fires (the decisions are the same; the screen is tested against the chain).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from trimtab.backtest.bar_targets import BarTargets
from trimtab.backtest.data import PriceFrame
from trimtab.backtest.screen import DriftScreen, drift_band
from trimtab.policy.base import Policy


def policy_checks(
    policy: Policy, times: NDArray[np.datetime64], time_of: Callable[[int], datetime]
) -> Iterator[int]:
    """Every bar the policy asks to be checked at (its ``next_check`` chain from bar 1): the first bar
    closing at or after the time it names, and always a later bar than the last. ``times`` are the bar
    close times and ``time_of(bar)`` the same as a datetime."""
    check = 1
    while check < len(times):
        yield check
        moment = np.datetime64(int(policy.next_check(time_of(check)).timestamp()), "s")
        check = max(check + 1, int(np.searchsorted(times, moment, side="left")))


def drift_screen(
    policy: Policy,
    frame: PriceFrame,
    closes: NDArray[np.float64],
    names: Sequence[str],
    targets: BarTargets,
) -> DriftScreen | None:
    """The screen of ``policy`` over ``closes`` (the held assets' columns of ``frame``; ``names`` are
    the weight columns: those assets, then the quote), or None when it cannot be screened."""
    band = drift_band(policy)
    if band is None:
        return None
    step = -(-band.check_interval // frame.spacing)  # the evenly spaced grid's bars per check
    checks = np.arange(1, len(frame.times), max(1, step), dtype=np.int64)
    # Inverse volatility: the targets of every check at once, in floats (see bar_targets.py).
    screened = targets.screened(checks, names)
    if screened is None:
        return None
    moving, slack = screened
    return DriftScreen(band, closes, checks, names, moving, slack=slack)


def screened_checks(
    screen: DriftScreen, holdings: Callable[[], tuple[NDArray[np.float64], float]]
) -> Iterator[int]:
    """The checks where the policy may fire; between them it is known to say no (see screen.py).
    ``holdings()`` are the amounts held and the cash at the time of asking (they change at rebalances)."""
    position = 0
    while True:
        position = screen.next_candidate(position, *holdings())
        if position >= len(screen.checks):
            return
        yield int(screen.checks[position])
        position += 1

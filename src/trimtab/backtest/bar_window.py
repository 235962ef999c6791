"""The rebalance window on bars: which bar closes a backtest may rebalance at.

The backtest asks the policy at bar closes only. On hourly bars that is close enough to the live bot: a
close inside the window (08:00 .. 19:00 for an 08-20 window) is a moment the bot could trade at that price.

A daily close is one moment a day (00:00 UTC for Binance's candles) and is rarely inside a window of hours,
yet it is the only price of its day that the file has. So on daily bars a close stands for the day it
closes, the 24 hours before it: the window admits the close when it is open at some moment of that day.
For 00:00 UTC closes that is simply a weekday rule: a Mon-Fri 08-20 window admits the closes of the
Monday .. Friday candles (at 00:00 UTC Tuesday .. Saturday), and its hours do not matter. The policy
itself is not changed: it gets the same window, moved onto the bar closes it admits.

>>> from trimtab.policy import RebalanceWindow
>>> window_at_daily_closes(RebalanceWindow(frozenset(range(5)), 8, 20), close_second=0).describe()
'Tue-Sat 00:00-01:00 UTC'
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from trimtab.backtest.data import PriceFrame
from trimtab.errors import ParameterError
from trimtab.policy import RebalanceWindow, WindowedPolicy
from trimtab.policy.base import Policy

_DAY = 86_400


def policy_on_bars(policy: Policy, frame: PriceFrame, source: str) -> Policy:
    """``policy`` with its rebalance window (if any) judged on the bars of ``frame``, see the module.

    ParameterError (``period``, ``source``) when the window admits none of the bars after the first
    (the first is the initial purchase): the strategy could never rebalance, which is not worth computing.
    """
    if not isinstance(policy, WindowedPolicy):
        return policy
    window = policy.window
    if frame.bar == "1d":
        window = window_at_daily_closes(window, close_second=int(frame.times[0].astype(np.int64)) % _DAY)
    checks = frame.times[1:]
    if len(checks) and not admitted(window, checks).any():
        days = "daily" if frame.bar == "1d" else "hourly"
        raise ParameterError(
            "period",
            f"the config's rebalance_window ({policy.window.describe()}) holds none of the {len(checks)} "
            f"{days} bar closes after the first ({_moment(checks[0])} .. {_moment(checks[-1])} UTC), so the "
            "strategy could never rebalance; choose a period of a week or more, or widen the window",
            source=source,
        )
    return WindowedPolicy(policy.inner, window)


def window_at_daily_closes(window: RebalanceWindow, *, close_second: int) -> RebalanceWindow:
    """The window that admits the daily closes (each at ``close_second`` of its UTC day) whose day, the
    24 hours before the close, overlaps ``window``.

    The day before a close on day D is the end of D-1 from the close's clock time on, then D up to it.
    """
    before = {(day + 1) % 7 for day in window.days if window.end_hour * 3_600 > close_second}
    same = {day for day in window.days if window.start_hour * 3_600 < close_second}
    hour = close_second // 3_600
    return RebalanceWindow(frozenset(before | same), hour, hour + 1)


def admitted(window: RebalanceWindow, times: NDArray[np.datetime64]) -> NDArray[np.bool_]:
    """For each UTC moment of ``times``, whether ``window`` contains it (``RebalanceWindow.contains``)."""
    seconds = times.astype("datetime64[s]").astype(np.int64)
    weekdays = (seconds // _DAY + 3) % 7  # 1970-01-01 was a Thursday (3)
    hours = seconds // 3_600 % 24
    in_days = np.isin(weekdays, sorted(window.days))
    return in_days & (hours >= window.start_hour) & (hours < window.end_hour)


def _moment(time: np.datetime64) -> str:
    return str(time.astype("datetime64[m]")).replace("T", " ")

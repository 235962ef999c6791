"""Policies decide *when* to rebalance: pure functions of time, weights, targets and the last rebalance.

Every policy implements :class:`Policy`: ``decide(now, weights, targets, last_rebalance)`` returns a
:class:`Decision` with a one-line reason, and ``next_check(now)`` says when to ask again. Datetimes are
timezone-aware UTC (naive ones raise ValueError); weights and targets are percentages (0..100).

- :class:`CalendarPolicy`: on a schedule (daily, weekly, monthly, quarterly), catching up once after downtime.
- :class:`ThresholdPolicy`: when an asset drifts past an absolute (and optionally relative) band.
- :class:`HybridPolicy`: check on an interval, trade only past the threshold.
- :class:`WindowedPolicy`: any of the above, restricted to a :class:`RebalanceWindow` of weekdays and hours.
"""

from trimtab.policy._time import WEEKDAY_ABBREVIATIONS, WEEKDAY_NAMES
from trimtab.policy.base import Decision, Policy
from trimtab.policy.calendar import CalendarPolicy, Interval
from trimtab.policy.hybrid import HybridPolicy
from trimtab.policy.threshold import ThresholdPolicy, max_drift
from trimtab.policy.window import RebalanceWindow, WindowedPolicy, parse_weekday

__all__ = [
    "WEEKDAY_ABBREVIATIONS",
    "WEEKDAY_NAMES",
    "CalendarPolicy",
    "Decision",
    "HybridPolicy",
    "Interval",
    "Policy",
    "RebalanceWindow",
    "ThresholdPolicy",
    "WindowedPolicy",
    "max_drift",
    "parse_weekday",
]

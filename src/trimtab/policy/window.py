"""Rebalance windows: restrict when a policy may trade to some weekdays and UTC hours.

>>> from datetime import UTC, datetime
>>> window = RebalanceWindow(frozenset(range(5)), start_hour=8, end_hour=20)
>>> window.describe()
'Mon-Fri 08:00-20:00 UTC'
>>> window.next_opening(datetime(2026, 11, 27, 21, tzinfo=UTC))  # Friday evening
datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from trimtab.policy._time import WEEKDAY_ABBREVIATIONS, WEEKDAY_NAMES, require_utc
from trimtab.policy.base import Decision, Policy

__all__ = ["WEEKDAY_ABBREVIATIONS", "WEEKDAY_NAMES", "RebalanceWindow", "WindowedPolicy", "parse_weekday"]

_WEEKDAYS_BY_NAME = {
    **{name.lower(): day for day, name in enumerate(WEEKDAY_NAMES)},
    **{name.lower(): day for day, name in enumerate(WEEKDAY_ABBREVIATIONS)},
}


def parse_weekday(name: str) -> int:
    """0 (Monday) .. 6 (Sunday) from an English day name or its 3-letter abbreviation, any case.

    >>> parse_weekday("Monday"), parse_weekday("sun")
    (0, 6)
    """
    try:
        return _WEEKDAYS_BY_NAME[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown weekday {name!r}: expected a day name such as 'monday' or 'mon'") from None


@dataclass(frozen=True)
class RebalanceWindow:
    """The weekdays (0 = Monday .. 6 = Sunday) and UTC hours ``[start_hour, end_hour)`` open for trading."""

    days: frozenset[int]
    start_hour: int
    end_hour: int

    def __post_init__(self) -> None:
        # Accept any iterable of days (a config list, a set) but keep the field hashable and immutable.
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days:
            raise ValueError("a rebalance window needs at least one day")
        bad = sorted((d for d in self.days if not _is_int_in(d, 0, 6)), key=repr)
        if bad:
            raise ValueError(f"window days must be 0 (Monday) .. 6 (Sunday), got {bad[0]!r}")
        if not (_is_int_in(self.start_hour, 0, 23) and _is_int_in(self.end_hour, 1, 24)):
            raise ValueError(
                f"window hours must satisfy 0 <= start < end <= 24, got {self.start_hour!r}-{self.end_hour!r}"
            )
        if self.start_hour >= self.end_hour:
            raise ValueError(
                f"window start hour must come before its end hour, got {self.start_hour}-{self.end_hour}"
            )

    def contains(self, now: datetime) -> bool:
        """True when ``now`` falls on one of the days, at or after ``start_hour`` and before ``end_hour``."""
        now = require_utc(now, "now")
        return now.weekday() in self.days and self.start_hour <= now.hour < self.end_hour

    def next_opening(self, after: datetime) -> datetime:
        """The first moment at or after ``after`` inside the window (``after`` itself when it is inside)."""
        after = require_utc(after, "after")
        if self.contains(after):
            return after
        opens_at = time(self.start_hour, tzinfo=UTC)
        # Eight days cover every case: today's opening may already have passed, and then the same
        # weekday a week later is the last candidate.
        for offset in range(8):
            opening = datetime.combine(after.date() + timedelta(days=offset), opens_at)
            if opening.weekday() in self.days and opening >= after:
                return opening
        raise AssertionError("unreachable: a window with at least one day opens within eight days")

    def describe(self) -> str:
        """``Mon-Fri 08:00-20:00 UTC``: runs of three or more days as a range, others listed."""
        return f"{_describe_days(self.days)} {self.start_hour:02d}:00-{self.end_hour:02d}:00 UTC"


@dataclass(frozen=True)
class WindowedPolicy:
    """Another policy, allowed to rebalance only inside ``window``.

    Outside the window the answer is always no, without consulting ``inner``. A rebalance that
    comes due outside (a calendar time on a Saturday, a drift overnight) happens at the next
    opening, because the inner policy still sees it as due then.
    """

    inner: Policy
    window: RebalanceWindow

    def decide(
        self,
        now: datetime,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        last_rebalance: datetime | None,
    ) -> Decision:
        """No rebalance outside the window; inside it, whatever ``inner`` decides."""
        if not self.window.contains(now):
            if last_rebalance is not None:
                require_utc(last_rebalance, "last_rebalance")
            return Decision(False, f"outside the rebalance window ({self.window.describe()})")
        return self.inner.decide(now, weights, targets, last_rebalance)

    def next_check(self, now: datetime) -> datetime:
        """``inner.next_check(now)``, moved to the window's next opening when it falls outside the window.

        A check made outside the window did not count, so when the window opens before the inner
        policy's next check, the bot checks at the opening instead of letting a whole window pass.
        """
        scheduled = self.window.next_opening(self.inner.next_check(now))
        if not self.window.contains(now):
            return min(scheduled, self.window.next_opening(now))
        return scheduled


def _describe_days(days: Iterable[int]) -> str:
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_ABBREVIATIONS[run[0]]}-{WEEKDAY_ABBREVIATIONS[run[-1]]}")
        else:
            parts.extend(WEEKDAY_ABBREVIATIONS[day] for day in run)
    return ", ".join(parts)


def _is_int_in(value: object, low: int, high: int) -> bool:
    # bool is an int subclass; True as an hour or a day is a config mistake.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

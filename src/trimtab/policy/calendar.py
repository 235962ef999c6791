"""Calendar rebalancing: rebalance on a fixed schedule, whatever the weights.

>>> from datetime import UTC, datetime, time
>>> policy = CalendarPolicy(Interval.WEEKLY, at=time(12), weekday=0)
>>> policy.last_scheduled(datetime(2026, 11, 25, tzinfo=UTC))
datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
>>> policy.next_check(datetime(2026, 11, 25, tzinfo=UTC))
datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from trimtab.policy._time import WEEKDAY_NAMES, format_moment, require_utc
from trimtab.policy.base import Decision

_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)


class Interval(StrEnum):
    """How often a calendar policy rebalances. Quarterly means January, April, July and October."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


# Months between two scheduled moments, for the intervals scheduled on a day of the month.
_MONTH_STEP = {Interval.MONTHLY: 1, Interval.QUARTERLY: 3}


@dataclass(frozen=True)
class CalendarPolicy:
    """Rebalance once per scheduled moment (UTC), catching up once after downtime.

    ``at`` is the UTC time of day. ``weekday`` (0 = Monday) is required for weekly schedules and
    rejected otherwise. ``day_of_month`` (1..31, default 1) applies to monthly and quarterly
    schedules; a day past the end of a month means that month's last day, so 31 is "month end".
    """

    interval: Interval
    at: time = time(0)
    weekday: int | None = None
    day_of_month: int | None = None

    def __post_init__(self) -> None:
        try:
            # Interval("weekly") so a config layer may pass the plain string; the field then holds the enum.
            object.__setattr__(self, "interval", Interval(self.interval))
        except ValueError:
            choices = ", ".join(i.value for i in Interval)
            raise ValueError(f"interval must be one of {choices}, got {self.interval!r}") from None
        if self.at.tzinfo is not None and self.at.utcoffset() != timedelta(0):
            raise ValueError(f"at must be a UTC time of day, got {self.at.isoformat()}")
        if self.interval is Interval.WEEKLY:
            if self.weekday is None:
                raise ValueError("a weekly schedule needs a weekday (0 = Monday .. 6 = Sunday)")
            if not _is_int_in(self.weekday, 0, 6):
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {self.weekday!r}")
        elif self.weekday is not None:
            raise ValueError(f"weekday only applies to weekly schedules, not {self.interval.value}")
        if self.interval in _MONTH_STEP:
            if self.day_of_month is not None and not _is_int_in(self.day_of_month, 1, 31):
                raise ValueError(f"day_of_month must be 1..31, got {self.day_of_month!r}")
        elif self.day_of_month is not None:
            raise ValueError(
                f"day_of_month only applies to monthly and quarterly schedules, not {self.interval.value}"
            )

    def last_scheduled(self, now: datetime) -> datetime:
        """The latest scheduled moment at or before ``now``."""
        now = require_utc(now, "now")
        if self.interval is Interval.DAILY:
            moment = self._on(now.date())
            return moment if moment <= now else moment - _ONE_DAY
        if self.interval is Interval.WEEKLY:
            moment = self._on(now.date() - timedelta(days=(now.weekday() - self._weekday) % 7))
            return moment if moment <= now else moment - _ONE_WEEK
        step = _MONTH_STEP[self.interval]
        year, month = _period_start(now.year, now.month, step)
        moment = self._in_month(year, month)
        return moment if moment <= now else self._in_month(*_add_months(year, month, -step))

    def next_check(self, now: datetime) -> datetime:
        """The first scheduled moment strictly after ``now``."""
        now = require_utc(now, "now")
        if self.interval is Interval.DAILY:
            moment = self._on(now.date())
            return moment if moment > now else moment + _ONE_DAY
        if self.interval is Interval.WEEKLY:
            moment = self._on(now.date() + timedelta(days=(self._weekday - now.weekday()) % 7))
            return moment if moment > now else moment + _ONE_WEEK
        step = _MONTH_STEP[self.interval]
        year, month = _period_start(now.year, now.month, step)
        moment = self._in_month(year, month)
        return moment if moment > now else self._in_month(*_add_months(year, month, step))

    def decide(
        self,
        now: datetime,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        last_rebalance: datetime | None,
    ) -> Decision:
        """Rebalance when none is recorded yet, or the last one predates the latest scheduled moment.

        Comparing against the *latest* scheduled moment (not every missed one) is what makes a bot
        that was down over several scheduled times catch up once instead of once per missed time.
        """
        now = require_utc(now, "now")
        if last_rebalance is None:
            return Decision(True, f"calendar: no rebalance recorded yet ({self.interval.value} schedule)")
        last_rebalance = require_utc(last_rebalance, "last_rebalance")
        scheduled = self.last_scheduled(now)
        if last_rebalance < scheduled:
            return Decision(
                True,
                f"calendar: {self.interval.value} rebalance due (scheduled {format_moment(scheduled)}, "
                f"last rebalance {format_moment(last_rebalance)})",
            )
        upcoming = self.next_check(now)
        return Decision(
            False,
            f"calendar: {self.interval.value} rebalance not due "
            f"(last rebalance {format_moment(last_rebalance)}, next scheduled {format_moment(upcoming)})",
        )

    def describe(self) -> str:
        """The schedule in words, e.g. ``weekly on Monday at 12:00 UTC``."""
        at = f"{self.at:%H:%M} UTC"
        if self.interval is Interval.DAILY:
            return f"daily at {at}"
        if self.interval is Interval.WEEKLY:
            return f"weekly on {WEEKDAY_NAMES[self._weekday]} at {at}"
        months = " (Jan, Apr, Jul, Oct)" if self.interval is Interval.QUARTERLY else ""
        return f"{self.interval.value}{months} on day {self._day} at {at}"

    @property
    def _weekday(self) -> int:
        # Only read for weekly schedules, where __post_init__ guarantees it is set.
        return self.weekday if self.weekday is not None else 0

    @property
    def _day(self) -> int:
        return self.day_of_month if self.day_of_month is not None else 1

    def _on(self, day: date) -> datetime:
        return datetime.combine(day, self.at.replace(tzinfo=UTC))

    def _in_month(self, year: int, month: int) -> datetime:
        last_day = _gregorian.monthrange(year, month)[1]
        return self._on(date(year, month, min(self._day, last_day)))


def _period_start(year: int, month: int, step: int) -> tuple[int, int]:
    """The first month of the period of ``step`` months (counted from January) that holds ``month``."""
    return year, (month - 1) // step * step + 1


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _is_int_in(value: object, low: int, high: int) -> bool:
    # bool is an int subclass; True as a weekday is a config mistake, not Tuesday.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

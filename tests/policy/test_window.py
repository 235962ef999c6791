"""RebalanceWindow, WindowedPolicy and parse_weekday."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trimtab.policy.base import Decision
from trimtab.policy.calendar import CalendarPolicy, Interval
from trimtab.policy.threshold import ThresholdPolicy
from trimtab.policy.window import WEEKDAY_NAMES, RebalanceWindow, WindowedPolicy, parse_weekday

WEEKDAYS_8_TO_20 = RebalanceWindow(frozenset(range(5)), start_hour=8, end_hour=20)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    # 2026-11-23 is a Monday, 2026-11-28 a Saturday.
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- contains ------------------------------------------------------------------------------------


def test_start_hour_is_inside() -> None:
    assert WEEKDAYS_8_TO_20.contains(utc(2026, 11, 23, 8))


def test_just_before_the_start_is_outside() -> None:
    assert not WEEKDAYS_8_TO_20.contains(utc(2026, 11, 23, 7, 59))


def test_last_minute_before_the_end_is_inside() -> None:
    assert WEEKDAYS_8_TO_20.contains(utc(2026, 11, 23, 19, 59))


def test_end_hour_is_outside() -> None:
    assert not WEEKDAYS_8_TO_20.contains(utc(2026, 11, 23, 20))


def test_a_day_outside_the_set_is_outside_at_any_hour() -> None:
    assert not WEEKDAYS_8_TO_20.contains(utc(2026, 11, 28, 12))


def test_window_until_24_includes_the_last_hour_of_the_day() -> None:
    window = RebalanceWindow(frozenset({5}), start_hour=0, end_hour=24)
    assert window.contains(utc(2026, 11, 28, 23, 59))
    assert window.contains(utc(2026, 11, 28, 0))
    assert not window.contains(utc(2026, 11, 29, 0))


# --- next_opening --------------------------------------------------------------------------------


def test_next_opening_inside_the_window_is_the_moment_itself() -> None:
    moment = utc(2026, 11, 24, 10, 17)
    assert WEEKDAYS_8_TO_20.next_opening(moment) == moment


def test_next_opening_before_the_start_is_the_same_day() -> None:
    assert WEEKDAYS_8_TO_20.next_opening(utc(2026, 11, 24, 3)) == utc(2026, 11, 24, 8)


def test_next_opening_after_the_end_is_the_next_day() -> None:
    assert WEEKDAYS_8_TO_20.next_opening(utc(2026, 11, 24, 20)) == utc(2026, 11, 25, 8)


def test_next_opening_across_the_weekend_is_monday_morning() -> None:
    assert WEEKDAYS_8_TO_20.next_opening(utc(2026, 11, 27, 20)) == utc(2026, 11, 30, 8)
    assert WEEKDAYS_8_TO_20.next_opening(utc(2026, 11, 28, 12)) == utc(2026, 11, 30, 8)
    assert WEEKDAYS_8_TO_20.next_opening(utc(2026, 11, 29, 23, 59)) == utc(2026, 11, 30, 8)


def test_next_opening_of_a_single_day_window_after_it_closed_is_a_week_later() -> None:
    mondays = RebalanceWindow(frozenset({0}), start_hour=9, end_hour=10)
    assert mondays.next_opening(utc(2026, 11, 23, 10)) == utc(2026, 11, 30, 9)


# --- describe ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "start", "end", "text"),
    [
        ({0, 1, 2, 3, 4}, 8, 20, "Mon-Fri 08:00-20:00 UTC"),
        ({0, 2}, 8, 20, "Mon, Wed 08:00-20:00 UTC"),
        ({5, 6}, 0, 24, "Sat, Sun 00:00-24:00 UTC"),
        ({0, 1, 2, 4}, 9, 17, "Mon-Wed, Fri 09:00-17:00 UTC"),
        (set(range(7)), 0, 1, "Mon-Sun 00:00-01:00 UTC"),
    ],
)
def test_describe(days: set[int], start: int, end: int, text: str) -> None:
    assert RebalanceWindow(frozenset(days), start, end).describe() == text


# --- validation ----------------------------------------------------------------------------------


def test_days_from_a_list_are_stored_as_a_frozenset() -> None:
    window = RebalanceWindow([0, 1, 1], 8, 20)  # type: ignore[arg-type]
    assert window.days == frozenset({0, 1})


def test_empty_days_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        RebalanceWindow(frozenset(), 8, 20)


@pytest.mark.parametrize("day", [7, -1])
def test_day_out_of_range_is_rejected(day: int) -> None:
    with pytest.raises(ValueError, match=r"window days must be 0 \(Monday\) .. 6 \(Sunday\)"):
        RebalanceWindow(frozenset({0, day}), 8, 20)


@pytest.mark.parametrize(("start", "end"), [(-1, 20), (8, 25), (24, 24)])
def test_hours_out_of_range_are_rejected(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="0 <= start < end <= 24"):
        RebalanceWindow(frozenset({0}), start, end)


@pytest.mark.parametrize(("start", "end"), [(20, 8), (8, 8)])
def test_start_not_before_end_is_rejected(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="start hour must come before its end hour"):
        RebalanceWindow(frozenset({0}), start, end)


def test_naive_datetimes_are_rejected_by_the_window() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEKDAYS_8_TO_20.contains(datetime(2026, 11, 23, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEKDAYS_8_TO_20.next_opening(datetime(2026, 11, 23, 12))


# --- parse_weekday -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("monday", 0),
        ("Monday", 0),
        ("MON", 0),
        ("tue", 1),
        ("Wednesday", 2),
        ("thu", 3),
        ("fri", 4),
        ("sat", 5),
        ("Sun", 6),
    ],
)
def test_parse_weekday(name: str, day: int) -> None:
    assert parse_weekday(name) == day


def test_parse_weekday_round_trips_every_name() -> None:
    assert [parse_weekday(name) for name in WEEKDAY_NAMES] == list(range(7))


@pytest.mark.parametrize("name", ["", "mo", "tues", "someday", "1"])
def test_parse_weekday_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match="unknown weekday"):
        parse_weekday(name)


# --- WindowedPolicy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlwaysRebalance:
    """A stand-in inner policy that records nothing and always says yes, every ``every``."""

    every: timedelta

    def decide(
        self,
        now: datetime,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        last_rebalance: datetime | None,
    ) -> Decision:
        return Decision(True, "inner: yes")

    def next_check(self, now: datetime) -> datetime:
        return now + self.every


def test_outside_the_window_the_answer_is_no() -> None:
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=1)), WEEKDAYS_8_TO_20)
    decision = policy.decide(utc(2026, 11, 28, 12), {}, {}, None)
    assert decision == Decision(False, "outside the rebalance window (Mon-Fri 08:00-20:00 UTC)")


def test_inside_the_window_the_inner_policy_decides() -> None:
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=1)), WEEKDAYS_8_TO_20)
    assert policy.decide(utc(2026, 11, 23, 12), {}, {}, None) == Decision(True, "inner: yes")


def test_inside_the_window_a_threshold_inside_its_band_still_says_no() -> None:
    policy = WindowedPolicy(ThresholdPolicy(Decimal(5)), WEEKDAYS_8_TO_20)
    decision = policy.decide(utc(2026, 11, 23, 12), {"BTC": Decimal(51)}, {"BTC": Decimal(50)}, None)
    assert not decision.rebalance
    assert decision.reason.startswith("threshold: inside the band")


def test_next_check_inside_the_window_is_the_inner_one() -> None:
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=1)), WEEKDAYS_8_TO_20)
    assert policy.next_check(utc(2026, 11, 23, 12)) == utc(2026, 11, 23, 13)


def test_next_check_falling_after_the_close_moves_to_the_next_opening() -> None:
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=1)), WEEKDAYS_8_TO_20)
    assert policy.next_check(utc(2026, 11, 23, 19, 30)) == utc(2026, 11, 24, 8)


def test_next_check_on_friday_evening_moves_to_monday_morning() -> None:
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=1)), WEEKDAYS_8_TO_20)
    assert policy.next_check(utc(2026, 11, 27, 19, 30)) == utc(2026, 11, 30, 8)


def test_calendar_time_on_a_weekend_is_caught_up_at_the_next_opening() -> None:
    saturday_noon = CalendarPolicy(Interval.WEEKLY, at=time(12), weekday=5)
    policy = WindowedPolicy(saturday_noon, WEEKDAYS_8_TO_20)
    last = utc(2026, 11, 23, 9)  # a Monday, after the previous Saturday's time
    assert policy.next_check(utc(2026, 11, 24, 9)) == utc(2026, 11, 30, 8)
    assert not policy.decide(utc(2026, 11, 28, 12), {}, {}, last).rebalance
    decision = policy.decide(utc(2026, 11, 30, 8), {}, {}, last)
    assert decision.rebalance
    assert decision.reason.startswith("calendar: weekly rebalance due (scheduled Sat 2026-11-28 12:00 UTC")


def test_naive_datetimes_are_rejected_by_the_windowed_policy() -> None:
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=1)), WEEKDAYS_8_TO_20)
    with pytest.raises(ValueError, match="timezone-aware"):
        policy.decide(datetime(2026, 11, 28, 12), {}, {}, None)
    with pytest.raises(ValueError, match="last_rebalance"):
        policy.decide(utc(2026, 11, 28, 12), {}, {}, datetime(2026, 11, 20))


# --- properties ----------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@st.composite
def windows(draw: st.DrawFn) -> RebalanceWindow:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 23))
    end = draw(st.integers(start + 1, 24))
    return RebalanceWindow(days, start, end)


@given(windows(), moments)
def test_next_opening_is_the_first_moment_inside_the_window(window: RebalanceWindow, after: datetime) -> None:
    opening = window.next_opening(after)
    assert opening >= after
    assert window.contains(opening)
    # Windows open on the hour, so checking every hour boundary in between finds any earlier opening.
    hour = after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while hour < opening:
        assert not window.contains(hour)
        hour += timedelta(hours=1)


@given(windows(), moments, st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=40)))
def test_windowed_next_check_is_later_and_inside_the_window(
    window: RebalanceWindow, now: datetime, every: timedelta
) -> None:
    upcoming = WindowedPolicy(AlwaysRebalance(every), window).next_check(now)
    assert upcoming > now
    assert window.contains(upcoming)
    if window.contains(now):
        assert upcoming >= now + every
    else:
        # a check outside the window did not count: the next one is at the latest when the window opens
        assert upcoming <= window.next_opening(now)


def test_a_check_outside_the_window_is_followed_by_one_at_the_opening() -> None:
    # Wednesday 00:50, daily checks, Mon-Fri 08-20: check at 08:00 today, not Thursday 08:00.
    policy = WindowedPolicy(AlwaysRebalance(timedelta(hours=24)), RebalanceWindow(frozenset(range(5)), 8, 20))
    assert policy.next_check(utc(2026, 11, 25, 0, 50)) == utc(2026, 11, 25, 8)

"""CalendarPolicy: schedules of every interval, month ends, quarters, catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trimtab.policy.calendar import CalendarPolicy, Interval

NO_WEIGHTS: dict[str, Decimal] = {}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


WEEKLY_MONDAY_NOON = CalendarPolicy(Interval.WEEKLY, at=time(12), weekday=0)


# --- daily ---------------------------------------------------------------------------------------


def test_daily_last_scheduled_is_today_once_the_time_has_passed() -> None:
    policy = CalendarPolicy(Interval.DAILY, at=time(9, 30))
    assert policy.last_scheduled(utc(2026, 3, 10, 15)) == utc(2026, 3, 10, 9, 30)


def test_daily_last_scheduled_is_yesterday_before_the_time() -> None:
    policy = CalendarPolicy(Interval.DAILY, at=time(9, 30))
    assert policy.last_scheduled(utc(2026, 3, 10, 9, 29)) == utc(2026, 3, 9, 9, 30)


def test_daily_next_check_rolls_over_the_year_end() -> None:
    policy = CalendarPolicy(Interval.DAILY)
    assert policy.next_check(utc(2026, 12, 31, 23, 59)) == utc(2027, 1, 1)


def test_daily_default_time_is_midnight() -> None:
    policy = CalendarPolicy(Interval.DAILY)
    assert policy.last_scheduled(utc(2026, 3, 10, 0, 0, 1)) == utc(2026, 3, 10)


# --- weekly --------------------------------------------------------------------------------------


def test_weekly_last_scheduled_midweek_is_the_previous_monday() -> None:
    assert WEEKLY_MONDAY_NOON.last_scheduled(utc(2026, 11, 25, 8)) == utc(2026, 11, 23, 12)


def test_weekly_on_the_day_before_the_time_goes_back_a_week() -> None:
    assert WEEKLY_MONDAY_NOON.last_scheduled(utc(2026, 11, 23, 11, 59)) == utc(2026, 11, 16, 12)


def test_weekly_next_check_on_the_day_before_the_time_is_the_same_day() -> None:
    assert WEEKLY_MONDAY_NOON.next_check(utc(2026, 11, 23, 11, 59)) == utc(2026, 11, 23, 12)


def test_weekly_next_check_on_sunday_is_the_next_day() -> None:
    assert WEEKLY_MONDAY_NOON.next_check(utc(2026, 11, 29, 23)) == utc(2026, 11, 30, 12)


def test_weekly_on_sunday_schedule() -> None:
    policy = CalendarPolicy(Interval.WEEKLY, weekday=6)
    assert policy.last_scheduled(utc(2026, 11, 28, 23)) == utc(2026, 11, 22)
    assert policy.next_check(utc(2026, 11, 28, 23)) == utc(2026, 11, 29)


# --- monthly -------------------------------------------------------------------------------------


def test_monthly_defaults_to_the_first_of_the_month() -> None:
    policy = CalendarPolicy(Interval.MONTHLY)
    assert policy.last_scheduled(utc(2026, 5, 17)) == utc(2026, 5, 1)
    assert policy.next_check(utc(2026, 5, 17)) == utc(2026, 6, 1)


def test_monthly_day_31_falls_on_february_28_in_a_common_year() -> None:
    policy = CalendarPolicy(Interval.MONTHLY, day_of_month=31)
    assert policy.next_check(utc(2026, 2, 1)) == utc(2026, 2, 28)
    assert policy.last_scheduled(utc(2026, 3, 15)) == utc(2026, 2, 28)


def test_monthly_day_31_falls_on_february_29_in_a_leap_year() -> None:
    policy = CalendarPolicy(Interval.MONTHLY, day_of_month=31)
    assert policy.next_check(utc(2028, 2, 1)) == utc(2028, 2, 29)


def test_monthly_day_31_falls_on_the_30th_in_april() -> None:
    policy = CalendarPolicy(Interval.MONTHLY, day_of_month=31)
    assert policy.next_check(utc(2026, 3, 31)) == utc(2026, 4, 30)


def test_monthly_day_30_after_a_clamped_february_goes_back_to_the_30th() -> None:
    policy = CalendarPolicy(Interval.MONTHLY, day_of_month=30)
    assert policy.next_check(utc(2026, 2, 28)) == utc(2026, 3, 30)


def test_monthly_before_this_months_day_goes_back_across_the_year() -> None:
    policy = CalendarPolicy(Interval.MONTHLY, at=time(6), day_of_month=15)
    assert policy.last_scheduled(utc(2027, 1, 10)) == utc(2026, 12, 15, 6)


def test_monthly_next_check_crosses_the_year() -> None:
    policy = CalendarPolicy(Interval.MONTHLY, day_of_month=15)
    assert policy.next_check(utc(2026, 12, 20)) == utc(2027, 1, 15)


# --- quarterly -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 1), utc(2026, 1, 1)),
        (utc(2026, 3, 31, 23, 59), utc(2026, 1, 1)),
        (utc(2026, 4, 1), utc(2026, 4, 1)),
        (utc(2026, 6, 30), utc(2026, 4, 1)),
        (utc(2026, 7, 1), utc(2026, 7, 1)),
        (utc(2026, 12, 31), utc(2026, 10, 1)),
    ],
)
def test_quarterly_last_scheduled_is_the_start_of_the_quarter(now: datetime, expected: datetime) -> None:
    assert CalendarPolicy(Interval.QUARTERLY).last_scheduled(now) == expected


def test_quarterly_next_check_from_the_last_quarter_is_january() -> None:
    assert CalendarPolicy(Interval.QUARTERLY).next_check(utc(2026, 10, 1)) == utc(2027, 1, 1)


def test_quarterly_before_the_day_in_january_goes_back_to_last_october() -> None:
    policy = CalendarPolicy(Interval.QUARTERLY, day_of_month=15)
    assert policy.last_scheduled(utc(2027, 1, 10)) == utc(2026, 10, 15)


def test_quarterly_day_31_uses_the_last_day_of_april() -> None:
    policy = CalendarPolicy(Interval.QUARTERLY, day_of_month=31)
    assert policy.next_check(utc(2026, 2, 1)) == utc(2026, 4, 30)
    assert policy.next_check(utc(2026, 4, 30)) == utc(2026, 7, 31)


# --- exactly at the scheduled time ---------------------------------------------------------------


def test_exactly_at_the_scheduled_time_is_the_last_scheduled_moment() -> None:
    assert WEEKLY_MONDAY_NOON.last_scheduled(utc(2026, 11, 23, 12)) == utc(2026, 11, 23, 12)


def test_exactly_at_the_scheduled_time_next_check_is_the_following_one() -> None:
    assert WEEKLY_MONDAY_NOON.next_check(utc(2026, 11, 23, 12)) == utc(2026, 11, 30, 12)


def test_exactly_at_the_scheduled_time_a_rebalance_is_due() -> None:
    decision = WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 23, 12), {}, {}, utc(2026, 11, 16, 12))
    assert decision.rebalance


def test_a_rebalance_at_the_scheduled_moment_counts_for_that_moment() -> None:
    decision = WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 23, 12, 5), {}, {}, utc(2026, 11, 23, 12))
    assert not decision.rebalance


# --- decide --------------------------------------------------------------------------------------


def test_no_rebalance_recorded_yet_rebalances() -> None:
    decision = WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 25), {}, {}, None)
    assert decision.rebalance
    assert decision.reason == "calendar: no rebalance recorded yet (weekly schedule)"


def test_due_reason_names_the_scheduled_time_and_the_last_rebalance() -> None:
    decision = WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 23, 13), {}, {}, utc(2026, 11, 16, 12))
    assert decision.rebalance
    assert decision.reason == (
        "calendar: weekly rebalance due (scheduled Mon 2026-11-23 12:00 UTC, last rebalance Mon 2026-11-16 12:00 UTC)"
    )


def test_not_due_reason_names_the_last_rebalance_and_the_next_time() -> None:
    decision = WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 25), {}, {}, utc(2026, 11, 23, 12, 1))
    assert not decision.rebalance
    assert decision.reason == (
        "calendar: weekly rebalance not due "
        "(last rebalance Mon 2026-11-23 12:01 UTC, next scheduled Mon 2026-11-30 12:00 UTC)"
    )


def test_catch_up_after_downtime_happens_once() -> None:
    # The bot last rebalanced on Nov 2 and was down for three scheduled Mondays.
    last = utc(2026, 11, 2, 12)
    back_up = utc(2026, 11, 25, 9)
    assert WEEKLY_MONDAY_NOON.decide(back_up, {}, {}, last).rebalance
    # Having caught up, it does not rebalance again for the Mondays it missed.
    for minutes in (1, 60, 60 * 24 * 4):
        later = back_up + timedelta(minutes=minutes)
        assert not WEEKLY_MONDAY_NOON.decide(later, {}, {}, back_up).rebalance
    assert WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 30, 12), {}, {}, back_up).rebalance


def test_weights_do_not_influence_the_calendar() -> None:
    far_off = {"BTC": Decimal(90)}
    target = {"BTC": Decimal(10)}
    assert not WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 25), far_off, target, utc(2026, 11, 24)).rebalance


def test_other_utc_zones_are_converted() -> None:
    plus_two = timezone(timedelta(hours=2))
    # 13:30 at +02:00 is 11:30 UTC, before Monday's noon.
    now = datetime(2026, 11, 23, 13, 30, tzinfo=plus_two)
    assert WEEKLY_MONDAY_NOON.last_scheduled(now) == utc(2026, 11, 16, 12)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEKLY_MONDAY_NOON.decide(datetime(2026, 11, 23), {}, {}, None)
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEKLY_MONDAY_NOON.next_check(datetime(2026, 11, 23))
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEKLY_MONDAY_NOON.last_scheduled(datetime(2026, 11, 23))


def test_naive_last_rebalance_is_rejected() -> None:
    with pytest.raises(ValueError, match="last_rebalance"):
        WEEKLY_MONDAY_NOON.decide(utc(2026, 11, 23), {}, {}, datetime(2026, 11, 16))


# --- validation ----------------------------------------------------------------------------------


def test_interval_accepts_its_string_value() -> None:
    assert CalendarPolicy("monthly").interval is Interval.MONTHLY  # type: ignore[arg-type]


def test_unknown_interval_is_rejected() -> None:
    with pytest.raises(ValueError, match="interval must be one of daily, weekly, monthly, quarterly"):
        CalendarPolicy("hourly")  # type: ignore[arg-type]


def test_weekly_without_weekday_is_rejected() -> None:
    with pytest.raises(ValueError, match="weekly schedule needs a weekday"):
        CalendarPolicy(Interval.WEEKLY)


@pytest.mark.parametrize("weekday", [-1, 7, True])
def test_weekday_out_of_range_is_rejected(weekday: int) -> None:
    with pytest.raises(ValueError, match="weekday must be 0"):
        CalendarPolicy(Interval.WEEKLY, weekday=weekday)


def test_weekday_on_a_monthly_schedule_is_rejected() -> None:
    with pytest.raises(ValueError, match="weekday only applies to weekly"):
        CalendarPolicy(Interval.MONTHLY, weekday=0)


@pytest.mark.parametrize("day", [0, 32, -1])
def test_day_of_month_out_of_range_is_rejected(day: int) -> None:
    with pytest.raises(ValueError, match=r"day_of_month must be 1\.\.31"):
        CalendarPolicy(Interval.MONTHLY, day_of_month=day)


def test_day_of_month_on_a_daily_schedule_is_rejected() -> None:
    with pytest.raises(ValueError, match="day_of_month only applies"):
        CalendarPolicy(Interval.DAILY, day_of_month=1)


def test_non_utc_time_of_day_is_rejected() -> None:
    with pytest.raises(ValueError, match="UTC time of day"):
        CalendarPolicy(Interval.DAILY, at=time(12, tzinfo=timezone(timedelta(hours=1))))


def test_utc_aware_time_of_day_is_accepted() -> None:
    policy = CalendarPolicy(Interval.DAILY, at=time(12, tzinfo=UTC))
    assert policy.next_check(utc(2026, 1, 1)) == utc(2026, 1, 1, 12)


@pytest.mark.parametrize(
    ("policy", "text"),
    [
        (CalendarPolicy(Interval.DAILY, at=time(6)), "daily at 06:00 UTC"),
        (WEEKLY_MONDAY_NOON, "weekly on Monday at 12:00 UTC"),
        (CalendarPolicy(Interval.MONTHLY, day_of_month=31), "monthly on day 31 at 00:00 UTC"),
        (CalendarPolicy(Interval.QUARTERLY), "quarterly (Jan, Apr, Jul, Oct) on day 1 at 00:00 UTC"),
    ],
)
def test_describe(policy: CalendarPolicy, text: str) -> None:
    assert policy.describe() == text


# --- properties ----------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
policies = st.one_of(
    st.builds(CalendarPolicy, st.just(Interval.DAILY), at=st.times()),
    st.builds(CalendarPolicy, st.just(Interval.WEEKLY), at=st.times(), weekday=st.integers(0, 6)),
    st.builds(
        CalendarPolicy,
        st.sampled_from([Interval.MONTHLY, Interval.QUARTERLY]),
        at=st.times(),
        day_of_month=st.none() | st.integers(1, 31),
    ),
)


@given(policies, moments)
def test_now_lies_between_the_last_and_the_next_scheduled_moment(
    policy: CalendarPolicy, now: datetime
) -> None:
    last, upcoming = policy.last_scheduled(now), policy.next_check(now)
    assert last <= now < upcoming
    # Both are scheduled moments, and nothing is scheduled between them.
    assert policy.last_scheduled(upcoming) == upcoming
    assert policy.next_check(last) == upcoming


@given(policies, moments)
def test_scheduled_moments_match_the_schedule(policy: CalendarPolicy, now: datetime) -> None:
    moment = policy.next_check(now)
    assert moment.tzinfo is UTC
    assert moment.timetz().replace(tzinfo=None) == policy.at
    if policy.interval is Interval.WEEKLY:
        assert moment.weekday() == policy.weekday
    if policy.interval is Interval.QUARTERLY:
        assert moment.month in (1, 4, 7, 10)
    if policy.interval in (Interval.MONTHLY, Interval.QUARTERLY):
        wanted = policy.day_of_month or 1
        next_day = moment + timedelta(days=1)
        assert moment.day == wanted or (moment.day < wanted and next_day.month != moment.month)


@given(policies, moments, moments | st.none())
def test_decide_rebalances_iff_the_last_rebalance_predates_the_schedule(
    policy: CalendarPolicy, now: datetime, last: datetime | None
) -> None:
    decision = policy.decide(now, {}, {}, last)
    assert decision.rebalance == (last is None or last < policy.last_scheduled(now))
    assert decision == policy.decide(now, {}, {}, last)
    assert "\n" not in decision.reason

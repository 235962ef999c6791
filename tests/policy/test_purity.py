"""Every policy is a pure function: same inputs, same decision; next_check always moves forward."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from trimtab.policy import (
    CalendarPolicy,
    HybridPolicy,
    Interval,
    Policy,
    RebalanceWindow,
    ThresholdPolicy,
    WindowedPolicy,
)

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
assets = st.sampled_from(["ADA", "BTC", "DOGE", "ETH", "SOL", "USDT"])
portfolios = st.dictionaries(assets, st.decimals(min_value=0, max_value=100, places=4), max_size=6)

base_policies: st.SearchStrategy[Policy] = st.one_of(
    st.builds(CalendarPolicy, st.just(Interval.DAILY), at=st.times()),
    st.builds(CalendarPolicy, st.just(Interval.WEEKLY), at=st.just(time(12)), weekday=st.integers(0, 6)),
    st.builds(CalendarPolicy, st.just(Interval.MONTHLY), day_of_month=st.integers(1, 31)),
    st.builds(CalendarPolicy, st.just(Interval.QUARTERLY), day_of_month=st.integers(1, 31)),
    st.builds(
        ThresholdPolicy,
        st.decimals(min_value=Decimal("0.5"), max_value=20, places=1),
        relative_percent=st.none() | st.decimals(min_value=1, max_value=50, places=0),
        check_interval=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=7)),
    ),
    st.builds(
        HybridPolicy,
        st.builds(ThresholdPolicy, st.decimals(min_value=1, max_value=10, places=0)),
        st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=7)),
    ),
)
windowed = st.builds(
    WindowedPolicy,
    base_policies,
    st.builds(
        RebalanceWindow, st.frozensets(st.integers(0, 6), min_size=1), st.integers(0, 11), st.integers(12, 24)
    ),
)
policies = base_policies | windowed


@given(policies, moments, portfolios, portfolios, moments | st.none())
def test_decide_is_a_pure_function(
    policy: Policy,
    now: datetime,
    weights: dict[str, Decimal],
    targets: dict[str, Decimal],
    last: datetime | None,
) -> None:
    first = policy.decide(now, weights, targets, last)
    again = policy.decide(now, dict(weights), dict(targets), last)
    assert first == again
    assert first.reason
    assert "\n" not in first.reason


@given(policies, moments)
def test_next_check_is_strictly_after_now(policy: Policy, now: datetime) -> None:
    upcoming = policy.next_check(now)
    assert upcoming > now
    assert upcoming.tzinfo is UTC
    assert policy.next_check(now) == upcoming

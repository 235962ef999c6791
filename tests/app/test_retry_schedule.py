"""The retry schedule after temporary exchange trouble: 30 s doubling to at most 15 min, never later than
the policy's own next check, never sooner than the exchange asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trimtab.app.retry_schedule import retry_check, retry_delay

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
DAY_LATER = NOW + timedelta(days=1)


def test_the_delay_doubles_from_30_seconds_and_is_capped_at_15_minutes() -> None:
    seconds = [retry_delay(n).total_seconds() for n in range(1, 9)]
    assert seconds == [30, 60, 120, 240, 480, 900, 900, 900]


def test_a_long_outage_stays_at_the_cap() -> None:
    assert retry_delay(10_000) == timedelta(minutes=15)


def test_no_failure_has_no_retry_delay() -> None:
    with pytest.raises(ValueError, match="expected 1 or more"):
        retry_delay(0)


def test_the_retry_comes_before_the_policys_check() -> None:
    assert retry_check(NOW, DAY_LATER, 1) == NOW + timedelta(seconds=30)
    assert retry_check(NOW, DAY_LATER, 3) == NOW + timedelta(seconds=120)


def test_the_retry_is_never_later_than_the_policys_check() -> None:
    policy = NOW + timedelta(minutes=5)
    assert retry_check(NOW, policy, 5) == policy  # 480 s of backoff would pass it


def test_the_exchanges_retry_after_is_honoured_even_past_the_policys_check() -> None:
    """A ban (418 with Retry-After, "banned until") is lengthened by calling again: wait it out."""
    policy = NOW + timedelta(minutes=5)
    assert retry_check(NOW, policy, 1, retry_after=10) == NOW + timedelta(seconds=30)
    assert retry_check(NOW, policy, 1, retry_after=3600) == NOW + timedelta(hours=1)

"""When the ``run`` loop (and ``serve``) checks again after temporary exchange trouble.

A check that failed because the exchange was unreachable, overloaded, limiting us or in maintenance
(:data:`trimtab.errors.Failure.TEMPORARY`) is retried sooner than the policy's next check, with capped
exponential backoff: 30 s, 60 s, 120 s, ... up to 15 min, never later than the policy's own next check,
and never sooner than the exchange asked (``Retry-After``, a ban's end: calling a banned IP again
lengthens the ban). Any other outcome resets the count: the next check is the policy's.

>>> [int(retry_delay(n).total_seconds()) for n in range(1, 7)]
[30, 60, 120, 240, 480, 900]
"""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["FIRST_RETRY", "LONGEST_RETRY", "retry_check", "retry_delay"]

#: The wait after the first temporary failure; it doubles with each further one in a row.
FIRST_RETRY = timedelta(seconds=30)
#: The longest wait between two retries.
LONGEST_RETRY = timedelta(minutes=15)


def retry_delay(consecutive_temporary_failures: int) -> timedelta:
    """The wait after ``consecutive_temporary_failures`` (1, 2, ...) temporary failures in a row:
    ``30 s * 2**(n - 1)``, at most 15 min."""
    if consecutive_temporary_failures < 1:
        raise ValueError(f"expected 1 or more temporary failures, got {consecutive_temporary_failures}")
    doublings = min(consecutive_temporary_failures - 1, 16)  # 30 s * 2**16 is far past the cap already
    delay: timedelta = FIRST_RETRY * (1 << doublings)
    return min(LONGEST_RETRY, delay)


def retry_check(
    now: datetime,
    policy_check: datetime,
    consecutive_temporary_failures: int,
    retry_after: float | None = None,
) -> datetime:
    """The next check after the ``consecutive_temporary_failures``-th temporary failure in a row at
    ``now``: after :func:`retry_delay`, but no later than ``policy_check``; and no sooner than
    ``retry_after`` seconds (what the exchange asked), even past ``policy_check``."""
    check = min(policy_check, now + retry_delay(consecutive_temporary_failures))
    if retry_after is not None and retry_after > 0:
        check = max(check, now + timedelta(seconds=retry_after))
    return check

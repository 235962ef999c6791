"""Retry a venue call on temporary failures only, with exponential backoff that honours Retry-After.

Only :class:`~trimtab.errors.TemporaryVenueError` is retried. ``OrderRejected`` (re-plan or skip) and
``FatalVenueError`` (stop, tell a human) propagate at once, as does anything else.

Use it for reads. Never wrap an order placement in it: after a timeout the order may exist, so the caller
must look it up by its client order id before sending it again.

Example::

    balances = await retrying(venue.fetch_balances)
    prices = await retrying(lambda: venue.fetch_prices("USDT", ["BTC", "ETH"]), attempts=3)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from trimtab.errors import TemporaryVenueError

__all__ = ["backoff_delay", "retrying"]

T = TypeVar("T")


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    on_retry: Callable[[int, TemporaryVenueError, float], None] | None = None,
) -> T:
    """Await ``call()`` up to ``attempts`` times while it raises TemporaryVenueError; re-raise the last one.

    Before retry ``n`` (1, 2, ...) it sleeps ``max(backoff_delay(n), error.retry_after)``. When the venue
    asks for longer than ``max_delay`` (a ban, a long maintenance) the error is re-raised at once, its
    ``retry_after`` intact, rather than blocking this call for that long: the caller (e.g. the daemon's
    next check) decides. ``on_retry(n, error, delay)`` is called before each sleep, e.g. to log it;
    ``sleep`` is injectable for tests.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TemporaryVenueError as error:
            if attempt == attempts:
                raise
            asked = error.retry_after
            if asked is not None and asked > max_delay:
                raise
            delay = max(backoff_delay(attempt, base_delay, max_delay), asked or 0.0)
            if on_retry is not None:
                on_retry(attempt, error, delay)
            await sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def backoff_delay(retry: int, base_delay: float = 0.5, max_delay: float = 30.0) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): ``base_delay * 2**(retry - 1)``, capped.

    >>> [backoff_delay(n) for n in (1, 2, 3, 10)]
    [0.5, 1.0, 2.0, 30.0]
    """
    return min(max_delay, base_delay * 2.0 ** (retry - 1))

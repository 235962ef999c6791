"""What the portfolio page computes from the venue (the plan) or from the whole tax history (the tax
year), kept for a few seconds per portfolio: a page polled by several open tabs asks once.

An entry is fresh while the portfolio's ``version`` (it goes up after every run) is unchanged and it is
younger than its ``max_age``; concurrent requests for a stale entry share one computation. A failed
computation is not kept: the page shows its error and the next request tries again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class PageCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[int, float, Any]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def get(
        self, key: tuple[str, str], version: int, max_age: float, compute: Callable[[], Awaitable[T]]
    ) -> T:
        async with self._locks.setdefault(key, asyncio.Lock()):
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version and self._clock() - entry[1] < max_age:
                value: T = entry[2]
                return value
            value = await compute()
            self._entries[key] = (version, self._clock(), value)
            return value

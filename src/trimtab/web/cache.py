"""The status document of each portfolio, kept as the JSON bytes the API sends.

Reading a portfolio means asking its venue for balances and prices (a network round trip on a real
exchange); fifty dashboards polling once a second must not turn into fifty such reads. Each portfolio's
document is therefore computed once and sent as stored bytes:

- after a run (the portfolio's ``version`` went up) the next request waits for a fresh document, so an
  answer never shows the portfolio as it was before a run that already ended;
- otherwise it is refreshed at most every ``max_age`` seconds, in the background: requests meanwhile get
  the previous bytes at once (the market moved a little, the holdings did not);
- concurrent requests share one refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trimtab.app.fleet import ServedPortfolio

MAX_AGE_SECONDS = 3.0


@dataclass(frozen=True)
class Entry:
    body: bytes
    document: dict[str, Any]
    version: int
    at: float


class StatusCache:
    """``status --json`` of each portfolio, as bytes (see the module's docstring)."""

    def __init__(self, max_age: float = MAX_AGE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_age = max_age
        self._clock = clock
        self._entries: dict[str, Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._background: set[asyncio.Task[Entry]] = set()

    async def get(self, portfolio: ServedPortfolio) -> Entry:
        entry = self._entries.get(portfolio.name)
        if entry is None or entry.version != portfolio.version:
            return await self._refresh(portfolio)
        if self._clock() - entry.at >= self._max_age and not self._lock(portfolio).locked():
            task = asyncio.get_running_loop().create_task(self._refresh(portfolio))
            self._background.add(task)
            task.add_done_callback(self._forget)
        return entry

    def _forget(self, task: asyncio.Task[Entry]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # a failed background refresh keeps the old bytes; the next one tries again

    def _lock(self, portfolio: ServedPortfolio) -> asyncio.Lock:
        return self._locks.setdefault(portfolio.name, asyncio.Lock())

    async def _refresh(self, portfolio: ServedPortfolio) -> Entry:
        asked = self._clock()
        async with self._lock(portfolio):
            entry = self._entries.get(portfolio.name)
            if entry is not None and entry.version == portfolio.version and entry.at >= asked:
                return entry  # another request refreshed it while this one waited
            version = portfolio.version
            document = await portfolio.status()
            entry = Entry(json.dumps(document).encode(), document, version, self._clock())
            self._entries[portfolio.name] = entry
            return entry

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

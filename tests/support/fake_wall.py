"""A wall clock for tests of replayed markets: it moves only when told to."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeWall:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

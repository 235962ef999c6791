"""The fleet's events recorded in a test, with a way to wait for one, and bots on a fixed clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from trimtab.app.assembly import build_bot
from trimtab.app.fleet_parts import Checked, FleetEvent
from trimtab.app.scheduler import Sleeping
from trimtab.config import Config

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
WAIT = 60  # seconds: generous, never reached when things work (nothing here is timed)


def fixed_bot(config: Config, path: Path):  # type: ignore[no-untyped-def]
    return build_bot(config, path, clock=lambda: NOW)


class Recorder:
    """The fleet's events, with a way to wait for one."""

    def __init__(self) -> None:
        self.events: list[FleetEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: FleetEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def until(self, found: Callable[[FleetEvent], bool]) -> FleetEvent:
        async def wait() -> FleetEvent:
            while True:
                for event in self.events:
                    if found(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(wait(), WAIT)

    def sleeping(self, name: str) -> Callable[[FleetEvent], bool]:
        return lambda e: isinstance(e, Checked) and e.portfolio == name and isinstance(e.event, Sleeping)

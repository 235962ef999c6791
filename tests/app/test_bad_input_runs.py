"""A run refused for bad input (a config or data file, exit code 2) does not count towards the kill
switch, and does not hide the failures around it either."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flaky_venue import FlakyVenue

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import ConfigError, KillSwitchTripped, OrderRejected
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import OrderRequest
from trimtab.weights.base import TargetWeights

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class BadInputWeights:
    """Target weights whose input turns out bad mid-run (as a data file read by a weight method could)."""

    def __init__(self, inner: TargetWeights) -> None:
        self.inner = inner

    @property
    def lookback_days(self) -> int:
        return self.inner.lookback_days

    @property
    def assets(self) -> tuple[str, ...]:
        return self.inner.assets

    def targets(self, closes: Mapping[str, Sequence[Decimal]]) -> dict[str, Decimal]:
        raise ConfigError("weights.csv", "line 3", "expected a number, got 'x'")


def reject(request: OrderRequest) -> None:
    raise OrderRejected("Filter failure: NOTIONAL")


def failing_bot(path: Path) -> Bot:
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    venue = FlakyVenue(bot.parts.venue)
    venue.before_place = reject
    return Bot(replace(bot.parts, venue=venue, execution=replace(bot.parts.execution, pause_seconds=0.0)))


def bad_input_bot(path: Path) -> Bot:
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    return Bot(replace(bot.parts, weights=BadInputWeights(bot.parts.weights)))


async def test_bad_input_runs_are_skipped_with_their_reason_and_not_counted(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    for _ in range(5):
        bot = bad_input_bot(path)
        with pytest.raises(ConfigError):
            await bot.rebalance()
        await bot.close()
    ledger = LedgerStore.open(f"sqlite:///{path.parent / 'data' / 'ledger.db'}")
    runs = ledger.list_runs()
    assert ledger.consecutive_failures() == (0, None)
    ledger.close()
    assert [r.status for r in runs] == ["skipped"] * 5
    assert all(r.error == "weights.csv: line 3: expected a number, got 'x'" for r in runs)
    bot = failing_bot(path)  # the kill switch is not tripped: the run goes ahead (and fails on its own)
    with pytest.raises(OrderRejected):
        await bot.rebalance()
    await bot.close()


async def test_bad_input_between_failures_does_not_reset_the_kill_switch(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    for make in (failing_bot, bad_input_bot, failing_bot, bad_input_bot, failing_bot):
        bot = make(path)
        with pytest.raises((OrderRejected, ConfigError)):
            await bot.rebalance()
        await bot.close()
    bot = failing_bot(path)
    with pytest.raises(KillSwitchTripped, match=r"the last 3 runs failed \(latest: Filter failure"):
        await bot.rebalance()
    await bot.close()

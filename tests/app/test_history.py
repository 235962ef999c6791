"""Past runs read from a config alone: no venue built, no portfolio lock taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from trimtab.app.assembly import build_bot
from trimtab.app.history import read_history, read_run_detail
from trimtab.app.portfolio_home import hold_portfolio
from trimtab.config import load_config
from trimtab.ledger.records import RunStatus

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


async def test_history_reads_the_runs_while_another_holds_the_portfolio(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    config = load_config(path)
    assert read_history(config, path, 20) == []
    bot = build_bot(config, path, clock=lambda: NOW)
    try:
        first = await bot.rebalance(dry_run=True)
        second = await bot.rebalance()
    finally:
        await bot.close()
    with hold_portfolio(config, path, "rebalance"):
        runs = read_history(config, path, 20)
        latest = read_history(config, path, 1)
        detail = read_run_detail(config, path, second.run_id)
        missing = read_run_detail(config, path, second.run_id + 100)
    assert [run.id for run in runs] == [second.run_id, first.run_id]
    assert [run.id for run in latest] == [second.run_id]
    assert runs[0].status == RunStatus.COMPLETED
    assert detail is not None
    assert len(detail.orders) == len(second.results)
    assert missing is None

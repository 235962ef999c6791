"""A run killed before its plan was journaled placed nothing: resuming it plans afresh from the portfolio
as it is, never reports "Nothing to trade" while the portfolio is off target.

The killed process is reproduced by what it leaves in the ledger: the run started (status ``running``) and,
depending on when it died, the ``before`` snapshot and the decision, but no plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.cli.main import app
from trimtab.config import load_config
from trimtab.ledger.store import LedgerStore
from trimtab.policy.base import Decision

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def bot_of(config: Path) -> Bot:
    return build_bot(load_config(config), config, clock=lambda: NOW)


async def killed_before_its_plan(config: Path, *, command: str = "rebalance", decided: bool = True) -> int:
    """Leave what a run killed between its decision (or its start) and its plan leaves; returns its id."""
    bot = bot_of(config)
    view = await bot.portfolio()
    ledger = bot.parts.ledger
    run_id = ledger.start_run(
        command=command, venue="paper", mode="live", forced=False, started_at=NOW, config_digest="d"
    )
    if decided:
        ledger.record_snapshot(run_id, "before", view.snapshot, view.weights, view.targets, view.total_value)
        ledger.record_decision(run_id, Decision(True, "BTC is 6.93 points off"), view.targets)
    await bot.close()
    return run_id


def ledger_of(config: Path) -> LedgerStore:
    return LedgerStore.open(f"sqlite:///{config.parent / 'data' / 'ledger.db'}")


@pytest.mark.parametrize("decided", [True, False], ids=["after-its-decision", "right-after-its-start"])
async def test_a_run_killed_before_its_plan_is_planned_afresh_and_brings_the_portfolio_on_target(
    write_config: Callable[..., Path], decided: bool
) -> None:
    config = write_config()
    run_id = await killed_before_its_plan(config, decided=decided)

    bot = bot_of(config)
    outcome = await bot.rebalance()
    await bot.close()

    assert outcome.run_id == run_id, "the unfinished run was finished, not a new one started"
    assert outcome.status == "completed"
    assert outcome.planned.decision.reason.startswith(
        f"resumed run {run_id}, stopped before its plan was recorded: "
    )
    assert outcome.planned.plan.orders, "the drifted portfolio is traded"
    assert outcome.results
    assert outcome.after is not None
    for asset in outcome.after.assets:
        assert abs(outcome.after.weights[asset] - outcome.after.targets[asset]) < Decimal("0.5")
    with ledger_of(config) as ledger:
        [run] = ledger.list_runs()
        detail = ledger.run_detail(run_id)
    assert run.status == "completed"
    assert detail is not None
    assert {s.kind for s in detail.snapshots} == {"before", "after"}
    assert len(detail.orders) == len(outcome.results)
    assert {p.client_order_id for p in detail.planned_orders} >= {o.client_order_id for o in detail.orders}


async def test_a_harvest_killed_before_its_plan_is_closed_as_skipped_with_what_to_do(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    run_id = await killed_before_its_plan(config, command="harvest")

    bot = bot_of(config)
    outcome = await bot.rebalance()
    await bot.close()

    assert outcome.run_id == run_id
    assert outcome.status == "skipped"
    assert not outcome.results
    assert "run `trimtab tax harvest --execute` again" in outcome.planned.decision.reason
    with ledger_of(config) as ledger:
        [run] = ledger.list_runs()
    assert run.status == "skipped"


def test_the_command_shows_the_fresh_plan_not_nothing_to_trade(write_config: Callable[..., Path]) -> None:
    import asyncio

    config = write_config()
    run_id = asyncio.run(killed_before_its_plan(config))

    result = CliRunner().invoke(app, ["rebalance", "-c", str(config)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.stderr
    assert f"resumed run {run_id}, stopped before its plan was recorded" in result.stdout
    assert "Nothing to trade" not in result.stdout
    assert f"Run {run_id} " in result.stdout

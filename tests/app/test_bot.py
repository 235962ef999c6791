"""The bot end to end on the paper venue and a real ledger (SQLite and PostgreSQL): decide, plan,
execute, record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flaky_venue import FlakyVenue

from trimtab.app.assembly import build_bot
from trimtab.app.portfolio_home import open_ledger
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import OrderRejected
from trimtab.model.orders import OrderRequest

FIXED_NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)  # a Wednesday noon, the day after the paper prices
# Every test runs on both ledger backends: write_config names the PostgreSQL variant's database.
pytestmark = pytest.mark.usefixtures("ledger_backend")


def bot_for(path: Path) -> Bot:
    return build_bot(load_config(path), path, clock=lambda: FIXED_NOW)


async def test_drifted_portfolio_is_rebalanced_to_its_targets(write_config: Callable[..., Path]) -> None:
    bot = bot_for(write_config())
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "completed"
    assert outcome.planned.decision.rebalance
    before = outcome.planned.portfolio
    assert max(abs(before.weights[a] - before.targets[a]) for a in before.assets) > 5
    assert outcome.after is not None
    for asset in outcome.after.assets:
        assert abs(outcome.after.weights[asset] - outcome.after.targets[asset]) < Decimal("0.5"), asset
    sides = [r.side.value for r in outcome.results]
    assert sides == sorted(sides, key=lambda s: s != "sell"), "sells go before buys"
    assert all(r.filled > 0 for r in outcome.results)
    # value is conserved up to fees (prices do not move on the paper venue)
    fees_in_quote = sum(
        (
            f.fee * (1 if f.fee_asset == "USDT" else outcome.after.snapshot.price(f.fee_asset))
            for r in outcome.results
            for f in r.fills
        ),
        Decimal(0),
    )
    assert outcome.after.total_value == before.total_value - fees_in_quote


async def test_run_is_recorded_in_the_ledger(write_config: Callable[..., Path], ledger_backend: str) -> None:
    path = write_config()
    bot = bot_for(path)
    outcome = await bot.rebalance()
    await bot.close()
    assert (path.parent / "data" / "ledger.db").exists() == (ledger_backend == "sqlite")
    ledger = open_ledger(load_config(path), path)
    detail = ledger.run_detail(outcome.run_id)
    assert ledger.last_rebalance_at() == FIXED_NOW
    ledger.close()
    assert detail is not None
    assert detail.summary.status == "completed"
    assert detail.summary.mode == "live"
    assert len(detail.orders) == len(outcome.results)
    assert {s.kind for s in detail.snapshots} == {"before", "after"}
    assert detail.summary.fees  # fees were recorded


async def test_paper_account_persists_between_runs(write_config: Callable[..., Path]) -> None:
    path = write_config()
    first = bot_for(path)
    await first.rebalance()
    await first.close()
    second = bot_for(path)
    view = await second.portfolio()
    await second.close()
    assert max(abs(view.weights[a] - view.targets[a]) for a in view.assets) < Decimal("0.5")


async def test_dry_run_places_nothing_but_is_recorded(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot = bot_for(path)
    before = await bot.portfolio()
    outcome = await bot.rebalance(dry_run=True)
    after = await bot.portfolio()
    await bot.close()
    assert outcome.mode == "dry-run"
    assert outcome.results == ()
    assert outcome.planned.plan.orders
    assert after.snapshot.balances == before.snapshot.balances
    ledger = open_ledger(load_config(path), path)
    assert ledger.last_rebalance_at() is None, "a dry run is not a rebalance"
    ledger.close()


async def test_second_rebalance_is_skipped_inside_the_band(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot = bot_for(path)
    await bot.rebalance()
    again = await bot.rebalance()
    await bot.close()
    assert again.status == "skipped"
    assert not again.planned.decision.rebalance
    assert "inside the band" in again.planned.decision.reason


async def test_force_rebalances_even_when_the_policy_says_no(write_config: Callable[..., Path]) -> None:
    bot = bot_for(write_config())
    await bot.rebalance()
    forced = await bot.rebalance(force=True, dry_run=True)
    await bot.close()
    assert forced.planned.decision.rebalance
    assert forced.planned.decision.reason.startswith("forced")


def reject_buys(request: OrderRequest) -> None:
    """Refuse every buy: a run failing half-way, after its sells."""
    if request.side.value == "buy":
        raise OrderRejected("Account has insufficient balance for requested action.")


async def test_a_failed_run_is_marked_failed_and_keeps_what_happened(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    built = bot_for(path)
    parts = built.parts
    venue = FlakyVenue(parts.venue)
    venue.before_place = reject_buys
    bot = Bot(replace(parts, venue=venue))
    with pytest.raises(OrderRejected):
        await bot.rebalance()
    await bot.close()
    ledger = open_ledger(load_config(path), path)
    [run] = ledger.list_runs()
    detail = ledger.run_detail(run.id)
    assert ledger.last_rebalance_at() is None
    ledger.close()
    assert run.status == "failed"
    assert run.error is not None
    assert "insufficient balance" in run.error
    assert detail is not None
    assert detail.orders, "the sells that did execute are in the ledger"
    assert all(o.side == "sell" for o in detail.orders)

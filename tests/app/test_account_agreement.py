"""The paper account and the ledger must agree before anything trades: a deleted account file, an emptied or
replaced ledger are refused with one line (and warned about by the reading commands), never traded over
silently; ``reset`` starts both over deliberately, keeping the old files."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from trimtab.app.assembly import build_bot
from trimtab.app.reset import reset_paper
from trimtab.app.service import Bot
from trimtab.cli.run_loop import run_loop
from trimtab.config import load_config
from trimtab.errors import AccountMismatch, ConfigError
from trimtab.ledger.store import LedgerStore
from trimtab.venues.paper_state import STATE_FILE_NAME, load_state

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def bot_of(config: Path, now: datetime = NOW) -> Bot:
    return build_bot(load_config(config), config, clock=lambda: now)


async def rebalanced(config: Path, now: datetime = NOW) -> int:
    """One live rebalance that trades; returns how many orders it placed."""
    bot = bot_of(config, now)
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "completed"
    assert outcome.results
    return len(outcome.results)


async def refused(config: Path, **options: bool) -> str:
    bot = bot_of(config)
    try:
        with pytest.raises(AccountMismatch) as caught:
            await bot.rebalance(**options)
    finally:
        await bot.close()
    message = str(caught.value)
    assert "\n" not in message
    assert "`trimtab reset`" in message
    return message


def runs_in(config: Path) -> int:
    with LedgerStore.open(f"sqlite:///{config.parent / 'data' / 'ledger.db'}") as ledger:
        return len(ledger.list_runs(limit=1000))


async def test_a_deleted_paper_account_is_refused_and_nothing_is_placed_again(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    placed = await rebalanced(config)
    state = config.parent / "data" / STATE_FILE_NAME
    state.unlink()

    for options in ({}, {"dry_run": True}, {"force": True}):
        message = await refused(config, **options)
        assert f"the paper account {state} (missing) holds no orders" in message
        assert f"records {placed} orders on it (the account file was deleted or replaced)" in message

    assert not state.exists(), "nothing was placed: the account was not re-created"
    assert runs_in(config) == 1, "no run was recorded"


@pytest.mark.parametrize("how", ["deleted", "replaced by a fresh one"])
async def test_an_emptied_ledger_is_refused(write_config: Callable[..., Path], how: str) -> None:
    config = write_config()
    placed = await rebalanced(config)
    ledger = config.parent / "data" / "ledger.db"
    for companion in ledger.parent.glob("ledger.db*"):
        companion.unlink()
    if how != "deleted":
        LedgerStore.open(f"sqlite:///{ledger}").close()

    message = await refused(config)

    assert f"holds {placed} orders that the ledger sqlite:///{ledger} has no record of" in message
    assert "(the ledger was emptied or replaced)" in message


async def test_a_ledger_of_another_paper_account_is_refused(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    first = write_config()
    await rebalanced(first)
    other = tmp_path / "other"
    other.mkdir()
    second = other / "trimtab.yaml"
    shutil.copy(first, second)
    await rebalanced(second, NOW + timedelta(days=1))  # another account: other client order ids
    shutil.copy(other / "data" / STATE_FILE_NAME, first.parent / "data" / STATE_FILE_NAME)

    message = await refused(first)

    assert "disagree:" in message
    assert "only in the ledger" in message
    assert "only in the account" in message


async def test_a_ledger_of_an_account_that_traded_other_amounts_is_refused(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    """The same client order ids (same run numbers and start times) do not make two accounts one."""
    first = write_config()
    await rebalanced(first)
    other = tmp_path / "other"
    other.mkdir()
    second = other / "trimtab.yaml"
    second.write_text(first.read_text().replace("USDT: 500.9402525", "USDT: 1500"))
    await rebalanced(second)
    shutil.copy(other / "data" / STATE_FILE_NAME, first.parent / "data" / STATE_FILE_NAME)

    message = await refused(first)

    assert "filled differently" in message


async def test_an_agreeing_account_and_ledger_trade_as_before(write_config: Callable[..., Path]) -> None:
    config = write_config()
    await rebalanced(config)
    bot = bot_of(config)
    assert bot.account_disagreement() is None
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "skipped"


async def test_tax_harvest_execute_is_refused_too(write_config: Callable[..., Path]) -> None:
    config = write_config()
    await rebalanced(config)
    (config.parent / "data" / STATE_FILE_NAME).unlink()
    with_tax = write_config(config.read_text() + "tax:\n  jurisdiction: us\n", name="taxed.yaml")
    bot = bot_of(with_tax)
    try:
        with pytest.raises(AccountMismatch):
            await bot.harvest(min_loss=Decimal(0), execute=True)
    finally:
        await bot.close()


async def test_the_run_loop_stops_at_a_disagreement_instead_of_failing_every_check(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    await rebalanced(config)
    (config.parent / "data" / STATE_FILE_NAME).unlink()
    bot = bot_of(config)
    try:
        with pytest.raises(AccountMismatch):
            await run_loop(bot, out=Console(file=io.StringIO()), as_json=False, max_runs=3)
    finally:
        await bot.close()
    assert runs_in(config) == 1


async def test_reset_archives_both_files_and_the_next_run_starts_from_the_configured_balances(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    placed = await rebalanced(config)
    data = config.parent / "data"
    (data / STATE_FILE_NAME).unlink()
    await refused(config)

    done = reset_paper(load_config(config), config, NOW)

    assert done.account is None, "the account file was already gone"
    assert done.ledger is not None
    assert done.ledger == (data / "ledger.db", data / "ledger.db.reset-20250101T120000Z")
    with LedgerStore.open(f"sqlite:///{done.ledger[1]}") as archived:
        [run] = archived.list_runs()
        assert run.order_count == placed, "the archived ledger is whole and readable"
    assert await rebalanced(config) == placed, "the same drifted balances, traded again, now recorded"


async def test_reset_twice_in_the_same_second_keeps_both_archives(write_config: Callable[..., Path]) -> None:
    config = write_config()
    await rebalanced(config)
    first = reset_paper(load_config(config), config, NOW)
    await rebalanced(config)
    second = reset_paper(load_config(config), config, NOW)
    assert first.account is not None
    assert second.account is not None
    assert first.account[1] != second.account[1]
    assert load_state(first.account[1]) is not None
    assert load_state(second.account[1]) is not None


def test_reset_refuses_a_real_exchange(write_config: Callable[..., Path]) -> None:
    config = write_config(
        "portfolio:\n  target_weights: {BTC: 50, USDT: 50}\nexchange: {name: binance}\ndata_dir: data\n"
    )
    with pytest.raises(ConfigError, match=r"exchange\.name: trimtab reset starts a paper account over"):
        reset_paper(load_config(config), config, NOW)

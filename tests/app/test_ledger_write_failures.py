"""Nothing lost when the ledger cannot be written after an order reached the venue (disk full, database
locked): the run stays open, and the next run reconciles it, so the ledger's orders and fills end up equal
to the paper account's, each once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from configs import DRIFTED_BALANCES, Section, yaml_config
from flaky_venue import FlakyVenue
from ledger_faults import (
    MomentaryLock,
    PageLimit,
    create_small_page_ledger,
    fill_filesystem,
    ledger_orders,
    ledger_with_hooks,
    mounted_tmpfs,
    paper_orders,
)

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import LedgerError
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import OrderRequest

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def config_text(max_trade: int, balances: Section, data_dir: str = "data") -> str:
    return yaml_config(
        risk={"max_single_trade_percent": max_trade, "slippage_tolerance": 0.5},
        data_dir=data_dir,
        exchange={"name": "paper", "balances": balances, "prices": "2024-12-31"},
    )


DRIFTED = config_text(20, DRIFTED_BALANCES)
# Everything in BTC, at most 5 % of the portfolio per order: a dozen sells of BTC before any buy.
MANY_SELLS = config_text(5, {"BTC": "0.2"})


def ledger_file(config: Path) -> Path:
    return config.parent / "data" / "ledger.db"


def bot_on(config: Path, ledger: LedgerStore | None = None) -> tuple[Bot, FlakyVenue]:
    """The bot ``build_bot`` makes, its venue wrapped to arm a fault after an order, on ``ledger`` if given."""
    bot = build_bot(load_config(config), config, clock=lambda: NOW)
    if ledger is not None:
        bot.parts.ledger.close()
    venue = FlakyVenue(bot.parts.venue)
    parts = replace(
        bot.parts,
        venue=venue,
        ledger=ledger or bot.parts.ledger,
        execution=replace(bot.parts.execution, pause_seconds=0.0),
    )
    return Bot(parts), venue


async def fail_with_ledger_error(bot: Bot) -> str:
    with pytest.raises(LedgerError) as caught:
        await bot.rebalance()
    await bot.close()
    return str(caught.value)


def assert_stays_open_message(message: str, reason: str) -> None:
    assert "\n" not in message
    assert message.startswith("ledger sqlite:///")
    assert reason in message
    assert (
        "the run stays open: the next `trimtab rebalance` or `run` reconciles it with the exchange" in message
    )


async def assert_next_run_reconciles(config: Path, open_run: int) -> None:
    """The next run resumes the open run, completes it, and leaves the ledger equal to the paper account."""
    again, _ = bot_on(config)
    outcome = await again.rebalance()
    await again.close()
    assert outcome.run_id == open_run, "the open run was resumed, not a new one started"
    assert outcome.status == "completed"
    with LedgerStore.open(f"sqlite:///{ledger_file(config)}") as ledger:
        [run] = ledger.list_runs()
        assert run.status == "completed"
        assert ledger_orders(ledger) == paper_orders(config.parent / "data")


def open_run_missing_an_order(config: Path) -> int:
    """The only run is still open, and the paper account holds an order its ledger has no record of."""
    with LedgerStore.open(f"sqlite:///{ledger_file(config)}") as ledger:
        [run] = ledger.list_runs()
        assert run.status == "running", "orders were on the venue: the run must stay open"
        recorded = ledger_orders(ledger)
    on_venue = paper_orders(config.parent / "data")
    assert set(recorded) < set(on_venue), "an order executed on the venue without its record"
    return run.id


async def test_a_ledger_that_cannot_grow_leaves_the_run_open_and_the_next_run_records_the_order(
    write_config: Callable[..., Path],
) -> None:
    config = write_config(MANY_SELLS)
    create_small_page_ledger(ledger_file(config))
    build_bot(load_config(config), config).parts.ledger.close()  # create the ledger
    ledger, engine = ledger_with_hooks(f"sqlite:///{ledger_file(config)}")
    limit = PageLimit(engine, ledger_file(config))
    bot, venue = bot_on(config, ledger)

    def freeze_after_the_first_order(_: OrderRequest) -> None:
        limit.freeze()

    venue.after_place = freeze_after_the_first_order
    message = await fail_with_ledger_error(bot)

    assert_stays_open_message(message, "database or disk is full")
    run_id = open_run_missing_an_order(config)
    await assert_next_run_reconciles(config, run_id)


async def test_a_write_refused_by_a_momentary_lock_leaves_the_run_open_and_the_next_run_records_it(
    write_config: Callable[..., Path],
) -> None:
    """The lock is gone by the time the run could be marked failed: the run must stay open anyway."""
    config = write_config(DRIFTED)
    build_bot(load_config(config), config).parts.ledger.close()
    ledger, engine = ledger_with_hooks(f"sqlite:///{ledger_file(config)}?timeout=0.2")
    lock = MomentaryLock(engine, ledger_file(config))
    bot, venue = bot_on(config, ledger)
    venue.after_place = lambda _: lock.take()

    message = await fail_with_ledger_error(bot)

    assert lock.taken == 1
    assert_stays_open_message(message, "database is locked")
    run_id = open_run_missing_an_order(config)
    await assert_next_run_reconciles(config, run_id)


async def test_a_full_filesystem_leaves_the_run_open_and_the_next_run_records_the_order(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    with mounted_tmpfs(tmp_path / "small") as small:
        config = write_config(config_text(20, DRIFTED_BALANCES, data_dir=str(small / "data")))
        link = config.parent / "data"
        link.symlink_to(small / "data", target_is_directory=True)  # the helpers read config.parent / "data"
        bot, venue = bot_on(config)
        fillers: list[Path] = []

        def fill_after_the_first_order(_: OrderRequest) -> None:
            if not fillers:
                fillers.append(fill_filesystem(small))

        venue.after_place = fill_after_the_first_order
        message = await fail_with_ledger_error(bot)

        assert_stays_open_message(message, "database or disk is full")
        fillers[0].unlink()  # the user frees some space
        run_id = open_run_missing_an_order(config)
        await assert_next_run_reconciles(config, run_id)


async def test_a_ledger_still_full_on_the_next_run_keeps_the_run_open(
    write_config: Callable[..., Path],
) -> None:
    """Resuming while the ledger still cannot grow fails the same way, and the run stays open again."""
    config = write_config(MANY_SELLS)
    create_small_page_ledger(ledger_file(config))
    build_bot(load_config(config), config).parts.ledger.close()
    url = f"sqlite:///{ledger_file(config)}"
    ledger, engine = ledger_with_hooks(url)
    limit = PageLimit(engine, ledger_file(config))
    bot, venue = bot_on(config, ledger)
    venue.after_place = lambda _: limit.freeze()
    await fail_with_ledger_error(bot)

    still_full, engine = ledger_with_hooks(url)
    PageLimit(engine, ledger_file(config)).freeze()
    again, _ = bot_on(config, still_full)
    message = await fail_with_ledger_error(again)

    assert_stays_open_message(message, "database or disk is full")
    run_id = open_run_missing_an_order(config)
    await assert_next_run_reconciles(config, run_id)

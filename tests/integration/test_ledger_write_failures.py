"""Nothing lost on a real exchange when the ledger refuses a write after an order executed: the run stays
open and the next run reconciles it from the exchange (real ccxt binance against the loopback emulator).

The account starts drifted (see test_bot_faults): one sell of BTC, then three re-planned buys. The ledger
refuses the record of the first buy, once (a momentary lock), or for good until space is freed (a full
filesystem). Either way the exchange holds an order the ledger lacks; the next run must record it without
placing anything twice, after which the ledger and the exchange agree order by order, fill by fill.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator
from bot_helpers import (
    BOT_PREFIX,
    DRIFTED,
    assert_clear_failure,
    assert_invariants,
    emulator_bot,
    emulator_config,
    open_ledger,
    runs,
    with_hooks,
)
from ledger_faults import MomentaryLock, fill_filesystem, ledger_with_hooks, mounted_tmpfs

from trimtab.app.service import Bot
from trimtab.errors import LedgerError
from trimtab.ledger.records import RunStatus
from trimtab.model.orders import OrderRequest, Side

FIRST_BUY_ID = "tt-1-250101120000-b0"


pytestmark = pytest.mark.usefixtures("emulator_keys")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    """Overrides the conftest fixture: the same emulator, started with the drifted account."""
    async with BinanceEmulator(balances=DRIFTED) as emu:
        yield emu


async def finish_and_check(config: Path, emulator: BinanceEmulator, open_run: int) -> None:
    """The next run resumes ``open_run``, sends nothing twice, and the ledger agrees with the exchange."""
    bot = await emulator_bot(config)
    try:
        outcome = await bot.rebalance()
    finally:
        await bot.close()
    assert outcome.run_id == open_run
    assert outcome.status == "completed"
    ours = [o.client_order_id for o in emulator.orders() if o.client_order_id.startswith(BOT_PREFIX)]
    assert len(ours) == len(set(ours)) == 4, "one sell and three buys, each placed once"
    with open_ledger(config) as ledger:
        assert [r.status for r in runs(ledger)] == [RunStatus.COMPLETED]
        assert_invariants(emulator, ledger)


def lacks_the_first_buy(config: Path) -> bool:
    with open_ledger(config) as ledger:
        detail = ledger.run_detail(1)
    assert detail is not None
    return FIRST_BUY_ID not in {o.client_order_id for o in detail.orders}


async def test_a_buy_whose_record_a_momentary_lock_refused_is_recorded_by_the_next_run(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    config = emulator_config(tmp_path, emulator.base_url)
    built = await emulator_bot(config)
    built.parts.ledger.close()
    ledger, engine = ledger_with_hooks(f"sqlite:///{tmp_path / 'data' / 'ledger.db'}?timeout=0.2")
    lock = MomentaryLock(engine, tmp_path / "data" / "ledger.db")
    bot, venue = with_hooks(Bot(replace(built.parts, ledger=ledger)))

    async def lock_after_the_first_buy(request: OrderRequest) -> None:
        if request.side is Side.BUY:
            lock.take()

    venue.after_place = lock_after_the_first_buy
    with pytest.raises(LedgerError) as caught:
        await bot.rebalance()
    try:
        assert "database is locked" in str(caught.value)
        assert_clear_failure(caught.value, ledger, emulator, status="running")
    finally:
        await bot.close()
    assert FIRST_BUY_ID in {o.client_order_id for o in emulator.orders()}
    assert lacks_the_first_buy(config)
    await finish_and_check(config, emulator, open_run=1)


async def test_a_buy_executed_as_the_disk_filled_up_is_recorded_by_the_next_run(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    with mounted_tmpfs(tmp_path / "data") as data:
        config = emulator_config(tmp_path, emulator.base_url)
        bot, venue = with_hooks(await emulator_bot(config))
        fillers: list[Path] = []

        async def fill_after_the_first_buy(request: OrderRequest) -> None:
            if request.side is Side.BUY and not fillers:
                fillers.append(fill_filesystem(data))

        venue.after_place = fill_after_the_first_buy
        with pytest.raises(LedgerError) as caught:
            await bot.rebalance()
        await bot.close()
        assert "database or disk is full" in str(caught.value)
        assert "the run stays open" in str(caught.value)
        fillers[0].unlink()
        assert lacks_the_first_buy(config)
        await finish_and_check(config, emulator, open_run=1)

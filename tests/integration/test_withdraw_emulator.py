"""``withdraw`` on real ccxt binance against the loopback emulator: the cash raised stays on the exchange, set
aside, until the owner withdraws it; deposits show as cash flows.

The drifted account (1000 USDT, 0.3 BTC, 2 ETH at 60000/3000 = 25000; targets BTC 40, ETH 30, SOL 15,
BNB 10, USDT 5): BTC is 32 points over, so a withdrawal of 2000 USDT sells BTC only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator
from bot_helpers import (
    DRIFTED,
    D,
    assert_invariants,
    open_ledger,
)

from trimtab.app.service import Bot
from trimtab.ledger.cash_records import Released
from trimtab.model.orders import Side

pytestmark = pytest.mark.usefixtures("emulator_keys")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    """Overrides the conftest fixture: the same emulator, started with the drifted account."""
    async with BinanceEmulator(balances=DRIFTED) as emu:
        yield emu


async def test_withdraw_on_the_exchange_sets_the_cash_aside_until_the_owner_takes_it(
    bot: Bot, emulator: BinanceEmulator, config: Path
) -> None:
    outcome = await bot.withdraw(D(2000))
    assert not outcome.transferred  # a real exchange: the cash stays for the owner
    assert outcome.ready == 2000
    assert {(r.symbol, r.side) for r in outcome.run.results} == {("BTC/USDT", Side.SELL)}
    free_usdt, _ = emulator.balance("USDT")
    assert free_usdt >= 3000  # 1000 held + 2000 raised (and a little for fees and steps)
    # The next run does not spend it: the set-aside is out of the amounts and the free balance.
    again = await bot.rebalance(force=True)
    assert again.after is not None
    assert emulator.balance("USDT")[0] >= 2000
    assert again.after.snapshot.set_aside == {"USDT": D(2000)}
    assert again.after.total_value < 23100  # the 2000 are outside the portfolio
    # The owner withdraws the 2000: no cash flow (the withdraw run took it out), and the set-aside ends.
    emulator.transfer("USDT", D(-2000))
    view = await bot.portfolio()
    assert view.snapshot.set_aside == {}
    assert view.cash_flows == ()
    await bot.rebalance()
    ledger = open_ledger(config)
    try:
        [record] = ledger.set_asides(open_only=False)
        assert record.released is Released.WITHDRAWN
        assert_invariants(emulator, ledger)
    finally:
        ledger.close()


async def test_a_deposit_on_the_exchange_is_a_cash_flow_named_by_the_next_run(
    bot: Bot, emulator: BinanceEmulator
) -> None:
    first = await bot.rebalance()
    emulator.transfer("USDT", D(1500))
    view = await bot.portfolio()
    assert [(f.asset, f.amount) for f in view.cash_flows] == [("USDT", D(1500))]
    outcome = await bot.rebalance()
    assert f"deposit of 1500 USDT since run {first.run_id}" in outcome.planned.decision.reason

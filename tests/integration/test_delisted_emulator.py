"""A delisting through ccxt on the loopback Binance exchange: SOLUSDT taken off the exchange after a run
recorded SOL's price, the next run values SOL at that price, freezes it with the reason and rebalances
the rest around it."""

from __future__ import annotations

from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator
from bot_helpers import KEY, KEY_ENV, SECRET, SECRET_ENV, emulator_bot, emulator_config

from trimtab.ledger.records import GuardKind, RunStatus
from trimtab.model.money import fmt


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(SECRET_ENV, SECRET)


async def test_a_delisted_market_is_valued_at_its_last_recorded_price_and_frozen(tmp_path: Path) -> None:
    async with BinanceEmulator() as emulator:
        path = emulator_config(tmp_path, emulator.base_url)
        bot = await emulator_bot(path)
        try:
            first = await bot.rebalance(dry_run=True, force=True)  # records SOL's price, trades nothing
        finally:
            await bot.close()
        price = first.planned.portfolio.snapshot.prices["SOL"]
        sol = emulator.balance("SOL")
        emulator.delist("SOLUSDT")
        bot = await emulator_bot(path)
        try:
            outcome = await bot.rebalance(force=True)
            findings = bot.parts.ledger.guard_findings(outcome.run_id)
        finally:
            await bot.close()
        assert emulator.balance("SOL") == sol
        placed = {o.symbol for o in emulator.orders()}
    reason = (
        f"SOL has no SOL/USDT market on binance (delisted?): valued at its last recorded price {fmt(price)} "
        f"from run {first.run_id}, not traded"
    )
    assert outcome.status is RunStatus.COMPLETED
    assert placed  # the others were traded
    assert "SOLUSDT" not in placed
    assert outcome.planned.portfolio.snapshot.prices["SOL"] == price
    assert [(f.guard, f.asset, f.message) for f in findings] == [(GuardKind.MARKET, "SOL", reason)]

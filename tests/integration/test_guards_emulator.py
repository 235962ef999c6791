"""The guards through ccxt on the loopback Binance exchange, the whole bot from config to ledger: a market
in BREAK is frozen and the rest rebalanced around it; USDC/USDT at 0.96 stops the run (not counted); a
stale ticker stops the run; a crashed asset is not bought until resumed, then bought."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator
from bot_helpers import KEY, KEY_ENV, SECRET, SECRET_ENV, emulator_bot, emulator_config, open_ledger

from trimtab.app.guard_holds import resume_guard_hold
from trimtab.app.service import Bot
from trimtab.clock import utc_now
from trimtab.config import load_config
from trimtab.errors import MarketUnsafe
from trimtab.ledger.records import GuardKind, RunStatus
from trimtab.model.orders import Side


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(SECRET_ENV, SECRET)


def bought(outcome_results: tuple[object, ...]) -> set[str]:
    return {r.symbol for r in outcome_results if r.side is Side.BUY and r.filled > 0}  # type: ignore[attr-defined]


def placed(emulator: BinanceEmulator) -> set[str]:
    return {o.symbol for o in emulator.orders()}


async def test_a_market_in_break_is_frozen_and_the_rest_is_rebalanced(tmp_path: Path) -> None:
    async with BinanceEmulator() as emulator:
        emulator.set_status("SOLUSDT", "BREAK")
        bot = await emulator_bot(emulator_config(tmp_path, emulator.base_url))
        try:
            outcome = await bot.rebalance(force=True)
            findings = bot.parts.ledger.guard_findings(outcome.run_id)
        finally:
            await bot.close()
        assert outcome.status is RunStatus.COMPLETED
        assert bought(outcome.results) == {"ETH/USDT", "BNB/USDT"}  # BTC is over its 40 %, SOL frozen
        assert "SOLUSDT" not in placed(emulator)
    assert [(f.guard, f.asset) for f in findings] == [(GuardKind.MARKET, "SOL")]
    assert findings[0].message == "SOL/USDT is in break on binance: SOL is frozen for this run"


async def test_a_depegged_usdc_usdt_stops_the_run_and_the_kill_switch_does_not_count_it(
    tmp_path: Path,
) -> None:
    async with BinanceEmulator() as emulator:
        emulator.set_price("USDCUSDT", "0.96")
        path = emulator_config(tmp_path, emulator.base_url)
        bot = await emulator_bot(path)
        try:
            for _ in range(4):
                with pytest.raises(MarketUnsafe, match=r"USDC/USDT trades at 0\.96, 4\.00 % from 1"):
                    await bot.rebalance(force=True)
        finally:
            await bot.close()
        assert emulator.orders() == []
    with open_ledger(path) as ledger:
        runs = ledger.list_runs(10)
        assert [r.status for r in runs] == [RunStatus.SKIPPED] * 4
        assert ledger.consecutive_failures()[0] == 0
        assert [f.guard for f in ledger.guard_findings(runs[0].id)] == [GuardKind.DEPEG]


async def test_a_stale_ticker_stops_the_run(tmp_path: Path) -> None:
    async with BinanceEmulator() as emulator:
        emulator.set_ticker_age("ETHUSDT", 3600)
        bot = await emulator_bot(emulator_config(tmp_path, emulator.base_url))
        bot = Bot(replace(bot.parts, clock=utc_now))  # the exchange's clock is the wall clock
        try:
            with pytest.raises(MarketUnsafe, match=r"the last price of ETH/USDT is 1h old"):
                await bot.rebalance(force=True)
            emulator.set_ticker_age("ETHUSDT", 60)
            outcome = await bot.rebalance(force=True)
        finally:
            await bot.close()
        assert outcome.status is RunStatus.COMPLETED
        assert "ETH/USDT" in bought(outcome.results)


async def test_a_crashed_asset_is_not_bought_until_resumed_then_bought(tmp_path: Path) -> None:
    async with BinanceEmulator() as emulator:
        emulator.set_day_open("SOLUSDT", "250")  # 150 now: down 40 % in 24 h
        path = emulator_config(tmp_path, emulator.base_url)
        bot = await emulator_bot(path)
        try:
            first = await bot.rebalance(force=True)
            held = await bot.rebalance(force=True)
            resume_guard_hold(load_config(path), path, "SOL", bot.now())
            resumed = await bot.rebalance(force=True)
            findings = [bot.parts.ledger.guard_findings(o.run_id) for o in (first, held, resumed)]
        finally:
            await bot.close()
    assert "SOL/USDT" not in bought(first.results)
    assert {"ETH/USDT", "BNB/USDT"} <= bought(first.results)
    assert "SOL/USDT" not in bought(held.results)
    assert bought(resumed.results) == {"SOL/USDT"}
    assert [[f.guard for f in found] for found in findings] == [[GuardKind.CRASH], [GuardKind.HELD], []]
    assert findings[0][0].message.startswith("SOL fell 40 % in 24 h, more than guards.crash_percent (30 %)")

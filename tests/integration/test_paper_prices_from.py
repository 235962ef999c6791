"""``exchange: {name: paper, prices_from: binance}``: a paper account trading at a real exchange's live
prices, read by real ccxt from the loopback Binance emulator's PUBLIC endpoints (no keys, nothing signed,
no order ever reaches the exchange). The balances stay in the paper state file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest_asyncio
from binance_emulator import BinanceEmulator, EmuMarket
from configs import yaml_config

from trimtab.app.assembly import build_bot
from trimtab.config import load_config
from trimtab.ledger.records import RunStatus
from trimtab.model.orders import Side
from trimtab.venues.paper_state import STATE_FILE_NAME

# Filters unlike the paper venue's Binance defaults (BTC 0.00001, ETH 0.0001): the rules must come from
# the exchange's exchangeInfo.
MARKETS = (
    EmuMarket(
        "BTCUSDT", "BTC", "USDT", step_size="0.001", min_qty="0.001", tick_size="0.1", min_notional="10"
    ),
    EmuMarket("ETHUSDT", "ETH", "USDT", step_size="0.01", min_qty="0.01", tick_size="0.1", min_notional="10"),
)


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(markets=MARKETS, prices={"BTCUSDT": "60000", "ETHUSDT": "3000"}) as emu:
        yield emu


def write_config(folder: Path, emulator: BinanceEmulator, **extra: object) -> Path:
    exchange = {
        "name": "paper",
        "prices_from": "binance",
        "api_url": emulator.base_url,
        "balances": {"USDT": 10000},
        "fee_rate": "0.001",
        "rate_limit": "false",
        "timeout_ms": 5000,
        **extra,
    }
    path = folder / "trimtab.yaml"
    path.write_text(yaml_config(weights={"BTC": 50, "ETH": 30, "USDT": 20}, exchange=exchange))  # type: ignore[arg-type]
    return path


async def test_a_paper_rebalance_fills_at_the_exchanges_live_prices(
    tmp_path: Path, emulator: BinanceEmulator
) -> None:
    path = write_config(tmp_path, emulator)
    bot = build_bot(load_config(path), path)
    try:
        before = datetime.now(UTC)
        snapshot = await bot.snapshot()
        assert snapshot.prices == {"BTC": Decimal(60000), "ETH": Decimal(3000)}
        assert snapshot.markets["BTC"].amount_step == Decimal("0.001")
        assert snapshot.markets["ETH"].min_notional == Decimal(10)
        assert before - timedelta(seconds=5) <= snapshot.taken_at <= datetime.now(UTC)  # the real time
        outcome = await bot.rebalance()
        emulator.set_price("BTCUSDT", "66000")
        moved = await bot.snapshot()
    finally:
        await bot.close()
    assert outcome.status is RunStatus.COMPLETED
    fills = {r.symbol: r.fills[0] for r in outcome.results}
    assert fills["BTC/USDT"].price == Decimal(60000)
    assert fills["ETH/USDT"].price == Decimal(3000)
    assert all(r.side is Side.BUY and r.filled % Decimal("0.001") == 0 for r in outcome.results)
    assert moved.prices["BTC"] == Decimal(66000)
    # paper balances, in the paper state file; the exchange saw public reads only
    assert (tmp_path / "data" / STATE_FILE_NAME).exists()
    assert moved.balances["BTC"].total > 0
    assert emulator.orders() == []
    assert emulator.requests
    assert all("signature" not in r.params and r.method == "GET" for r in emulator.requests)
    assert {r.path for r in emulator.requests} <= {"/api/v3/exchangeInfo", "/api/v3/ticker/24hr"}


async def test_dynamic_weights_read_daily_closes_from_the_exchange(
    tmp_path: Path, emulator: BinanceEmulator
) -> None:
    path = write_config(tmp_path, emulator)
    text = path.read_text().replace(
        "portfolio:\n  target_weights: {BTC: 50, ETH: 30, USDT: 20}",
        "portfolio:\n  dynamic_weights: {method: inverse_volatility, assets: [BTC, ETH], lookback_days: 10, "
        "cash_weight: 10}",
    )
    path.write_text(text)
    bot = build_bot(load_config(path), path)
    try:
        snapshot = await bot.snapshot()
        view = bot.view(snapshot)
    finally:
        await bot.close()
    assert len(snapshot.closes["BTC"]) == 11
    assert snapshot.closes["BTC"][-1] == Decimal(60000)  # the running candle closes at the last price
    assert view.targets["BTC"] > 0
    assert view.targets["ETH"] > 0
    assert any(r.path == "/api/v3/klines" for r in emulator.requests)


async def test_a_market_override_replaces_the_exchanges_rule(
    tmp_path: Path, emulator: BinanceEmulator
) -> None:
    path = write_config(tmp_path, emulator, markets={"BTC/USDT": {"min_notional": 50}})
    bot = build_bot(load_config(path), path)
    try:
        rules = (await bot.snapshot()).markets["BTC"]
    finally:
        await bot.close()
    assert rules.min_notional == Decimal(50)
    assert rules.amount_step == Decimal("0.001")  # the rest from the exchange

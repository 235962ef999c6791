"""Bot scenarios beyond the happy path: partial fills, slippage, dynamic weights, unlisted assets, windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.model.orders import OrderStatus, Side

WEDNESDAY_NOON = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2025, 1, 4, 12, 0, tzinfo=UTC)
# Every test runs on both ledger backends: write_config names the PostgreSQL variant's database.
pytestmark = pytest.mark.usefixtures("ledger_backend")

HOLDINGS = "balances: {BTC: 0.09053, ETH: 1.2754, SOL: 13.647, BNB: 3.189, USDT: 500.9402525}"


def config_text(portfolio: str, exchange_extra: str = "", rebalancing: str = "strategy: threshold") -> str:
    return f"""
portfolio:
{portfolio}
rebalancing:
  {rebalancing}
  min_trade_usd: 20
risk:
  max_single_trade_percent: 20
  slippage_tolerance: 0.5
data_dir: data
exchange:
  name: paper
  {HOLDINGS}
  prices: 2024-12-31
  {exchange_extra}
"""


STATIC = "  target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}"


def bot_for(path: Path, now: datetime = WEDNESDAY_NOON) -> Bot:
    return build_bot(load_config(path), path, clock=lambda: now)


async def test_partial_fills_never_overspend_and_are_recorded_as_expired(
    write_config: Callable[..., Path],
) -> None:
    bot = bot_for(write_config(config_text(STATIC, "fill_ratio: 0.5\n  slippage_bps: 20")))
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "completed"
    assert outcome.results
    assert all(r.status is OrderStatus.EXPIRED and 0 < r.filled < r.amount for r in outcome.results)
    assert outcome.after is not None
    balances = outcome.after.snapshot.balances
    assert all(b.total >= 0 for b in balances.values())
    # half of every sell filled, so the buys were re-planned from the cash that really arrived
    planned_buy_value = sum((o.value for o in outcome.planned.plan.buys), Decimal(0))
    bought = sum((r.cost for r in outcome.results if r.side is Side.BUY), Decimal(0))
    assert bought < planned_buy_value


async def test_slippage_fills_stay_within_the_limit(write_config: Callable[..., Path]) -> None:
    bot = bot_for(write_config(config_text(STATIC, "slippage_bps: 30")))
    outcome = await bot.rebalance()
    await bot.close()
    for result in outcome.results:
        for fill in result.fills:
            if result.side is Side.BUY:
                assert fill.price <= result.limit_price
            else:
                assert fill.price >= result.limit_price


async def test_inverse_volatility_targets_come_from_the_price_history(
    write_config: Callable[..., Path],
) -> None:
    portfolio = (
        "  dynamic_weights: {method: inverse_volatility, assets: [BTC, ETH, SOL, BNB], cash_weight: 5}"
    )
    bot = bot_for(write_config(config_text(portfolio)))
    view = await bot.portfolio()
    planned = await bot.plan(force=True)
    await bot.close()
    assert sum(view.targets.values()) == 100
    assert view.targets["USDT"] == 5
    # BTC is the calmest of the four in late 2024, SOL the wildest
    assert view.targets["BTC"] > view.targets["SOL"]
    assert planned.plan.orders


async def test_unlisted_assets_are_left_alone_by_default(write_config: Callable[..., Path]) -> None:
    text = config_text(STATIC).replace("USDT: 500.9402525}", "USDT: 500.9402525, DOGE: 1000}")
    bot = bot_for(write_config(text))
    outcome = await bot.rebalance()
    await bot.close()
    assert "DOGE" not in outcome.planned.portfolio.assets
    assert outcome.planned.portfolio.unmanaged == {"DOGE": Decimal(1000)}
    assert all(r.symbol != "DOGE/USDT" for r in outcome.results)


async def test_unlisted_assets_are_sold_when_configured(write_config: Callable[..., Path]) -> None:
    text = config_text(STATIC + "\n  unlisted_assets: sell").replace(
        "USDT: 500.9402525}", "USDT: 500.9402525, DOGE: 1000}"
    )
    bot = bot_for(write_config(text))
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.planned.portfolio.targets["DOGE"] == 0
    [doge] = [r for r in outcome.results if r.symbol == "DOGE/USDT"]
    assert doge.side is Side.SELL
    assert doge.filled == Decimal(1000)


async def test_outside_the_window_nothing_happens(write_config: Callable[..., Path]) -> None:
    rules = "strategy: hybrid\n  rebalance_window: {days: [monday, tuesday, wednesday, thursday, friday], hours_utc: [8, 20]}"
    path = write_config(config_text(STATIC, rebalancing=rules))
    bot = bot_for(path, SATURDAY_NOON)
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "skipped"
    assert "outside the rebalance window" in outcome.planned.decision.reason
    inside = bot_for(path, WEDNESDAY_NOON)
    again = await inside.rebalance()
    await inside.close()
    assert again.status == "completed"
    assert again.results


async def test_buys_are_replanned_from_the_cash_the_partial_sells_produced(
    write_config: Callable[..., Path],
) -> None:
    # No cash cushion: the buys can only be paid with what the sells bring in, and only half of each sell fills.
    # Buying what the original plan said would need twice the cash and the exchange would refuse it.
    text = """
portfolio:
  target_weights: {BTC: 50, ETH: 50}
rebalancing: {strategy: threshold, min_trade_usd: 20}
risk: {slippage_tolerance: 0.5}
data_dir: data
exchange: {name: paper, balances: {BTC: 0.1, ETH: 0.5}, prices: 2024-12-31, fill_ratio: 0.5}
"""
    bot = bot_for(write_config(text))
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "completed"
    [sell] = [r for r in outcome.results if r.side is Side.SELL]
    # The buy leg's order; top-up passes then spend the cash its half fill left (each checked by the venue).
    buy, *_ = [r for r in outcome.results if r.side is Side.BUY]
    [planned_buy] = outcome.planned.plan.buys
    assert buy.amount < planned_buy.amount * Decimal("0.6")
    proceeds = sum((f.price * f.amount - f.fee for f in sell.fills), Decimal(0))
    assert buy.amount * buy.limit_price <= proceeds
    assert outcome.after is not None
    assert outcome.after.snapshot.amount("USDT") >= 0


async def test_weights_that_sum_to_99_99_are_accepted_end_to_end(write_config: Callable[..., Path]) -> None:
    text = config_text("  target_weights: {BTC: 33.33, ETH: 33.33, SOL: 33.33}")
    bot = bot_for(write_config(text))
    outcome = await bot.rebalance(dry_run=True)
    await bot.close()
    assert outcome.planned.plan.orders
    assert sum(outcome.planned.portfolio.targets.values()) == Decimal("99.99")

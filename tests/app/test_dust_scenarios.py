"""Dust on the paper exchange: reported, kept out of the drift and the plan, never converted (paper
offers no conversion)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from trimtab.app.assembly import build_bot
from trimtab.app.documents import plan_report, run_report
from trimtab.config import load_config

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

# 0.02 SOL (about 3.8 USDT at the 2024-12-31 close) is below SOL/USDT's 5 USDT minimum order: dust. Counted,
# it would be about 16 % of this small portfolio, far past the 5-point band of a 0 % target.
CONFIG = """
portfolio:
  target_weights: {BTC: 50, USDT: 50}
  unlisted_assets: sell
rebalancing:
  strategy: threshold
  threshold_percent: 5
  min_trade_usd: 1
data_dir: data
exchange:
  name: paper
  balances: {BTC: 0.0001, USDT: 9.36, SOL: 0.02}
  prices: 2024-12-31
"""


async def test_paper_dust_is_reported_and_triggers_nothing(write_config: Callable[..., Path]) -> None:
    path = write_config(CONFIG)
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    try:
        view = await bot.portfolio()
        forced = await bot.plan(force=True)
        outcome = await bot.rebalance()
    finally:
        await bot.close()

    assert list(view.dust) == ["SOL"]
    assert "SOL" not in view.assets
    assert "SOL" not in view.unmanaged
    assert view.total_value == view.snapshot.value("BTC") + Decimal("9.36")  # the dust is not valued
    assert "below the market's minimum order of 5 USDT" in view.dust["SOL"].reason
    # No skipped-trade noise about it, and no threshold broken by it.
    assert all(s.asset != "SOL" for s in forced.plan.skipped)
    assert all(o.asset != "SOL" for o in forced.plan.orders)
    assert not outcome.planned.decision.rebalance, outcome.planned.decision.reason
    assert outcome.dust_sweep is None  # paper converts nothing: the dust is left and reported
    assert plan_report(forced)["dust"]["SOL"]["amount"] == "0.02"
    assert run_report(outcome)["dust"]["SOL"]["reason"] == view.dust["SOL"].reason
    assert run_report(outcome)["dust_conversion"] is None

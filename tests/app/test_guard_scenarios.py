"""The guards on the paper exchange, from a config file to the ledger: a halted market freezes its asset
and the rest is rebalanced around it; a depegged quote stops the run without counting towards the kill
switch; a replay of the FTX collapse (SOL -42 % on 2022-11-09) holds SOL back until it is resumed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from configs import PAPER, yaml_config
from fake_wall import FakeWall

from trimtab.app.assembly import build_bot
from trimtab.app.guard_holds import read_guard_holds, resume_guard_hold
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import ConfigError, MarketUnsafe
from trimtab.ledger.records import GuardKind, RunStatus
from trimtab.model.orders import Side

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
WALL = datetime(2031, 1, 1, tzinfo=UTC)


def bot_for(path: Path) -> Bot:
    return build_bot(load_config(path), path, clock=lambda: NOW)


async def test_a_halted_market_freezes_its_asset_and_the_rest_is_rebalanced_around_it(
    write_config: Callable[..., Path],
) -> None:
    exchange = {**PAPER, "markets": {"SOL/USDT": {"status": "halted"}}}
    bot = bot_for(write_config(yaml_config(exchange=exchange, rebalancing={"strategy": "threshold"})))
    try:
        before = await bot.portfolio()
        outcome = await bot.rebalance(force=True)
        findings = bot.parts.ledger.guard_findings(outcome.run_id)
    finally:
        await bot.close()
    assert outcome.status is RunStatus.COMPLETED
    assert outcome.results  # the others were traded
    assert all(not r.symbol.startswith("SOL/") for r in outcome.results)
    assert [(f.guard, f.asset) for f in findings] == [(GuardKind.MARKET, "SOL")]
    assert "SOL/USDT is halted on paper" in findings[0].message
    assert outcome.planned.portfolio.snapshot.frozen == {"SOL": "SOL/USDT is halted"}
    skipped = [t for t in outcome.planned.plan.skipped if t.asset == "SOL"]
    assert len(skipped) == 1
    assert "SOL/USDT is halted" in skipped[0].reason
    # SOL stays where it was; the others are back in proportion among themselves
    after = outcome.after
    assert after is not None
    assert after.snapshot.amount("SOL") == before.snapshot.amount("SOL")
    sol = after.weights["SOL"]
    rest = Decimal(100) - sol
    for asset, target in {"BTC": 40, "ETH": 30, "BNB": 10}.items():
        wanted = Decimal(target) * rest / Decimal(85)  # the others' 85 points, scaled to what SOL leaves
        assert abs(after.weights[asset] - wanted) < Decimal("0.5"), asset


async def test_a_depegged_quote_stops_the_run_before_any_order_and_is_not_counted(
    write_config: Callable[..., Path],
) -> None:
    exchange = {**PAPER, "prices": {"USDC": "0.96"}}
    bot = bot_for(write_config(yaml_config(exchange=exchange)))
    try:
        for _ in range(4):  # more than the kill switch's 3: none of them counts
            with pytest.raises(
                MarketUnsafe, match=r"USDT is off its peg: USDC/USDT trades at 0\.96, 4\.00 % from 1"
            ):
                await bot.rebalance(force=True)
        runs = bot.history(10)
        failures = bot.parts.ledger.consecutive_failures()
        findings = bot.parts.ledger.guard_findings(runs[0].id)
        detail = bot.run_detail(runs[0].id)
    finally:
        await bot.close()
    assert [r.status for r in runs] == [RunStatus.SKIPPED] * 4
    assert all("guards.depeg_percent" in (r.error or "") for r in runs)
    assert failures[0] == 0
    assert [(f.guard, f.asset) for f in findings] == [(GuardKind.DEPEG, "USDT")]
    assert detail is not None
    assert not detail.planned_orders


async def test_a_depeg_within_the_limit_or_a_guard_turned_off_lets_the_run_go_on(
    write_config: Callable[..., Path],
) -> None:
    inside = {**PAPER, "balances": {"USDT": 10000}, "prices": {"USDC": "0.985"}}
    off = {**PAPER, "balances": {"USDT": 10000}, "prices": {"USDC": "0.9"}}
    for n, (exchange, extra) in enumerate(((inside, ""), (off, "guards: {depeg_percent: null}\n"))):
        bot = bot_for(write_config(yaml_config(exchange=exchange, extra=extra, data_dir=f"data{n}")))
        try:
            outcome = await bot.rebalance(force=True)
        finally:
            await bot.close()
        assert outcome.status is RunStatus.COMPLETED
        assert outcome.results


def ftx_config() -> str:
    """A replay from 2022-11-10: SOL closed at 14.08 on 2022-11-09, 42 % below the close a day before."""
    return yaml_config(
        weights={"BTC": 40, "SOL": 30, "USDT": 30},
        rebalancing={"strategy": "threshold", "threshold_percent": 5},
        exchange={
            "name": "paper",
            "balances": {"USDT": 10000},
            "replay": {"start": "2022-11-10", "speed": 1},
        },
    )


async def test_a_crashed_asset_is_not_bought_until_the_owner_resumes_it(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(ftx_config())
    config = load_config(path)
    bot = build_bot(config, path, wall_clock=FakeWall(WALL))
    try:
        first = await bot.rebalance()
        held = read_guard_holds(config, path)
        second = await bot.rebalance(force=True)  # still held: not bought again, no second hold
        with pytest.raises(ConfigError, match="ETH is not held back by the crash guard"):
            resume_guard_hold(config, path, "eth", bot.now())
        resumed = resume_guard_hold(config, path, "sol", bot.now())
        third = await bot.rebalance(force=True)
        findings = [bot.parts.ledger.guard_findings(o.run_id) for o in (first, second, third)]
    finally:
        await bot.close()
    bought = [
        {r.symbol for r in o.results if r.side is Side.BUY and r.filled > 0} for o in (first, second, third)
    ]
    assert bought[0] == {"BTC/USDT"}
    assert "SOL/USDT" not in bought[1]
    assert "SOL/USDT" in bought[2]
    assert [h.asset for h in held] == ["SOL"]
    assert "SOL fell 42.25 % in 24 h" in held[0].reason
    assert [h.asset for h in resumed] == ["SOL"]
    assert [[f.guard for f in found] for found in findings] == [[GuardKind.CRASH], [GuardKind.HELD], []]
    assert read_guard_holds(config, path) == []

"""A market gone from the venue altogether (a delisting): the asset is valued at the last price the ledger
recorded for it, frozen with the reason and the rest rebalanced around it; never recorded, the run
fails with today's one line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from configs import PAPER, yaml_config

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import PlanningError
from trimtab.ledger.records import GuardKind, RunStatus
from trimtab.model.markets import MarketRules
from trimtab.venues.port import Ticker, Venue

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
TARGETS = {"BTC": 40, "ETH": 30, "BNB": 10}  # the others' targets (SOL's is 15, the quote's 5)


class DelistedVenue:
    """``venue`` without the ``asset/quote`` market: no price, no ticker, no rules (the balance stays)."""

    def __init__(self, venue: Venue, asset: str) -> None:
        self._venue = venue
        self._asset = asset

    def __getattr__(self, name: str) -> Any:
        return getattr(self._venue, name)

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        return await self._venue.fetch_prices(quote, [a for a in assets if a != self._asset])

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        return await self._venue.fetch_markets(quote, [a for a in assets if a != self._asset])

    async def fetch_tickers(self, quote: str, assets: Sequence[str]) -> dict[str, Ticker]:
        tickers: dict[str, Ticker] = await self._venue.fetch_tickers(  # type: ignore[attr-defined]
            quote, [a for a in assets if a != self._asset]
        )
        return tickers


def delisted(bot: Bot, asset: str) -> Bot:
    """The same account and ledger, seen through a venue that no longer lists ``asset``."""
    return Bot(replace(bot.parts, venue=DelistedVenue(bot.parts.venue, asset)))  # type: ignore[arg-type]


async def test_a_delisted_asset_is_valued_at_its_last_recorded_price_and_the_rest_rebalanced(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(yaml_config(exchange=PAPER))
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    try:
        first = await bot.rebalance(dry_run=True, force=True)  # records a snapshot; trades nothing
        price = first.planned.portfolio.snapshot.prices["SOL"]
        gone = delisted(bot, "SOL")
        before = await gone.portfolio()
        outcome = await gone.rebalance(force=True)
        again = await gone.plan(force=True)  # a later run still names the run the price came from
        findings = bot.parts.ledger.guard_findings(outcome.run_id)
    finally:
        await bot.close()
    reason = (
        f"SOL has no SOL/USDT market on paper (delisted?): valued at its last recorded price {price} "
        f"from run {first.run_id}, not traded"
    )
    assert before.snapshot.prices["SOL"] == price
    assert outcome.status is RunStatus.COMPLETED
    assert outcome.results  # the others were traded
    assert all(not r.symbol.startswith("SOL/") for r in outcome.results)
    assert outcome.planned.portfolio.snapshot.frozen == {"SOL": reason}
    assert [(f.guard, f.asset, f.message) for f in findings] == [(GuardKind.MARKET, "SOL", reason)]
    assert [t.reason for t in outcome.planned.plan.skipped if t.asset == "SOL"] == [
        f"{reason}; SOL stays at its current weight and is not traded"
    ]
    after = outcome.after
    assert after is not None
    assert after.snapshot.amount("SOL") == before.snapshot.amount("SOL")
    rest = Decimal(100) - after.weights["SOL"]
    for asset, target in TARGETS.items():
        wanted = Decimal(target) * rest / Decimal(85)  # the others' 85 points, scaled to what SOL leaves
        assert abs(after.weights[asset] - wanted) < Decimal("0.5"), asset
    assert again.portfolio.snapshot.frozen == {"SOL": reason}


async def test_without_guards_the_delisted_asset_is_still_frozen(write_config: Callable[..., Path]) -> None:
    path = write_config(yaml_config(exchange=PAPER, top={"guards": None}))
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    try:
        await bot.rebalance(dry_run=True, force=True)
        outcome = await delisted(bot, "SOL").rebalance(force=True)
    finally:
        await bot.close()
    assert outcome.status is RunStatus.COMPLETED
    assert outcome.results
    assert all(not r.symbol.startswith("SOL/") for r in outcome.results)
    assert (
        "SOL has no SOL/USDT market on paper (delisted?)" in outcome.planned.portfolio.snapshot.frozen["SOL"]
    )


async def test_a_delisted_asset_never_recorded_fails_the_run_in_one_line(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(yaml_config(exchange=PAPER))
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    gone = delisted(bot, "SOL")
    try:
        with pytest.raises(PlanningError, match=r"^no price for SOL against USDT on paper$"):
            await gone.plan(force=True)
    finally:
        await bot.close()

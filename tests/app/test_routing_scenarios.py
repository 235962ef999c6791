"""Cheapest routing on the paper exchange, from a config file to the fills: BTC over target, ETH under,
ETH/BTC listed (``exchange.markets``). With ``routing: cheapest`` the bot trades ETH/BTC directly, lands
within 0.25 points of target and pays less in fees than the same rebalance routed through the quote.
Also: how the config's cross markets reach the paper venue, and that a snapshot reads cross pairs only
when the router may use them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trimtab.app.assembly import build_bot
from trimtab.app.parts import read_snapshot
from trimtab.app.service import Bot, RunOutcome
from trimtab.config import load_config
from trimtab.errors import ConfigError
from trimtab.model.markets import MarketRules
from trimtab.venues.port import Venue

D = Decimal
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
TARGETS = {"BTC": D(50), "ETH": D(50)}


def config_text(routing: str, markets: str = "ETH/BTC: {}", balances: str = "{BTC: 1, ETH: 10}") -> str:
    """BTC 60000 (66.7 %), ETH 30000 (33.3 %) against 50 / 50: 15000 dollars to move from BTC to ETH."""
    return f"""
portfolio:
  target_weights: {{BTC: 50, ETH: 50}}
rebalancing:
  strategy: threshold
  threshold_percent: 5
  min_trade_usd: 10
  routing: {routing}
risk:
  max_single_trade_percent: 100
  slippage_tolerance: 0.5
data_dir: data-{routing}
exchange:
  name: paper
  balances: {balances}
  prices: {{BTC: 60000, ETH: 3000, SOL: 150}}
  fee_rate: 0.001
  markets: {{{markets}}}
"""


def paper_bot(path: Path) -> Bot:
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    return Bot(replace(bot.parts, execution=replace(bot.parts.execution, pause_seconds=0.0)))


async def rebalance(write_config: Callable[..., Path], routing: str) -> RunOutcome:
    bot = paper_bot(write_config(config_text(routing)))
    try:
        return await bot.rebalance()
    finally:
        await bot.close()


def worst_drift(outcome: RunOutcome) -> Decimal:
    assert outcome.after is not None
    return max(abs(outcome.after.weights[a] - t) for a, t in TARGETS.items())


async def test_cheapest_routing_trades_the_cross_pair_and_pays_less_than_the_quote_route(
    write_config: Callable[..., Path],
) -> None:
    cheapest = await rebalance(write_config, "cheapest")
    quote = await rebalance(write_config, "quote")
    assert cheapest.status == quote.status == "completed"
    assert "ETH/BTC" in {r.symbol for r in cheapest.results if r.filled > 0}
    assert "ETH/BTC" not in {r.symbol for r in quote.results}
    assert worst_drift(cheapest) <= D("0.25")
    assert worst_drift(quote) <= D("0.25")
    assert cheapest.fees_value < quote.fees_value
    # the plan says what the quote route would have paid, and that is about what it does pay
    assert cheapest.quote_route_fees is not None
    assert cheapest.quote_route_fees > cheapest.fees_value
    assert quote.quote_route_fees is None


async def test_a_halted_cross_pair_is_not_routed_through(write_config: Callable[..., Path]) -> None:
    bot = paper_bot(write_config(config_text("cheapest", "ETH/BTC: {status: halted}")))
    try:
        outcome = await bot.rebalance()
    finally:
        await bot.close()
    assert outcome.status == "completed"
    assert all(r.symbol != "ETH/BTC" for r in outcome.results)
    assert worst_drift(outcome) <= D("0.25")


# ------------------------------------------------------------------------------------------- the config


async def test_the_configs_cross_markets_are_listed_with_defaults_a_price_and_a_status(
    write_config: Callable[..., Path],
) -> None:
    markets = "ETH/BTC: {price: 0.049}, SOL/BTC: {min_notional: 0.001}, BTC/USDT: {status: break}"
    bot = paper_bot(write_config(config_text("cheapest", markets)))
    try:
        rules, prices = await bot.parts.venue.fetch_cross_markets(["BTC", "ETH", "SOL"])
        usdt = await bot.parts.venue.fetch_markets("USDT", ["BTC", "ETH"])
    finally:
        await bot.close()
    assert prices == {"ETH/BTC": D("0.049"), "SOL/BTC": D("0.0025")}  # given, derived
    assert rules["SOL/BTC"].min_notional == D("0.001")
    assert rules["ETH/BTC"].min_notional == D("0.0001")  # Binance-like: about 5 dollars of BTC
    assert (usdt["BTC"].status, usdt["ETH"].status) == ("break", "trading")


@pytest.mark.parametrize(
    ("markets", "key", "message"),
    [
        ("USDT/BTC: {}", "exchange.markets.USDT/BTC", "cross market of two other assets"),
        ("ETH/ZZZ: {}", "exchange.markets.ETH/ZZZ", "ZZZ has no price"),
        (
            "ETH/USDT: {price: 3000}",
            "exchange.markets.ETH/USDT.price",
            "give the price of ETH in exchange.prices",
        ),
    ],
)
def test_bad_cross_markets_are_named(
    write_config: Callable[..., Path], markets: str, key: str, message: str
) -> None:
    path = write_config(config_text("cheapest", markets))
    with pytest.raises(ConfigError, match=message) as raised:
        build_bot(load_config(path), path, clock=lambda: NOW)
    assert raised.value.key == key


# ------------------------------------------------------------------------------------------- the snapshot


class CountingVenue:
    """Passes every call to ``inner`` and counts the cross-market reads."""

    def __init__(self, inner: Venue) -> None:
        self.inner = inner
        self.cross_reads: list[list[str]] = []

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def fetch_cross_markets(
        self, assets: Sequence[str]
    ) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
        self.cross_reads.append(list(assets))
        return await self.inner.fetch_cross_markets(assets)


@pytest.mark.parametrize("routing", ["cheapest", "quote"])
async def test_a_snapshot_reads_cross_pairs_only_when_routing_is_cheapest(
    write_config: Callable[..., Path], routing: str
) -> None:
    # SOL is neither targeted nor held: SOL/BTC is not among the snapshot's pairs
    path = write_config(config_text(routing, "ETH/BTC: {}, SOL/BTC: {}"))
    bot = paper_bot(path)
    venue = CountingVenue(bot.parts.venue)
    try:
        snapshot = await read_snapshot(replace(bot.parts, venue=venue))  # type: ignore[arg-type]
    finally:
        await bot.close()
    if routing == "cheapest":
        assert venue.cross_reads == [["BTC", "ETH"]]
        assert snapshot.pair_prices == {"ETH/BTC": D("0.05")}
        assert snapshot.pairs["ETH/BTC"].symbol == "ETH/BTC"
    else:
        assert venue.cross_reads == []
        assert (snapshot.pairs, snapshot.pair_prices) == ({}, {})

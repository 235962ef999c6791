"""The generated portfolios of bench/bench_routing.py: random drifts, and drift by one period of returns.

Two generators, both with Binance-like lot steps and minimums and cross pairs listed the way Binance
lists them (hubs against hubs, most assets against each hub):

- :func:`generate`: random targets and log-normal drifts (sigma 0.05 .. 0.6 per case), a deposit of
  cash in a fifth of the cases and an asset not bought yet in a tenth: the spread of states a
  rebalancer can meet, not how they usually arise;
- :func:`generate_returns`: how they usually arise. The portfolio starts exactly on its targets (to
  the lot step) and one period of 1 .. 3 months of crypto returns moves it: a common market factor
  plus per-asset noise, fat-tailed (Student t, 4 degrees of freedom), then it is rebalanced at the
  new prices.

:func:`venue_of` is a fresh paper venue holding a case, :func:`snapshot_of` what a run reads from it,
and :func:`ideal_flow` the floor no route can go below on a case's market graph.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.money import HUNDRED, ONE, ZERO, floor_to_step
from trimtab.model.portfolio import Snapshot
from trimtab.venues.binance_defaults import default_rules, derived_rules
from trimtab.venues.paper import PaperPair, PaperSettings, PaperVenue

QUOTE = "USDT"
FEE_RATE = Decimal("0.001")  # Binance's taker fee, charged in the asset received
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """One portfolio to rebalance: holdings (units), prices (USDT), targets (percent, the quote's
    included) and the cross pairs the venue lists between its assets (``(base, quote)``)."""

    index: int
    holdings: Mapping[str, Decimal]
    prices: Mapping[str, Decimal]
    targets: Mapping[str, Decimal]
    pairs: tuple[tuple[str, str], ...] = ()


def _decimal(x: float, digits: int = 6) -> Decimal:
    return Decimal(f"{x:.{digits}g}")


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _targets(raw: Mapping[str, float], cash_target: float) -> dict[str, Decimal]:
    """Percent targets in proportion to ``raw``, floored to 0.01 (so the quote's remainder is never
    negative); the quote takes the rest, so they sum to 100."""
    scale = (100 - cash_target) / sum(raw.values())
    targets = {a: _decimal(w * scale, 8).quantize(Decimal("0.01"), ROUND_DOWN) for a, w in raw.items()}
    targets[QUOTE] = HUNDRED - sum(targets.values(), ZERO)
    return targets


def _hub_pairs(hubs: list[str], prices: Mapping[str, Decimal]) -> list[tuple[str, str]]:
    """Every hub against every other hub; the cheaper of two hubs is the base (ETH/BTC, BNB/ETH)."""
    pairs = []
    for i, hub in enumerate(hubs):
        for other in hubs[:i]:
            pairs.append((hub, other) if prices[hub] < prices[other] else (other, hub))
    return pairs


def generate(
    rng: random.Random, index: int, *, crosses: bool, every_pair: bool = False, size: int | None = None
) -> Case:
    """A random portfolio of ``size`` assets (4 .. 20 when None), drifted off its targets.

    The first one to three assets are hubs (BTC, ETH, BNB-like: large targets and prices). With
    ``crosses`` the venue lists, as Binance does, most assets against each hub (each pair with a
    probability drawn per case in 0.5 .. 1), every hub against the other hubs, and a few pairs between
    two small assets (5 %); with ``every_pair`` too, every two assets have a pair (the most routing can
    use). Drifts are log-normal (sigma 0.05 .. 0.6 per case); a fifth of the cases
    also hold a deposit of cash (5 .. 30 % of the value), a tenth an asset not bought yet.
    """
    n = size if size is not None else rng.randint(4, 20)
    assets = [f"C{i:02d}" for i in range(n)]
    hubs = assets[: min(rng.randint(1, 3), n - 1)]
    prices = {
        a: _decimal(_log_uniform(rng, 300, 90000) if a in hubs else _log_uniform(rng, 0.005, 400))
        for a in assets
    }
    raw = {a: rng.gammavariate(1.0, 1.0) * (4 if a in hubs else 1) for a in assets}
    targets = _targets(raw, 0.0 if rng.random() < 0.5 else rng.uniform(1, 10))
    total = _log_uniform(rng, 2_000, 500_000)
    sigma = rng.uniform(0.05, 0.6)
    values = {a: float(targets[a]) / 100 * total * math.exp(rng.gauss(0, sigma)) for a in assets}
    values[QUOTE] = float(targets[QUOTE]) / 100 * total * math.exp(rng.gauss(0, sigma))
    if rng.random() < 0.2:
        values[QUOTE] += total * rng.uniform(0.05, 0.3)
    if rng.random() < 0.1:
        values[rng.choice(assets[len(hubs) :] or assets)] = 0.0
    holdings = {
        a: floor_to_step(_decimal(values[a]) / prices[a], derived_rules(a, QUOTE, prices[a]).amount_step)
        for a in assets
    }
    holdings[QUOTE] = _decimal(values[QUOTE], 8).quantize(Decimal("0.01"))
    pairs: list[tuple[str, str]] = []
    if crosses:
        listed = rng.uniform(0.5, 1.0)
        pairs += _hub_pairs(hubs, prices)
        small = assets[len(hubs) :]
        pairs += [(a, hub) for a in small for hub in hubs if rng.random() < listed]
        alts = 1.0 if every_pair else 0.05
        pairs += [(a, b) for i, a in enumerate(small) for b in small[i + 1 :] if rng.random() < alts]
    return Case(index, holdings, prices, targets, tuple(pairs))


# -- drift by one period of returns -----------------------------------------------------------------

#: Monthly volatility of the market factor (BTC's ~55 % a year is ~16 % a month).
MARKET_SIGMA = 0.16
#: Degrees of freedom of the Student t draws: crypto's monthly returns have fat tails (kurtosis > 3).
TAIL_DF = 4
#: (beta to the market factor, monthly idiosyncratic volatility) of the hubs; an altcoin draws its beta
#: from 0.9 .. 1.5 and its own volatility from 0.08 .. 0.25 a month (80 .. 120 % a year in all,
#: correlation with BTC 0.6 .. 0.9, as for Binance's larger altcoins).
HUB_RISK = {"BTC": (1.0, 0.03), "ETH": (1.15, 0.07), "BNB": (0.8, 0.08)}
#: The share of the altcoins Binance lists against each hub (2025: most against BTC, fewer against ETH
#: and BNB); the hubs all trade against one another; two altcoins almost never have a pair.
HUB_LISTING = {"BTC": 0.85, "ETH": 0.45, "BNB": 0.35}
#: Hub prices at the start (USDT).
HUB_PRICES = {"BTC": (40_000.0, 110_000.0), "ETH": (1_500.0, 4_500.0), "BNB": (250.0, 800.0)}


def _t(rng: random.Random) -> float:
    """A Student t draw with :data:`TAIL_DF` degrees of freedom, scaled to unit variance."""
    normal = rng.gauss(0, 1)
    chi2 = sum(rng.gauss(0, 1) ** 2 for _ in range(TAIL_DF))
    return normal / math.sqrt(chi2 / TAIL_DF) * math.sqrt((TAIL_DF - 2) / TAIL_DF)


def generate_returns(
    rng: random.Random, index: int, *, size: int | None = None, value: float | None = None
) -> Case:
    """A portfolio of ``size`` assets (4 .. 20 when None) that was on its targets a period ago.

    BTC and ETH are always held, BNB in half the cases; the targets are a typical crypto allocation
    (BTC 25 .. 55 %, ETH half as much give or take, BNB 3 .. 10 %, the altcoins the rest in gamma-
    distributed shares, cash 0 or 1 .. 10 %). Holdings are the targets at the start prices, floored to
    the lot step. Then 1 .. 3 monthly log returns are drawn per asset: ``beta x market + own``, each
    term a unit-variance Student t times its volatility (:data:`MARKET_SIGMA`, :data:`HUB_RISK`),
    zero mean; the case is rebalanced at the new prices. The venue lists the hub pairs and each
    altcoin against each hub with the probabilities of :data:`HUB_LISTING`. The portfolio is worth
    ``value`` USDT at the start (2,000 .. 500,000, log-uniform, when None).
    """
    n = size if size is not None else rng.randint(4, 20)
    hubs = ["BTC", "ETH"] + (["BNB"] if rng.random() < 0.5 and n > 4 else [])
    alts = [f"A{i:02d}" for i in range(n - len(hubs))]
    assets = hubs + alts
    start = {a: _decimal(_log_uniform(rng, *HUB_PRICES[a])) for a in hubs}
    start |= {a: _decimal(_log_uniform(rng, 0.005, 400)) for a in alts}
    btc = rng.uniform(25, 55)
    raw = {"BTC": btc, "ETH": btc * rng.uniform(0.3, 0.8)}
    if "BNB" in hubs:
        raw["BNB"] = rng.uniform(3, 10)
    alt_share = max(5.0, 100 - sum(raw.values()))
    shares = {a: rng.gammavariate(1.5, 1.0) for a in alts}
    raw |= {a: alt_share * s / sum(shares.values()) for a, s in shares.items()}
    targets = _targets(raw, 0.0 if rng.random() < 0.5 else rng.uniform(1, 10))
    total = value if value is not None else _log_uniform(rng, 2_000, 500_000)
    holdings = {
        a: floor_to_step(
            _decimal(float(targets[a]) / 100 * total) / start[a],
            default_rules(a, QUOTE, start[a]).amount_step,
        )
        for a in assets
    }
    holdings[QUOTE] = _decimal(float(targets[QUOTE]) / 100 * total, 8).quantize(Decimal("0.01"))
    risk = {a: HUB_RISK[a] for a in hubs} | {
        a: (rng.uniform(0.9, 1.5), rng.uniform(0.08, 0.25)) for a in alts
    }
    growth = dict.fromkeys(assets, 0.0)
    for _ in range(rng.randint(1, 3)):
        market = MARKET_SIGMA * _t(rng)
        for a in assets:
            beta, own = risk[a]
            growth[a] += beta * market + own * _t(rng)
    prices = {a: _decimal(float(start[a]) * math.exp(growth[a])) for a in assets}
    pairs = _hub_pairs(hubs, prices)
    pairs += [(a, hub) for a in alts for hub in hubs if rng.random() < HUB_LISTING[hub]]
    return Case(index, holdings, prices, targets, tuple(pairs))


# -- a venue for a case -----------------------------------------------------------------------------


class _FixedMarket:
    """A paper market whose prices stand still: the case's prices, no history, default rules."""

    def __init__(self, prices: Mapping[str, Decimal]) -> None:
        self._prices = dict(prices)

    async def last_prices(self, assets: Sequence[str]) -> dict[str, Decimal]:
        return {a: self._prices[a] for a in assets if a in self._prices}

    async def daily_closes(self, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        return {}

    async def market_rules(self, assets: Sequence[str]) -> dict[str, MarketRules]:
        return {}

    async def close(self) -> None:
        return None


def venue_of(case: Case) -> PaperVenue:
    pairs = {f"{b}/{q}": PaperPair(b, q) for b, q in case.pairs}
    settings = PaperSettings(balances=case.holdings, fee_rate=FEE_RATE, pairs=pairs)
    return PaperVenue(settings, quote=QUOTE, state_path=None, market=_FixedMarket(case.prices))


async def snapshot_of(venue: PaperVenue, case: Case, *, crosses: bool) -> Snapshot:
    """What a run reads (app/parts.read_snapshot): balances, prices, rules, fee; cross pairs only for
    the cheapest route."""
    assets = sorted(case.prices)
    prices = await venue.fetch_prices(QUOTE, assets)
    pairs, pair_prices = await venue.fetch_cross_markets(assets) if crosses else ({}, {})
    return Snapshot(
        QUOTE,
        await venue.fetch_balances(),
        prices,
        await venue.fetch_markets(QUOTE, assets),
        await venue.fetch_fee_rate(),
        NOW,
        pairs=pairs,
        pair_prices=pair_prices,
    )


# -- the floor ----------------------------------------------------------------------------------------


def ideal_flow(case: Case, *, crosses: bool) -> float:
    """The least value that must change hands to reach every target exactly, in USDT (fees are this x
    the fee rate): a continuous min-cost flow over the venue's markets (each asset's quote market and,
    with ``crosses``, the case's cross pairs; every trade costs one fee), with no lot steps, no
    minimums and no fee drag. The floor no route can go below on this market graph."""
    import numpy as np
    from scipy.optimize import linprog

    nodes = [*sorted(case.prices), QUOTE]
    where = {n: i for i, n in enumerate(nodes)}
    total = sum(float(case.holdings[a]) * float(case.prices.get(a, ONE)) for a in nodes)
    excess = [
        float(case.holdings[n]) * float(case.prices.get(n, ONE)) - float(case.targets[n]) / 100 * total
        for n in nodes
    ]
    edges = [(a, QUOTE) for a in case.prices] + [(QUOTE, a) for a in case.prices]
    if crosses:
        edges += [(b, q) for b, q in case.pairs] + [(q, b) for b, q in case.pairs]
    balance = np.zeros((len(nodes), len(edges)))
    for column, (source, sink) in enumerate(edges):
        balance[where[source], column] = 1.0
        balance[where[sink], column] = -1.0
    solved = linprog(
        np.ones(len(edges)), A_eq=balance, b_eq=np.array(excess), bounds=(0, None), method="highs"
    )
    return float(solved.fun) if solved.status == 0 else math.nan

"""Holdings, valuation, weights and drift of a portfolio, all in exact Decimal.

Weights are percentages (0..100) throughout trimtab, like the config's ``target_weights``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.money import ZERO, percent

#: How far target weights may sum from 100 (e.g. 3 x 33.33): the config accepts them, and whatever they
#: miss stays in cash.
WEIGHT_SUM_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Balance:
    """How much of one asset the account holds: ``free`` can be traded, ``total`` includes locked funds."""

    free: Decimal
    total: Decimal


@dataclass(frozen=True)
class Snapshot:
    """Everything one rebalance reads from a venue, taken in one go.

    ``prices`` maps each non-quote asset to its last price in the quote currency; ``markets`` maps each
    non-quote asset to the rules of its ``ASSET/QUOTE`` market. The quote asset is cash: it has no
    market and its price is 1.

    ``pairs`` holds the venue's cross markets between non-quote assets by symbol (``"ETH/BTC"``), and
    ``pair_prices`` their last prices in their own quote asset (BTC per ETH); the router may trade on
    them. ``external`` holds amounts kept outside the venue (config ``portfolio.external``: cold
    storage, another exchange): :meth:`amount` counts them, :meth:`free` never does, so they weigh in
    the allocation and are never traded. ``set_aside`` holds amounts on the venue kept for a withdrawal
    the owner is to make (``trimtab withdraw`` on a real exchange): neither :meth:`amount` nor :meth:`free`
    counts them, so no run re-invests them. ``frozen`` names the assets a guard keeps out of this run, and
    why (a halted market, a crash). ``price_times`` says when each price was last traded or published,
    and ``day_changes`` how far it moved over the last 24 hours in percent (assets the venue gives no
    change for are left out).
    """

    quote: str
    balances: Mapping[str, Balance]
    prices: Mapping[str, Decimal]
    markets: Mapping[str, MarketRules]
    fee_rate: Decimal
    taken_at: datetime
    closes: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)
    pairs: Mapping[str, MarketRules] = field(default_factory=dict)
    pair_prices: Mapping[str, Decimal] = field(default_factory=dict)
    external: Mapping[str, Decimal] = field(default_factory=dict)
    set_aside: Mapping[str, Decimal] = field(default_factory=dict)
    frozen: Mapping[str, str] = field(default_factory=dict)
    price_times: Mapping[str, datetime] = field(default_factory=dict)
    #: Whether a buy's fee is charged in the quote on top of its cost (Coinbase, Kraken): the planner then
    #: keeps ``fee_rate`` of every buy in reserve. Binance, the paper exchange and the backtest take it
    #: from the asset received, so a reserve would only stay behind as cash: they say False.
    buy_fee_in_quote: bool = True
    day_changes: Mapping[str, Decimal] = field(default_factory=dict)

    def amount(self, asset: str) -> Decimal:
        """Total amount of ``asset`` (0 if none): on the venue, and kept outside it (``external``), less
        what is ``set_aside`` for a withdrawal."""
        balance = self.balances.get(asset)
        held = balance.total if balance else ZERO
        if asset in self.set_aside:
            held = max(held - self.set_aside[asset], ZERO)
        return held + self.external[asset] if asset in self.external else held

    def on_venue(self, asset: str) -> Decimal:
        """Total amount of ``asset`` held on the venue (free and locked; ``external`` left out)."""
        balance = self.balances.get(asset)
        return balance.total if balance else ZERO

    def free(self, asset: str) -> Decimal:
        """Free (unlocked) amount of ``asset`` (0 if none), less what is ``set_aside`` for a withdrawal."""
        balance = self.balances.get(asset)
        free = balance.free if balance else ZERO
        return max(free - self.set_aside[asset], ZERO) if asset in self.set_aside else free

    def price(self, asset: str) -> Decimal:
        """Price of one unit of ``asset`` in the quote currency (1 for the quote itself)."""
        if asset == self.quote:
            return Decimal(1)
        return self.prices[asset]

    def value(self, asset: str) -> Decimal:
        """Value of the holding of ``asset`` in the quote currency."""
        return self.amount(asset) * self.price(asset)


def managed_assets(snapshot: Snapshot, targets: Mapping[str, Decimal], include_unlisted: bool) -> list[str]:
    """The assets the portfolio is made of, sorted: the targets, plus held assets outside the targets
    when ``include_unlisted`` (they then count with target 0). The quote is always included."""
    assets = set(targets) | {snapshot.quote}
    if include_unlisted:
        assets |= {a for a, b in snapshot.balances.items() if b.total > 0 and a in snapshot.prices}
    return sorted(assets)


def total_value(snapshot: Snapshot, assets: list[str]) -> Decimal:
    """Value of ``assets`` in the quote currency."""
    return sum((snapshot.value(a) for a in assets), ZERO)


def current_weights(snapshot: Snapshot, assets: list[str]) -> dict[str, Decimal]:
    """Weight of each of ``assets`` in percent of their total value (all 0 for an empty portfolio)."""
    total = total_value(snapshot, assets)
    return {a: percent(snapshot.value(a), total) for a in assets}


def drift(weights: Mapping[str, Decimal], targets: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Current minus target weight in percentage points, for every asset in either mapping."""
    assets = set(weights) | set(targets)
    return {a: weights.get(a, ZERO) - targets.get(a, ZERO) for a in sorted(assets)}

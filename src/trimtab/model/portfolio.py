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
    """

    quote: str
    balances: Mapping[str, Balance]
    prices: Mapping[str, Decimal]
    markets: Mapping[str, MarketRules]
    fee_rate: Decimal
    taken_at: datetime
    closes: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)

    def amount(self, asset: str) -> Decimal:
        """Total amount held of ``asset`` (0 if none)."""
        balance = self.balances.get(asset)
        return balance.total if balance else ZERO

    def free(self, asset: str) -> Decimal:
        """Free (unlocked) amount of ``asset`` (0 if none)."""
        balance = self.balances.get(asset)
        return balance.free if balance else ZERO

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

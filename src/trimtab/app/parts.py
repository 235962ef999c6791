"""What a :class:`~trimtab.app.service.Bot` is made of, and how it reads the portfolio through them.

:class:`BotParts` is built from a config by :mod:`trimtab.app.assembly` (or by a test, with fakes);
:func:`read_snapshot` reads the venue in one go and :func:`portfolio_view` sets the result against the
targets. Both only read: they place nothing and write nothing to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trimtab.app.outcomes import PortfolioView
from trimtab.errors import PlanningError
from trimtab.execution.executor import ExecutionSettings
from trimtab.ledger.store import LedgerStore
from trimtab.model.money import ZERO
from trimtab.model.portfolio import Snapshot, current_weights, managed_assets, total_value
from trimtab.planning.planner import PlannerSettings
from trimtab.policy.base import Policy
from trimtab.suggest import did_you_mean
from trimtab.tax.advisor import TaxAdvisor
from trimtab.venues.port import Venue
from trimtab.weights.base import TargetWeights


@dataclass(frozen=True)
class BotParts:
    """Everything a :class:`~trimtab.app.service.Bot` needs, built from a config by
    :mod:`trimtab.app.assembly`."""

    venue: Venue
    ledger: LedgerStore
    policy: Policy
    weights: TargetWeights
    planner: PlannerSettings
    execution: ExecutionSettings
    max_consecutive_failures: int
    quote: str
    config_digest: str
    clock: Callable[[], datetime]
    tax: TaxAdvisor | None = None  # tax-aware planning (config ``tax:``)


async def read_snapshot(parts: BotParts) -> Snapshot:
    """Balances, prices, market rules, fee rate and (for dynamic weights) history, read in one go."""
    venue, quote, weights = parts.venue, parts.quote, parts.weights
    balances = await venue.fetch_balances()
    wanted = sorted((set(weights.assets) | {a for a, b in balances.items() if b.total > 0}) - {quote})
    prices = await venue.fetch_prices(quote, wanted)
    markets = await venue.fetch_markets(quote, sorted(prices))
    fee_rate = await venue.fetch_fee_rate()
    closes: dict[str, tuple[Decimal, ...]] = {}
    if weights.lookback_days:
        history = await venue.fetch_daily_closes(
            quote, [a for a in weights.assets if a != quote], weights.lookback_days + 1
        )
        closes = {a: tuple(v) for a, v in history.items()}
    return Snapshot(quote, balances, prices, markets, fee_rate, parts.clock(), closes)


def portfolio_view(parts: BotParts, snapshot: Snapshot) -> PortfolioView:
    """``snapshot`` against the targets of ``parts``' weights: the managed assets, their weights and
    value, and the holdings left alone. Raises PlanningError when a targeted asset has no price."""
    targets = parts.weights.targets(snapshot.closes)
    missing = sorted(a for a in targets if a != snapshot.quote and a not in snapshot.prices)
    if missing:
        raise PlanningError(
            f"no price for {', '.join(missing)} against {snapshot.quote} on {parts.venue.name}"
            + did_you_mean(missing[0], snapshot.prices)
        )
    assets = managed_assets(snapshot, targets, include_unlisted=parts.planner.sell_unlisted)
    unmanaged = {a: b.total for a, b in sorted(snapshot.balances.items()) if b.total > 0 and a not in assets}
    return PortfolioView(
        snapshot=snapshot,
        assets=tuple(assets),
        weights=current_weights(snapshot, assets),
        targets={a: targets.get(a, ZERO) for a in assets},
        total_value=total_value(snapshot, assets),
        unmanaged=unmanaged,
    )

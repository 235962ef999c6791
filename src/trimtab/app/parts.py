"""What a :class:`~trimtab.app.service.Bot` is made of, and how it reads the portfolio through them.

:class:`BotParts` is built from a config by :mod:`trimtab.app.assembly` (or by a test, with fakes);
:func:`read_snapshot` reads the venue in one go and :func:`portfolio_view` sets the result against the
targets. Both only read: they place nothing and write nothing to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from trimtab.app.cash_flows import set_aside_now
from trimtab.app.outcomes import PortfolioView
from trimtab.config.guards_section import Guards
from trimtab.errors import PlanningError
from trimtab.execution.executor import ExecutionSettings
from trimtab.ledger.store import LedgerStore
from trimtab.model.markets import MarketRules
from trimtab.model.money import ZERO, fmt
from trimtab.model.portfolio import Snapshot, current_weights, managed_assets, total_value
from trimtab.planning.dust import find_dust
from trimtab.planning.options import Routing
from trimtab.planning.planner import PlannerSettings
from trimtab.policy.base import Policy
from trimtab.suggest import did_you_mean
from trimtab.tax.advisor import TaxAdvisor
from trimtab.venues.port import Venue, buy_fee_in_quote, fetch_cross_markets, fetch_tickers
from trimtab.weights.base import TargetWeights

#: The status of the placeholder market of an asset gone from the venue (the guards report it frozen).
DELISTED = "delisted"
#: The placeholder market's lot step: any positive step, since nothing is ever traded on it.
_NO_STEP = Decimal("1E-8")


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
    guards: Guards | None = None  # checks before any order (config ``guards:``; None: none)
    convert_dust: bool = False  # config ``rebalancing.convert_dust`` (trimtab.app.dust_sweep)
    # config ``portfolio.external``: amounts held outside the venue, counted and never traded
    external: Mapping[str, Decimal] = field(default_factory=dict)


async def read_snapshot(parts: BotParts) -> Snapshot:
    """Balances, prices, market rules, fee rate and (for dynamic weights) history, read in one go. An asset
    the venue has no price for but the ledger recorded one (delisted) is frozen at that price."""
    venue, quote, weights = parts.venue, parts.quote, parts.weights
    balances = await venue.fetch_balances()
    wanted = sorted((set(weights.assets) | {a for a, b in balances.items() if b.total > 0}) - {quote})
    tickers = await fetch_tickers(venue, quote, wanted)  # prices with their time and 24-hour move
    if tickers is None:  # a venue without tickers: its prices' age and moves are not guarded
        prices = await venue.fetch_prices(quote, wanted)
    else:
        prices = {a: t.price for a, t in tickers.items()}
    markets = await venue.fetch_markets(quote, sorted(prices))
    gone = _gone_from_venue(parts, [a for a in wanted if a not in prices])
    fee_rate = await venue.fetch_fee_rate()
    closes: dict[str, tuple[Decimal, ...]] = {}
    if weights.lookback_days:
        history = await venue.fetch_daily_closes(
            quote, [a for a in weights.assets if a != quote], weights.lookback_days + 1
        )
        closes = {a: tuple(v) for a, v in history.items()}
    pairs: dict[str, MarketRules] = {}
    pair_prices: dict[str, Decimal] = {}
    if parts.planner.routing is Routing.CHEAPEST:  # cross pairs only when the router may use them
        pairs, pair_prices = await fetch_cross_markets(venue, sorted(prices))
    return Snapshot(
        quote,
        balances,
        {**prices, **{a: g.price for a, g in gone.items()}},
        {**markets, **{a: g.rules for a, g in gone.items()}},
        fee_rate,
        parts.clock(),
        closes,
        price_times={a: t.time for a, t in (tickers or {}).items() if t.time is not None},
        day_changes={a: t.change_percent for a, t in (tickers or {}).items() if t.change_percent is not None},
        pairs=pairs,
        pair_prices=pair_prices,
        external=dict(parts.external),
        frozen={a: g.reason for a, g in gone.items()},
        # what withdrawals set aside and the venue still holds: out of the amounts and the free balance
        set_aside=set_aside_now(parts.ledger, balances).kept,
        buy_fee_in_quote=buy_fee_in_quote(venue),
    )


@dataclass(frozen=True)
class _Gone:
    """An asset whose market the venue no longer has, as the snapshot holds it: the last price the
    ledger recorded, a placeholder ``delisted`` market (never traded) and the reason it is frozen."""

    price: Decimal
    rules: MarketRules
    reason: str


def _gone_from_venue(parts: BotParts, unpriced: list[str]) -> dict[str, _Gone]:
    """The ``unpriced`` assets (targeted or held, no price on the venue: delisted, most likely) the ledger
    recorded a price for: valued at it and frozen for the run. One never recorded stays unpriced
    (:func:`portfolio_view` then names it)."""
    gone: dict[str, _Gone] = {}
    quote = parts.quote
    for asset in unpriced:
        last = parts.ledger.last_price(asset, quote)
        if last is None:
            continue
        run_id, price = last
        rules = MarketRules(
            asset, quote, amount_step=_NO_STEP, min_amount=ZERO, min_notional=ZERO, status=DELISTED
        )
        reason = (
            f"{asset} has no {rules.symbol} market on {parts.venue.name} (delisted?): valued at its last "
            f"recorded price {fmt(price)} from run {run_id}, not traded"
        )
        gone[asset] = _Gone(price, rules, reason)
    return gone


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
    dust = find_dust(snapshot, targets)  # out of the weights and the value: it never triggers a trade
    managed = managed_assets(snapshot, targets, include_unlisted=parts.planner.sell_unlisted)
    assets = [a for a in managed if a not in dust]
    unmanaged = {
        a: b.total
        for a, b in sorted(snapshot.balances.items())
        if b.total > 0 and a not in assets and a not in dust
    }
    return PortfolioView(
        snapshot=snapshot,
        assets=tuple(assets),
        weights=current_weights(snapshot, assets),
        targets={a: targets.get(a, ZERO) for a in assets},
        total_value=total_value(snapshot, assets),
        unmanaged=unmanaged,
        dust=dust,
    )

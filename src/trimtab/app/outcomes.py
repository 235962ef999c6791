"""What the bot hands its front ends: the portfolio against its targets, a decision with its plan, what
a run did, and what a tax harvest found and did (:class:`~trimtab.app.service.Bot` makes them;
``trimtab.app.service`` re-exports them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from trimtab.app.cash_flows import CashFlow
from trimtab.ledger.records import RunMode, RunStatus
from trimtab.model.money import ZERO, fmt
from trimtab.model.orders import OrderResult
from trimtab.model.portfolio import Snapshot
from trimtab.planning.dust import Dust
from trimtab.planning.plan import Plan
from trimtab.policy.base import Decision
from trimtab.tax.advisor import TaxAdvice
from trimtab.tax.harvest import Harvest
from trimtab.venues.dust_port import DustConversion


@dataclass(frozen=True)
class PortfolioView:
    """The portfolio as the bot sees it: holdings, weights against targets, value."""

    snapshot: Snapshot
    assets: tuple[str, ...]
    weights: Mapping[str, Decimal]
    targets: Mapping[str, Decimal]
    total_value: Decimal
    unmanaged: Mapping[str, Decimal] = field(default_factory=dict)  # held, outside the targets, left alone
    # Unsellable balances without a target (trimtab.planning.dust): outside the weights and the value.
    dust: Mapping[str, Dust] = field(default_factory=dict)
    # Deposits and withdrawals since the ledger's latest snapshot (trimtab.app.cash_flows).
    cash_flows: tuple[CashFlow, ...] = ()


@dataclass(frozen=True)
class PlanView:
    """A decision and the plan that follows from it (an empty plan when there is nothing to do)."""

    portfolio: PortfolioView
    decision: Decision
    plan: Plan
    forced: bool
    tax: TaxAdvice | None = None  # with a ``tax:`` config: deferrals, lots and the estimated tax

    @property
    def targets(self) -> Mapping[str, Decimal]:
        """The targets the plan was made for: the portfolio's, or with deferred sells pinned."""
        return self.tax.targets if self.tax is not None else self.portfolio.targets


@dataclass(frozen=True)
class DustSweep:
    """A run's dust conversion: what the venue converted, or why it failed (the run's orders stand)."""

    conversion: DustConversion | None
    error: str | None = None

    @property
    def converted(self) -> bool:
        """Whether any balance was converted (the balances changed)."""
        return self.conversion is not None and bool(self.conversion.converted)


@dataclass(frozen=True)
class RunOutcome:
    """What one rebalance run did: ``status`` is ``completed`` or ``skipped`` (a failed run raises),
    ``mode`` ``live`` or ``dry-run``."""

    run_id: int
    status: RunStatus
    mode: RunMode
    planned: PlanView
    results: tuple[OrderResult, ...]
    after: PortfolioView | None
    replanned_buys: Plan | None = None  # the buy leg as planned again after the sells, if it was
    dust_sweep: DustSweep | None = None  # the dust converted after the orders (trimtab.app.dust_sweep)
    # Each top-up pass's plan: buys that spent the cash left by buys sized for their worst price.
    top_ups: tuple[Plan, ...] = ()

    @property
    def fees(self) -> dict[str, Decimal]:
        """Fees paid, by the asset they were charged in."""
        return fee_totals(self.results)

    @property
    def fees_value(self) -> Decimal:
        """Fees paid, valued in the quote currency at the prices the run was planned at."""
        snapshot = self.planned.portfolio.snapshot
        return sum((amount * snapshot.price(asset) for asset, amount in self.fees.items()), ZERO)

    @property
    def quote_route_fees(self) -> Decimal | None:
        """What the quote-only route would have paid in fees for this rebalance, in the quote (from the
        plan, at the fee rate); None unless ``rebalancing.routing`` is ``cheapest``."""
        return self.planned.plan.quote_route_fees

    @property
    def fees_saved(self) -> Decimal | None:
        """``quote_route_fees - fees_value``: what routing saved (negative: it cost more); None when
        routing is ``quote`` or nothing was placed (a dry run, a skipped run)."""
        route = self.quote_route_fees
        if route is None or not self.results:
            return None
        return route - self.fees_value

    def route_fee_line(self) -> str | None:
        """The fees against the quote-only route's, for the CLI and the notification:
        ``fees 1.23 USDT (quote-only route: 2.45 USDT, saved 1.22)``; None when routing is ``quote``
        or nothing was placed."""
        saved = self.fees_saved
        if saved is None or self.quote_route_fees is None:
            return None
        quote = self.planned.portfolio.snapshot.quote
        paid, route = _cents(self.fees_value), _cents(self.quote_route_fees)
        verdict = f"saved {_cents(saved)}" if saved >= 0 else f"cost {_cents(-saved)} more"
        return f"fees {paid} {quote} (quote-only route: {route} {quote}, {verdict})"


@dataclass(frozen=True)
class HarvestOutcome:
    """What ``tax harvest`` found, the sells it would place (or placed), and the run if it executed."""

    harvest: Harvest
    plan: Plan
    run: RunOutcome | None = None


def _cents(value: Decimal) -> str:
    return fmt(value, 2, fixed=True, thousands=True)


def fee_totals(results: Iterable[OrderResult]) -> dict[str, Decimal]:
    """Fees of ``results``, added up by the asset they were charged in."""
    paid: dict[str, Decimal] = {}
    for result in results:
        for fill in result.fills:
            paid[fill.fee_asset] = paid.get(fill.fee_asset, ZERO) + fill.fee
    return paid

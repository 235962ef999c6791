"""What the bot hands its front ends: the portfolio against its targets, a decision with its plan, what
a run did, and what a tax harvest found and did (:class:`~trimtab.app.service.Bot` makes them;
``trimtab.app.service`` re-exports them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from trimtab.ledger.records import RunMode, RunStatus
from trimtab.model.money import ZERO
from trimtab.model.orders import OrderResult
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.policy.base import Decision
from trimtab.tax.advisor import TaxAdvice
from trimtab.tax.harvest import Harvest


@dataclass(frozen=True)
class PortfolioView:
    """The portfolio as the bot sees it: holdings, weights against targets, value."""

    snapshot: Snapshot
    assets: tuple[str, ...]
    weights: Mapping[str, Decimal]
    targets: Mapping[str, Decimal]
    total_value: Decimal
    unmanaged: Mapping[str, Decimal] = field(default_factory=dict)  # held, outside the targets, left alone


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

    @property
    def fees(self) -> dict[str, Decimal]:
        """Fees paid, by the asset they were charged in."""
        return fee_totals(self.results)

    @property
    def fees_value(self) -> Decimal:
        """Fees paid, valued in the quote currency at the prices the run was planned at."""
        snapshot = self.planned.portfolio.snapshot
        return sum((amount * snapshot.price(asset) for asset, amount in self.fees.items()), ZERO)


@dataclass(frozen=True)
class HarvestOutcome:
    """What ``tax harvest`` found, the sells it would place (or placed), and the run if it executed."""

    harvest: Harvest
    plan: Plan
    run: RunOutcome | None = None


def fee_totals(results: Iterable[OrderResult]) -> dict[str, Decimal]:
    """Fees of ``results``, added up by the asset they were charged in."""
    paid: dict[str, Decimal] = {}
    for result in results:
        for fill in result.fills:
            paid[fill.fee_asset] = paid.get(fill.fee_asset, ZERO) + fill.fee
    return paid

"""What the web dashboard shows beyond the JSON documents: fees paid per period, a page of runs, the
equity curve with its rebalances, and the largest drift of a status document.

Plain data for a front end to show as it likes; every read is bounded by what one page shows (see
:mod:`trimtab.ledger.glance`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trimtab.ledger.glance import EquityPoint, FeeFill, equity_points, fee_fills, runs_page, status_counts
from trimtab.ledger.records import RunStatus, RunSummary
from trimtab.ledger.store import LedgerStore
from trimtab.model.money import ZERO

__all__ = [
    "EquityPoint",
    "FeesPaid",
    "RunsPage",
    "equity_curve",
    "fees_paid",
    "largest_drift",
    "runs_of",
]

RUNS_PER_PAGE = 50
EQUITY_POINTS = 400  # the latest snapshots drawn: about two weeks of hourly checks, a year of daily ones


@dataclass(frozen=True)
class FeesPaid:
    """Fees paid in one period: ``value`` in the quote currency (fees charged in the quote, or in the
    market's base asset valued at the fill's price), ``other`` the fees in any other asset (e.g. BNB)
    by asset, not valued; ``fills`` how many fills they come from."""

    value: Decimal = ZERO
    other: Mapping[str, Decimal] = field(default_factory=dict)
    fills: int = 0


def fees_paid(store: LedgerStore, quote: str, now: datetime) -> dict[str, FeesPaid]:
    """The fees of the live runs this calendar month, this calendar year (UTC) and all time:
    ``{"month": ..., "year": ..., "all": ...}``."""
    now = now.astimezone(UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year = month.replace(month=1)
    fills = fee_fills(store)
    return {
        "month": _total(quote, (f for f in fills if f.timestamp >= month)),
        "year": _total(quote, (f for f in fills if f.timestamp >= year)),
        "all": _total(quote, fills),
    }


def _total(quote: str, fills: Iterable[FeeFill]) -> FeesPaid:
    value = ZERO
    other: dict[str, Decimal] = {}
    count = 0
    for fill in fills:
        count += 1
        base, _, market_quote = fill.symbol.partition("/")
        if fill.fee_asset == quote:
            value += fill.fee
        elif fill.fee_asset == base and market_quote == quote:
            value += fill.fee * fill.price
        else:
            other[fill.fee_asset] = other.get(fill.fee_asset, ZERO) + fill.fee
    return FeesPaid(value, dict(sorted(other.items())), count)


@dataclass(frozen=True)
class RunsPage:
    """One page of runs (newest first), the page's number (from 1), how many pages and runs match,
    and how many runs each status has in all."""

    runs: list[RunSummary]
    page: int
    pages: int
    total: int
    counts: dict[RunStatus, int]
    status: RunStatus | None


def runs_of(
    store: LedgerStore, *, status: RunStatus | None = None, page: int = 1, per_page: int = RUNS_PER_PAGE
) -> RunsPage:
    """Page ``page`` of the runs (of ``status`` if given); a page past the end is the last one."""
    counts = status_counts(store)
    total = counts.get(status, 0) if status is not None else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    runs, total = runs_page(store, status=status, offset=(page - 1) * per_page, limit=per_page)
    return RunsPage(runs, page, max(1, -(-total // per_page)), total, counts, status)


def equity_curve(store: LedgerStore, limit: int = EQUITY_POINTS) -> list[EquityPoint]:
    """The latest ``limit`` values of the portfolio, oldest first; a point of kind ``after`` is the
    value just after a run traded (a rebalance)."""
    return equity_points(store, limit)


def largest_drift(status: Mapping[str, Any]) -> tuple[str, str] | None:
    """The asset of a ``status --json`` document furthest from its target, and its drift (the
    document's percent string); None for a portfolio without assets."""
    weights: Mapping[str, Mapping[str, str]] = status.get("weights", {})
    if not weights:
        return None
    asset = max(weights, key=lambda a: abs(Decimal(weights[a]["drift"])))
    return asset, weights[asset]["drift"]

"""The backtest's and the sweep's figures as table cells: plain text, shared by the terminal tables
(:mod:`trimtab.cli`) and the HTML reports (:mod:`trimtab.backtest.report`,
:mod:`trimtab.backtest.sweep_report`), so both show the same digits.

Money goes through :func:`trimtab.model.money.fmt` (two places, thousands separators); rates are
percentages to two places; ratios (Sharpe, Sortino, turnover) two places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.backtest.metrics import Metrics
from trimtab.model.money import fmt

if TYPE_CHECKING:  # a table of metrics needs no sweep machinery
    from trimtab.backtest.sweep import SweepRun

METRIC_LABELS = (
    "final value",
    "CAGR",
    "volatility",
    "Sharpe",
    "Sortino",
    "max drawdown",
    "turnover / year",
    "fees",
    "rebalances",
)

SWEEP_COLUMNS = (
    "#",
    "strategy",
    "fee",
    "final value",
    "CAGR",
    "max drawdown",
    "rebalances",
    "turnover",
    "fees",
    "premium",
)


def money_cell(value: Decimal | float) -> str:
    """Money in a table: two places, thousands separators (``12,345.68``)."""
    return fmt(value, 2, fixed=True, thousands=True)


def rate_cell(value: float | Decimal | None) -> str:
    """A fraction as a percentage to two places (``0.1234`` -> ``12.34%``); ``n/a`` when unknown."""
    return f"{value:.2%}" if value is not None else "n/a"


def fee_cell(rate: Decimal) -> str:
    """A fee rate (a fraction) as an exact percentage: ``0.001`` -> ``0.1%``."""
    return f"{fmt(rate * 100)}%"


def metric_cells(m: Metrics) -> list[str]:
    """One run's metrics in the order of :data:`METRIC_LABELS`."""
    return [
        money_cell(m.final_value), rate_cell(m.cagr), rate_cell(m.volatility), f"{m.sharpe:.2f}",
        f"{m.sortino:.2f}", rate_cell(m.max_drawdown), f"{m.turnover:.2f}", money_cell(m.fees), str(m.rebalances),
    ]  # fmt: skip


def sweep_row(rank: int, run: SweepRun) -> list[str]:
    """One ranked sweep run in the order of :data:`SWEEP_COLUMNS`."""
    s = run.strategy
    return [
        str(rank), run.label, fee_cell(run.point.fee_rate), money_cell(s.final_value), rate_cell(s.cagr),
        rate_cell(s.max_drawdown), str(s.rebalances), f"{s.turnover:.2f}", money_cell(s.fees),
        f"{run.premium:+.2%}",
    ]  # fmt: skip

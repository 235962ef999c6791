"""What ``trimtab sweep`` shows in the terminal: the JSON shape, the ranked table and the progress bar.

The HTML report is :mod:`trimtab.backtest.sweep_report`; both take their cells from
:mod:`trimtab.backtest.figures`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trimtab.backtest.figures import SWEEP_COLUMNS, fee_cell, money_cell, rate_cell, sweep_row
from trimtab.backtest.sweep import Sweep, SweepRun
from trimtab.cli.backtest_output import decimal_text, metrics_report
from trimtab.cli.flag_hints import said
from trimtab.cli.tables import FittedTable
from trimtab.model.money import fmt

if TYPE_CHECKING:
    from trimtab.backtest.sweep_dask import ClusterInfo


def sweep_report(sweep: Sweep) -> dict[str, Any]:
    """``{"runs": [...best first...], "buy_and_hold": {...}, "period": {...}, "warnings": [...]}``."""
    return {
        "runs": [
            {
                "rank": rank,
                "label": run.label,
                "parameters": run.point.parameters,
                "strategy": metrics_report(run.strategy),
                "buy_and_hold": metrics_report(run.buy_and_hold),
                "premium": decimal_text(run.premium),
            }
            for rank, run in enumerate(sweep.runs, start=1)
        ],
        "buy_and_hold": {
            **metrics_report(sweep.buy_and_hold),
            "fee_rate": fmt(sweep.buy_and_hold_fee_rate),
        },
        "period": {
            "assets": list(sweep.assets),
            "start": sweep.start,
            "end": sweep.end,
            "bars": sweep.bars,
            "bar": sweep.bar,
        },
        # e.g. a --start or --end moved to the edge of the prices
        "warnings": [said(note) for note in sweep.notes],
        # the Dask cluster it ran on (--scheduler); null: local processes
        "cluster": None if sweep.cluster is None else cluster_report(sweep.cluster),
    }


def cluster_report(info: ClusterInfo) -> dict[str, Any]:
    """``{"scheduler": "local:2", "address": "tcp://127.0.0.1:40123", "workers": 2, "dashboard": ...}``."""
    return {
        "scheduler": info.scheduler,
        "address": info.address,
        "workers": info.workers,
        "dashboard": info.dashboard,
    }


def cluster_line(info: ClusterInfo, runs: int) -> str:
    """What stderr says once the cluster is there: where the runs go and where to watch them."""
    where = info.address if info.scheduler == info.address else f"{info.address} ({info.scheduler})"
    plural = "s" if info.workers != 1 else ""
    line = f"sweep: {runs} runs on the Dask cluster at {where}, {info.workers} worker{plural}"
    if info.dashboard is None:
        return line
    return f"{line}; dashboard {info.dashboard}"


@contextmanager
def progress(console: Console, total: int, *, enabled: bool) -> Iterator[Callable[[SweepRun], None]]:
    """A progress bar on ``console`` advanced by the callback it yields; a no-op when not ``enabled``.

    It redraws on each result instead of from a refresh thread, so the sweep's worker processes are
    never forked from a process running a second thread.
    """
    if not enabled:
        yield lambda run: None
        return
    bar = Progress(
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        auto_refresh=False,
        transient=True,
    )
    with bar:
        task = bar.add_task("", total=total)
        bar.refresh()

        def advance(run: SweepRun) -> None:
            bar.update(task, advance=1, description=f"{run.label} at {fee_cell(run.point.fee_rate)}")
            bar.refresh()

        yield advance


def print_sweep(console: Console, sweep: Sweep, title: str, *, top: int) -> None:
    table = FittedTable(title=title, title_justify="left")
    for name in SWEEP_COLUMNS:
        table.add_column(name, justify="left" if name == "strategy" else "right", no_wrap=name == "strategy")
    for rank, run in enumerate(sweep.runs[:top], start=1):
        table.add_row(*sweep_row(rank, run))
    console.print(table)
    if len(sweep.runs) > top:
        console.print(f"The best {top} of {len(sweep.runs)} runs (--top shows more).")
    h = sweep.buy_and_hold
    console.print(
        f"Buy and hold of the config's portfolio (fee {fee_cell(sweep.buy_and_hold_fee_rate)}): "
        f"{money_cell(h.final_value)}, CAGR {rate_cell(h.cagr)}, max drawdown {rate_cell(h.max_drawdown)}. "
        "Premium: annualised log growth against buy-and-hold of the same weights at the same fee."
    )

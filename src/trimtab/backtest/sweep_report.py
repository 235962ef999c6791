"""What ``trimtab sweep`` shows: the JSON shape, the ranked table, the progress bar and the HTML report.

The HTML report holds one heatmap per threshold family (threshold, and hybrid per check interval, for each
weight method): threshold x fee rate, coloured by the premium against buy-and-hold; then the ranked table.
plotly is imported only when a report is written, and its JavaScript is inlined so the file works offline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trimtab.backtest.output import decimal_text, metrics_report
from trimtab.backtest.sweep import Sweep, SweepRun
from trimtab.backtest.sweep_grid import INVERSE_VOLATILITY
from trimtab.config import Strategy
from trimtab.errors import ConfigError
from trimtab.files import write_atomically
from trimtab.money import fmt
from trimtab.tables import FittedTable


def _number(value: float) -> float | None:
    """A float for the heatmap (plotly draws numbers; the JSON writes decimal strings)."""
    return None if math.isnan(value) or math.isinf(value) else round(value, 10)


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
        "warnings": list(sweep.notes),  # e.g. a --start or --end moved to the edge of the prices
    }


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
            bar.update(task, advance=1, description=f"{run.label} at {_fee(run.point.fee_rate)}")
            bar.refresh()

        yield advance


def _fee(rate: Decimal) -> str:
    return f"{fmt(rate * 100)}%"


def _row(rank: int, run: SweepRun) -> list[str]:
    s = run.strategy
    return [
        str(rank), run.label, _fee(run.point.fee_rate), f"{s.final_value:,.2f}", f"{s.cagr:.2%}",
        f"{s.max_drawdown:.2%}", str(s.rebalances), f"{s.fees:,.2f}", f"{run.premium:+.2%}",
    ]  # fmt: skip


COLUMNS = ("#", "strategy", "fee", "final value", "CAGR", "max drawdown", "rebalances", "fees", "premium")


def print_sweep(console: Console, sweep: Sweep, title: str, *, top: int) -> None:
    table = FittedTable(title=title, title_justify="left")
    for name in COLUMNS:
        table.add_column(name, justify="left" if name == "strategy" else "right", no_wrap=name == "strategy")
    for rank, run in enumerate(sweep.runs[:top], start=1):
        table.add_row(*_row(rank, run))
    console.print(table)
    if len(sweep.runs) > top:
        console.print(f"The best {top} of {len(sweep.runs)} runs (--top shows more).")
    h = sweep.buy_and_hold
    console.print(
        f"Buy and hold of the config's portfolio (fee {_fee(sweep.buy_and_hold_fee_rate)}): "
        f"{h.final_value:,.2f}, CAGR {h.cagr:.2%}, max drawdown {h.max_drawdown:.2%}. "
        "Premium: annualised log growth against buy-and-hold of the same weights at the same fee."
    )


# -- the HTML report -------------------------------------------------------------------------------------


def _family(run: SweepRun) -> str | None:
    """The heatmap a run belongs to; None for calendar runs."""
    point = run.point
    if point.strategy is Strategy.CALENDAR:
        return None
    kind = (
        "threshold"
        if point.strategy is Strategy.THRESHOLD
        else f"hybrid, checked every {fmt(point.interval_hours or Decimal(0))}h"
    )
    weights = "inverse volatility" if point.weights == INVERSE_VOLATILITY else "static weights"
    return f"{kind}, {weights}"


def build_sweep_figure(sweep: Sweep, title: str, *, top: int) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    families: dict[str, list[SweepRun]] = {}
    for run in sweep.runs:
        family = _family(run)
        if family is not None:
            families.setdefault(family, []).append(run)
    columns = 2 if len(families) > 1 else 1
    heatmap_rows = math.ceil(len(families) / columns)
    shown = sweep.runs[:top]
    row_heights = [340] * heatmap_rows + [60 + 24 * len(shown)]
    specs: list[list[dict[str, Any] | None]] = [[{"type": "xy"}] * columns for _ in range(heatmap_rows)]
    specs.append([{"type": "table", "colspan": columns}] + [None] * (columns - 1))
    figure = make_subplots(
        rows=heatmap_rows + 1,
        cols=columns,
        specs=specs,
        row_heights=row_heights,
        vertical_spacing=min(0.08, 0.3 / (heatmap_rows + 1)),
        subplot_titles=[f"Premium: {name}" for name in families]
        + [""] * (heatmap_rows * columns - len(families))
        + [f"Ranked by final value (the best {len(shown)} of {len(sweep.runs)})"],
    )
    for i, (name, runs) in enumerate(families.items()):
        thresholds = sorted({r.point.threshold or Decimal(0) for r in runs})
        fees = sorted({r.point.fee_rate for r in runs})
        premium = {(r.point.threshold, r.point.fee_rate): r.premium for r in runs}
        z = [[_number(premium.get((t, f), math.nan)) for f in fees] for t in thresholds]
        figure.add_trace(
            go.Heatmap(
                x=[f"fee {_fee(f)}" for f in fees],
                y=[f"{fmt(t)}pt" for t in thresholds],
                z=z,
                coloraxis="coloraxis",
                texttemplate="%{z:+.2%}",
                hovertemplate="threshold %{y}, %{x}: premium %{z:+.2%}/year<extra>" + name + "</extra>",
                name=name,
            ),
            row=i // columns + 1,
            col=i % columns + 1,
        )
        figure.update_yaxes(
            title_text="threshold", type="category", row=i // columns + 1, col=i % columns + 1
        )
        figure.update_xaxes(type="category", row=i // columns + 1, col=i % columns + 1)
    cells = list(zip(*(_row(rank, run) for rank, run in enumerate(shown, start=1)), strict=True))
    figure.add_trace(
        go.Table(
            header={"values": list(COLUMNS)},
            cells={"values": [list(column) for column in cells] if cells else [[] for _ in COLUMNS]},
        ),
        row=heatmap_rows + 1,
        col=1,
    )
    h = sweep.buy_and_hold
    figure.update_layout(
        title=f"{title}<br><sup>{sweep.start[:10]} .. {sweep.end[:10]}, {sweep.bars} {sweep.bar} bars of "
        f"{', '.join(sweep.assets)}; premium = annualised log growth against buy-and-hold of the same weights "
        f"at the same fee. Buy and hold of the config's portfolio: {h.final_value:,.2f} "
        f"(CAGR {h.cagr:.2%}, max drawdown {h.max_drawdown:.2%})</sup>",
        coloraxis={
            "colorscale": "RdBu",
            "cmid": 0,
            "colorbar": {"title": "premium/yr", "tickformat": "+.0%"},
        },
        height=140 + sum(row_heights),
        template="plotly_white",
        margin={"t": 140},
    )
    return figure


def write_sweep_report(path: Path, sweep: Sweep, *, title: str, top: int) -> None:
    """Write the report atomically: a failed write leaves no half-written file."""
    html = build_sweep_figure(sweep, title, top=top).to_html(include_plotlyjs=True, full_html=True)
    try:
        write_atomically(path, html, mode=0o644)  # a report is meant to be shared
    except OSError as error:
        raise ConfigError(str(path), "--report", f"cannot write the report ({error.strerror})") from None

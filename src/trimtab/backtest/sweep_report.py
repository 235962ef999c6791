"""The HTML report of ``trimtab sweep``: one self-contained file.

One heatmap per threshold family (threshold, and hybrid per check interval, for each weight method):
threshold x fee rate, coloured by the premium against buy-and-hold; then the ranked table, with the same
cells as the terminal's (:mod:`trimtab.backtest.figures`). plotly is imported only when a report is
written, and its JavaScript is inlined so the file works offline.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from trimtab.backtest.figures import SWEEP_COLUMNS, fee_cell, money_cell, rate_cell, sweep_row
from trimtab.backtest.sweep import Sweep, SweepRun
from trimtab.backtest.sweep_grid import INVERSE_VOLATILITY
from trimtab.config import Strategy
from trimtab.errors import ParameterError
from trimtab.files import write_atomically
from trimtab.model.money import fmt


def _number(value: float) -> float | None:
    """A float for the heatmap (plotly draws numbers; the JSON writes decimal strings)."""
    return None if math.isnan(value) or math.isinf(value) else round(value, 10)


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
    to = "" if point.rebalance_to is None else f", to {point.rebalance_to.value}"
    return f"{kind}, {weights}{to}"


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
                x=[f"fee {fee_cell(f)}" for f in fees],
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
    cells = list(zip(*(sweep_row(rank, run) for rank, run in enumerate(shown, start=1)), strict=True))
    figure.add_trace(
        go.Table(
            header={"values": list(SWEEP_COLUMNS)},
            cells={"values": [list(column) for column in cells] if cells else [[] for _ in SWEEP_COLUMNS]},
        ),
        row=heatmap_rows + 1,
        col=1,
    )
    h = sweep.buy_and_hold
    figure.update_layout(
        title=f"{title}<br><sup>{sweep.start[:10]} .. {sweep.end[:10]}, {sweep.bars} {sweep.bar} bars of "
        f"{', '.join(sweep.assets)}; premium = annualised log growth against buy-and-hold of the same weights "
        f"at the same fee. Buy and hold of the config's portfolio: {money_cell(h.final_value)} "
        f"(CAGR {rate_cell(h.cagr)}, max drawdown {rate_cell(h.max_drawdown)})</sup>",
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
        raise ParameterError(
            "report", f"cannot write the report ({error.strerror})", source=str(path)
        ) from None

"""The HTML report of a backtest: one self-contained file a person would rather look at than read.

Equity against buy-and-hold on a log scale, the drawdowns of both, the weights over time with the
rebalances marked, the metrics table, and with ``--jurisdiction`` the tax of each year and the after-tax results.
plotly's JavaScript is inlined, so the file works offline.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trimtab.backtest.figures import METRIC_LABELS, metric_cells, rate_cell
from trimtab.backtest.metrics import drawdowns
from trimtab.backtest.study import Study
from trimtab.backtest.tax import RunTax, StudyTax
from trimtab.errors import ParameterError
from trimtab.files import write_atomically
from trimtab.model.money import fmt


def build_figure(study: Study, title: str, tax: StudyTax | None = None) -> go.Figure:
    times = study.frame.times.astype("datetime64[s]").astype(object)
    titles = ["Equity (log scale)", "Drawdown", "Weights over time (rebalances marked)", "Metrics"]
    heights = [0.34, 0.18, 0.26, 0.22]
    if tax is not None:
        titles.append(
            f"Estimated tax per tax year and after tax ({tax.rules.jurisdiction.upper()}, {tax.currency})"
        )
        heights = [h * 0.8 for h in heights] + [0.2]
    figure = make_subplots(
        rows=len(titles),
        cols=1,
        shared_xaxes=False,
        vertical_spacing=0.06 if tax is None else 0.045,
        row_heights=heights,
        specs=[[{"type": "xy"}]] * 3 + [[{"type": "table"}]] * (len(titles) - 3),
        subplot_titles=titles,
    )
    runs = (("strategy", study.strategy, "#1f77b4"), ("buy and hold", study.hold, "#7f7f7f"))
    for name, run, color in runs:
        figure.add_trace(go.Scatter(x=times, y=run.equity, name=name, line={"color": color}), row=1, col=1)
        figure.add_trace(
            go.Scatter(
                x=times,
                y=drawdowns(run.equity),
                name=f"{name} drawdown",
                line={"color": color},
                showlegend=False,
            ),
            row=2,
            col=1,
        )
    weights = study.strategy.weights
    for column, asset in enumerate(study.strategy.assets):
        figure.add_trace(
            go.Scatter(
                x=times,
                y=weights[:, column],
                name=asset,
                stackgroup="weights",
                mode="lines",
                line={"width": 0.5},
            ),
            row=3,
            col=1,
        )
    rebalances = np.asarray(study.strategy.rebalance_bars[1:], dtype=np.int64)
    if rebalances.size:
        figure.add_trace(
            go.Scatter(
                x=times[rebalances],
                y=np.ones(rebalances.size),
                mode="markers",
                marker={"symbol": "triangle-down", "size": 7, "color": "black"},
                name="rebalance",
            ),
            row=3,
            col=1,
        )
    s, h = study.strategy_metrics, study.hold_metrics
    figure.add_trace(
        go.Table(
            header={"values": ["", "strategy", "buy and hold"]},
            cells={"values": [list(METRIC_LABELS), metric_cells(s), metric_cells(h)]},
        ),
        row=4,
        col=1,
    )
    if tax is not None:
        figure.add_trace(_tax_table(tax), row=5, col=1)
    figure.update_yaxes(type="log", row=1, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05], row=3, col=1)
    figure.update_layout(
        title=f"{title}<br><sup>rebalancing premium {study.premium:+.2%}/year in log growth "
        f"(theory {study.theoretical_premium:+.2%})</sup>",
        height=1400 if tax is None else 1750,
        template="plotly_white",
    )
    return figure


def _tax_table(tax: StudyTax) -> go.Table:
    """The tax of each year for both runs, then the totals and the after-tax results."""
    labels = [tax.label(year.year) for year in tax.strategy.years] + list(AFTER_TAX_LABELS)
    columns = [labels]
    for run in (tax.strategy, tax.hold):
        columns.append([_money(year.realized) for year in run.years] + [""] * len(AFTER_TAX_LABELS))
        columns.append(_tax_column(run))
    header = ["tax year", "strategy realized", "strategy tax", "buy-and-hold realized", "buy-and-hold tax"]
    return go.Table(header={"values": header}, cells={"values": columns})


AFTER_TAX_LABELS = (
    "tax paid during the run",
    "tax of selling all at the end",
    "after-tax final value",
    "after-tax CAGR",
)


def _tax_column(run: RunTax) -> list[str]:
    money = [*(year.tax for year in run.years), run.tax_paid, run.liquidation_tax, run.after_tax_final_value]
    return [_money(value) for value in money] + [rate_cell(run.after_tax_cagr)]


def _money(value: Decimal) -> str:
    # Half even, "-0.00" for a tiny loss: what the report has always written (the terminal's tax table
    # rounds half up to cents, as a tax form does).
    return fmt(value, 2, fixed=True, thousands=True, negative_zero=True)


def write_report(path: Path, study: Study, *, title: str, tax: StudyTax | None = None) -> None:
    """Write the report atomically: a failed write leaves no half-written file. ``tax`` adds the
    table of ``backtest --jurisdiction``."""
    html = build_figure(study, title, tax).to_html(include_plotlyjs=True, full_html=True)
    try:
        write_atomically(path, html, mode=0o644)  # a report is meant to be shared
    except OSError as error:
        raise ParameterError(
            "report", f"cannot write the report ({error.strerror})", source=str(path)
        ) from None

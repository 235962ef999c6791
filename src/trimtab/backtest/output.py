"""What ``trimtab backtest`` prints: the JSON shape, the table, and the trades CSV."""

from __future__ import annotations

import csv
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from trimtab.backtest.metrics import Metrics
from trimtab.backtest.study import Study
from trimtab.errors import ConfigError
from trimtab.money import fmt


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(value, 10)


def metrics_report(metrics: Metrics) -> dict[str, Any]:
    return {
        key: (_number(value) if isinstance(value, float) else value) for key, value in asdict(metrics).items()
    }


def study_report(study: Study) -> dict[str, Any]:
    times = study.frame.times
    return {
        "assets": list(study.strategy.assets),
        "start": str(times[0].astype("datetime64[s]")) + "Z",
        "end": str(times[-1].astype("datetime64[s]")) + "Z",
        "bars": len(times),
        "bar": study.frame.bar,
        "strategy": metrics_report(study.strategy_metrics),
        "buy_and_hold": metrics_report(study.hold_metrics),
        "premium": _number(study.premium),
        "theoretical_premium": _number(study.theoretical_premium),
    }


def print_study(console: Console, study: Study, title: str) -> None:
    s, h = study.strategy_metrics, study.hold_metrics
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("strategy", justify="right")
    table.add_column("buy and hold", justify="right")
    rows = [
        ("final value", f"{s.final_value:,.2f}", f"{h.final_value:,.2f}"),
        ("CAGR", f"{s.cagr:.2%}", f"{h.cagr:.2%}"),
        ("volatility", f"{s.volatility:.2%}", f"{h.volatility:.2%}"),
        ("Sharpe", f"{s.sharpe:.2f}", f"{h.sharpe:.2f}"),
        ("Sortino", f"{s.sortino:.2f}", f"{h.sortino:.2f}"),
        ("max drawdown", f"{s.max_drawdown:.2%}", f"{h.max_drawdown:.2%}"),
        ("turnover / year", f"{s.turnover:.2f}", f"{h.turnover:.2f}"),
        ("fees", f"{s.fees:,.2f}", f"{h.fees:,.2f}"),
        ("rebalances", str(s.rebalances), str(h.rebalances)),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(
        f"Rebalancing premium: {study.premium:+.2%} a year in log growth against buy-and-hold "
        f"(theory, ½(Σwσ² − σp²) of the same data: {study.theoretical_premium:+.2%})"
    )


def write_trades(path: Path, study: Study) -> None:
    """Every fill of the strategy as CSV: time, symbol, side, amount, price, value, fee, fee_asset."""
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "symbol", "side", "amount", "price", "value", "fee", "fee_asset"])
            for t in study.strategy.trades:
                writer.writerow(
                    [
                        t.time.isoformat(),
                        t.symbol,
                        t.side.value,
                        fmt(t.amount),
                        fmt(t.price),
                        fmt(t.value),
                        fmt(t.fee),
                        t.fee_asset,
                    ]
                )
    except OSError as error:
        raise ConfigError(str(path), "--trades", f"cannot write the file ({error.strerror})") from None

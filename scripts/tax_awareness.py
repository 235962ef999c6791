"""Regenerate the README's "naive against tax-aware" table with trimtab's own `backtest --jurisdiction --json`.

Run: .venv/bin/python scripts/tax_awareness.py  (about half a minute)
The seed basket on the bundled daily history, 0.1% fee, USDT counted 1:1 as the tax currency: each
strategy once without deferral (`tax: {defer_days: 0}`) and tax-aware with `defer_days` 30 (the
default) and 90 (hard band: the default, twice the threshold or 10 points for a calendar), in the US and in Germany.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

TRIMTAB = [sys.executable, "-m", "trimtab"]
START, FEE = "2020-09-12", "0.001"
PORTFOLIO = "portfolio: {target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}}\n"
RISK = "risk: {max_single_trade_percent: 100, slippage_tolerance: 0.5}\n"
STRATEGIES = {
    "monthly": "rebalancing: {strategy: calendar, schedule: {interval: monthly, day: 1}, min_trade_usd: 10}\n",
    "threshold 10 pts": "rebalancing: {strategy: threshold, threshold_percent: 10, min_trade_usd: 10}\n",
}


def backtest(folder: Path, text: str, jurisdiction: str) -> dict[str, object]:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    command = [*TRIMTAB, "backtest", "-c", str(path), "--start", START, "--fee-rate", FEE, "--json"]
    done = subprocess.run(
        [*command, "--jurisdiction", jurisdiction], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def after_tax(folder: Path, strategy: str, jurisdiction: str, defer_days: int) -> tuple[float, float, int]:
    """Taxes (during the run and at the end), after-tax final value, and sells deferred."""
    text = PORTFOLIO + strategy + RISK + f"tax: {{jurisdiction: {jurisdiction}, defer_days: {defer_days}}}\n"
    result = backtest(folder, text, jurisdiction)
    run = result["tax"]["strategy"]  # type: ignore[index]
    aware = result["tax_aware"]
    deferred = int(aware["deferred"]) if aware else 0  # type: ignore[index]
    return (
        float(run["tax_paid"]) + float(run["liquidation_tax"]),
        float(run["after_tax_final_value"]),
        deferred,
    )


def main() -> None:
    print(
        "| strategy | tax | defer_days | sells deferred | tax, naive | tax, tax-aware | after-tax value, naive "
        "| after-tax value, tax-aware | difference |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for name, strategy in STRATEGIES.items():
            for jurisdiction in ("us", "de"):
                naive_tax, naive_value, _ = after_tax(folder, strategy, jurisdiction, 0)
                for days in (30, 90):
                    tax, value, deferred = after_tax(folder, strategy, jurisdiction, days)
                    worth = value - naive_value
                    print(
                        f"| {name} | {jurisdiction.upper()} | {days} | {deferred} | {naive_tax:,.0f} | {tax:,.0f} | "
                        f"{naive_value:,.0f} | {value:,.0f} | {worth:+,.0f} ({worth / naive_value:+.1%}) |"
                    )


if __name__ == "__main__":
    main()

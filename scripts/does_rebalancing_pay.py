"""Regenerate the README's "Does rebalancing pay?" tables with trimtab's own `backtest --json` command.

Run: .venv/bin/python scripts/does_rebalancing_pay.py > /tmp/section.md  (about a minute)
Every number comes from `trimtab backtest` on the bundled daily history with a 0.1% fee.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

TRIMTAB = [sys.executable, "-m", "trimtab"]
FEE = "0.001"

BASKETS = {
    # Each basket starts 31 days after its last asset listed, so inverse volatility has its look-back too.
    "BTC/ETH 50/50": ("2017-09-18", {"BTC": 50, "ETH": 50}),
    "Seed: BTC 40, ETH 30, SOL 15, BNB 10, USDT 5": (
        "2020-09-12",
        {"BTC": 40, "ETH": 30, "SOL": 15, "BNB": 10, "USDT": 5},
    ),
    "10 assets, 10% each": (
        "2019-08-06",
        dict.fromkeys(("BTC", "ETH", "BNB", "XRP", "ADA", "DOGE", "LINK", "LTC", "TRX", "XLM"), 10),
    ),
}

STRATEGIES = {
    "quarterly": "rebalancing: {strategy: calendar, schedule: {interval: quarterly, day: 1}, min_trade_usd: 10}",
    "monthly": "rebalancing: {strategy: calendar, schedule: {interval: monthly, day: 1}, min_trade_usd: 10}",
    "threshold 5 pts": "rebalancing: {strategy: threshold, threshold_percent: 5, min_trade_usd: 10}",
    "threshold 10 pts": "rebalancing: {strategy: threshold, threshold_percent: 10, min_trade_usd: 10}",
    "hybrid (daily check, 5 pts)": (
        "rebalancing: {strategy: hybrid, threshold_percent: 5, check_interval_hours: 24, min_trade_usd: 10}"
    ),
    "inverse volatility, monthly": "INVVOL",
}


def config_text(weights: dict[str, int], strategy: str) -> str:
    cash = weights.get("USDT", 0)
    if strategy == "INVVOL":
        assets = ", ".join(a for a in weights if a != "USDT")
        portfolio = f"portfolio:\n  dynamic_weights: {{method: inverse_volatility, assets: [{assets}], cash_weight: {cash}}}\n"
        strategy = STRATEGIES["monthly"]
    else:
        portfolio = (
            "portfolio:\n  target_weights: {" + ", ".join(f"{a}: {w}" for a, w in weights.items()) + "}\n"
        )
    return portfolio + strategy + "\nrisk: {max_single_trade_percent: 100, slippage_tolerance: 0.5}\n"


def backtest(folder: Path, text: str, start: str, end: str | None = None) -> dict[str, object]:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    command = [*TRIMTAB, "backtest", "-c", str(path), "--start", start, "--fee-rate", FEE, "--json"]
    if end:
        command += ["--end", end]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def pct(value: object) -> str:
    return "n/a" if value is None else f"{float(value):+.1%}"  # type: ignore[arg-type]


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for basket, (start, weights) in BASKETS.items():
            rows = []
            hold: dict[str, object] = {}
            for name, strategy in STRATEGIES.items():
                if strategy == "INVVOL" and len(weights) < 3:
                    continue
                result = backtest(folder, config_text(weights, strategy), start)
                s = result["strategy"]
                # The benchmark of the fixed weights (the first strategy's); inverse volatility is held
                # at its own first weights, so its premium is against that, not this row.
                hold = hold or result["buy_and_hold"]  # type: ignore[assignment]
                rows.append(
                    f"| {name} | {float(s['final_value']):,.0f} | {pct(s['cagr'])} | {pct(s['max_drawdown'])} | "  # type: ignore[index]
                    f"{s['rebalances']} | {float(s['fees']):,.0f} | {pct(result['premium'])} | {pct(result['theoretical_premium'])} |"  # type: ignore[index]
                )
            print(f"**{basket}**, {start} .. 2026-01-05, 10,000 USDT, 0.1% fee:\n")
            print(
                "| strategy | final value | CAGR | max drawdown | rebalances | fees | premium vs hold | theory |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            print(
                f"| buy and hold | {float(hold['final_value']):,.0f} | {pct(hold['cagr'])} | {pct(hold['max_drawdown'])} | 0 | "  # type: ignore[index]
                f"{float(hold['fees']):,.0f} | | |"  # type: ignore[index]
            )
            print("\n".join(rows) + "\n")
            if len(weights) >= 3:
                print(
                    "Buy and hold holds the fixed weights; inverse volatility's premium is against holding "
                    "its own first weights.\n"
                )
        print("**Year by year**, seed basket, monthly rebalancing against buy-and-hold within each year:\n")
        print("| year | monthly CAGR | buy-and-hold CAGR | premium |")
        print("|---|---:|---:|---:|")
        seed = BASKETS["Seed: BTC 40, ETH 30, SOL 15, BNB 10, USDT 5"][1]
        for year in range(2021, 2026):
            result = backtest(
                folder, config_text(seed, STRATEGIES["monthly"]), f"{year}-01-01", f"{year}-12-31"
            )
            s, h = result["strategy"], result["buy_and_hold"]
            print(f"| {year} | {pct(s['cagr'])} | {pct(h['cagr'])} | {pct(result['premium'])} |")  # type: ignore[index]


if __name__ == "__main__":
    main()

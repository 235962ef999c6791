"""How long one decision + plan takes on a 19-asset portfolio (prints figures; asserts nothing).

Run: .venv/bin/python bench/bench_planner.py
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from trimtab.model.portfolio import Balance, Snapshot, current_weights, managed_assets
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.policy import HybridPolicy, ThresholdPolicy
from trimtab.pricedata import bundled_history
from trimtab.venues.binance_defaults import default_rules

REPEATS = 300


def main() -> None:
    history = bundled_history()
    start, end = history.prices_on(date(2022, 1, 1)), history.prices_on(date(2025, 12, 31))
    assets = sorted(a for a in start if a in end)
    weight = Decimal(95) / len(assets)
    targets = dict.fromkeys(assets, weight) | {"USDT": Decimal(100) - weight * len(assets)}
    balances = {a: Balance(Decimal(1000) / start[a], Decimal(1000) / start[a]) for a in assets}
    balances["USDT"] = Balance(Decimal(500), Decimal(500))
    markets = {a: default_rules(a, "USDT", end[a]) for a in assets}
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    snapshot = Snapshot("USDT", balances, {a: end[a] for a in assets}, markets, Decimal("0.001"), now)
    settings = PlannerSettings(Decimal(20), Decimal(20), Decimal("0.5"))
    policy = HybridPolicy(ThresholdPolicy(Decimal(5)), check_interval=timedelta(hours=24))

    tracemalloc.start()
    began = time.perf_counter()
    for _ in range(REPEATS):
        weights = current_weights(snapshot, managed_assets(snapshot, targets, include_unlisted=False))
        policy.decide(now, weights, targets, None)
        plan = plan_rebalance(snapshot, targets, settings)
    elapsed = (time.perf_counter() - began) / REPEATS
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"assets: {len(assets)} + USDT, orders in plan: {len(plan.orders)}, skipped: {len(plan.skipped)}")
    print(f"decide + plan: {elapsed * 1000:.2f} ms per rebalance ({REPEATS} repeats, under tracemalloc)")
    print(f"peak traced memory: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

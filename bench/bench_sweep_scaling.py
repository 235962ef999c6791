"""How a sweep's throughput scales with Dask workers (prints figures; asserts nothing).

Run from the repository: .venv/bin/python bench/bench_sweep_scaling.py [--workers 1,2,4] [--repeats 3]

The workload: one sweep grid of 96 configurations on the bundled daily history, 2020-09-12 .. 2026-01-05
(the seed basket BTC ETH SOL BNB + 5 % USDT, every asset listed): thresholds 2, 3, 4, 5, 6, 8, 10, 15
points x (threshold, hybrid checked every 24 h, hybrid every 168 h) x static and inverse-volatility
weights x fees 0 and 0.1 %. Each configuration is one whole ``run_sweep`` job (the backtest and its
buy-and-hold benchmark).

Measured, each the best of ``--repeats`` whole ``run_sweep`` calls (wall time, the parent's variant checks
and benchmark included):

- the local process pool (``--workers 1`` and 2: ``run_sweep(workers=N)``, pool start included), for
  reference; measured first, before this process starts Dask's threads (the pool forks);
- a Dask ``LocalCluster`` of N single-threaded worker processes (``--scheduler local:N``'s cluster,
  reached by address as a remote one would be), for each N of ``--workers``: the cluster's start is
  printed apart, and one untimed sweep first lets each worker import trimtab. The history is scattered
  to the workers once per sweep, as in every real run.

Throughput is configurations per second; speedup is against Dask with 1 worker; efficiency is
speedup / workers. On a machine with fewer cores than workers (this one has 2) the extra workers only
share the cores: that row is SIMULATED, and says so — it shows the overhead of more workers, not more
speed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from trimtab.backtest.sweep import default_workers, run_sweep
from trimtab.backtest.sweep_dask import parse_scheduler
from trimtab.backtest.sweep_grid import SweepGrid, sweep_points
from trimtab.config import Config, config_from_mapping

START, END = date(2020, 9, 12), date(2026, 1, 5)
PORTFOLIO = {"portfolio": {"target_weights": {"BTC": 40, "ETH": 30, "SOL": 15, "BNB": 10, "USDT": 5}}}
GRID = SweepGrid(
    thresholds=tuple(Decimal(t) for t in (2, 3, 4, 5, 6, 8, 10, 15)),
    intervals=(Decimal(24), Decimal(168)),
    calendars=(),
    fee_rates=(Decimal(0), Decimal("0.001")),
)


def best_of(repeats: int, sweep: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        sweep()
        times.append(time.perf_counter() - began)
    return min(times)


def local(config: Config, workers: int, repeats: int) -> float:
    return best_of(repeats, lambda: run_sweep(config, GRID, start=START, end=END, workers=workers))


def on_dask(config: Config, workers: int, repeats: int) -> tuple[float, float]:
    """(seconds to start the cluster, seconds per sweep)."""
    from distributed import LocalCluster

    began = time.perf_counter()
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        started = time.perf_counter() - began
        scheduler = parse_scheduler(str(cluster.scheduler_address))
        small = SweepGrid(thresholds=(Decimal(5),), intervals=(), calendars=(), fee_rates=(Decimal(0),))
        run_sweep(config, small, start=START, end=END, scheduler=scheduler)  # the workers import trimtab
        seconds = best_of(repeats, lambda: run_sweep(config, GRID, start=START, end=END, scheduler=scheduler))
    return started, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="Dask worker counts, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    cores = default_workers()
    config = config_from_mapping(PORTFOLIO, "bench")
    configs = len(sweep_points(config, GRID, source="bench"))
    print(
        f"python {platform.python_version()}, {cores} cores, load average {os.getloadavg()[0]:.2f} "
        "(other work on the machine slows every figure)"
    )
    print(f"workload: {configs} configs, bundled daily closes {START} .. {END}, best of {args.repeats}\n")
    rows: list[tuple[str, int, float, str]] = []
    for workers in (1, 2):  # before Dask starts threads here: the local pool forks
        rows.append(("local processes", workers, local(config, workers, args.repeats), ""))
    starts = []
    for workers in counts:
        started, seconds = on_dask(config, workers, args.repeats)
        starts.append(f"{workers}: {started:.1f} s")
        simulated = "SIMULATED (more workers than cores)" if workers > cores else ""
        rows.append(("Dask LocalCluster", workers, seconds, simulated))
    base = next((configs / s for kind, n, s, _ in rows if kind.startswith("Dask") and n == 1), None)
    print(
        f"{'executor':<18} {'workers':>7} {'seconds':>8} {'configs/s':>10} {'speedup':>8} {'efficiency':>10}"
    )
    for kind, workers, seconds, note in rows:
        rate = configs / seconds
        speedup = f"{rate / base:.2f}x" if base else "-"
        efficiency = f"{rate / base / workers:.0%}" if base else "-"
        print(f"{kind:<18} {workers:>7} {seconds:>8.2f} {rate:>10.1f} {speedup:>8} {efficiency:>10}  {note}")
    print(f"\nDask cluster start (not in the figures above), by workers: {', '.join(starts)}")
    print("speedup: against Dask with 1 worker; efficiency: speedup / workers")


if __name__ == "__main__":
    main()

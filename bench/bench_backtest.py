"""How fast the backtester is on 10 assets x 5 years of hourly bars (prints figures; asserts nothing).

Run from the repository: .venv/bin/python bench/bench_backtest.py [--prices PATH] [--repeats 5]

The workload: BTC ETH BNB XRP ADA DOGE LINK LTC TRX XLM, bar closes 2020-11-01 .. 2025-10-31 (43,824 hourly
bars), hybrid policy (threshold 5 points, checked every 24 h), fee 0.1 %, 10 % each, no cash, fractional
amounts, 10,000 USDT. The hourly file is not bundled: ``--prices`` names it, by default
``../shared/data/hourly_close_usdt.csv`` next to the repository; without it a deterministic synthetic
random walk of the same shape is written to a temp folder (and the output says so).

Printed: CSV load time, one backtest's time (median of ``--repeats`` runs after a warm-up, through
``trimtab.backtest.engine.run_backtest`` with the policy, weights and planner objects the CLI builds from
the config), rebalances, final value, peak memory (tracemalloc over one run, and ru_maxrss), and a
1,000-configuration sweep: measured with ``trimtab.backtest.sweep`` when that module exists, else
ESTIMATED from 20 configurations measured on 2 processes. Next to them, the targets of the issue.

``compare_bt_vectorbt.py`` imports this module for the same workload.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import BacktestRun, BacktestSettings, run_backtest
from trimtab.config.load import config_from_mapping
from trimtab.config.models import Config
from trimtab.config.strategy import build_policy, build_weights, planner_settings

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PRICES = REPO.parent / "shared" / "data" / "hourly_close_usdt.csv"
ASSETS = ("BTC", "ETH", "BNB", "XRP", "ADA", "DOGE", "LINK", "LTC", "TRX", "XLM")
START, END = date(2020, 11, 1), date(2025, 10, 31)
FEE_RATE = Decimal("0.001")
INITIAL = Decimal(10000)

# The targets.
TARGET_BACKTEST_MS = 20.0
TARGET_SWEEP_CONFIGS, TARGET_SWEEP_SECONDS, TARGET_SWEEP_CORES = 1000, 30.0, 2

SAMPLE_CONFIGS, SAMPLE_PROCESSES = 20, 2
MEASURED_SWEEP_BUDGET_SECONDS = 60.0

# The 1,000-configuration grid a sweep would run (all hybrid, 10 x 10 x 10).
THRESHOLDS = ("1", "1.5", "2", "2.5", "3", "4", "5", "6", "8", "10")
CHECK_HOURS = ("1", "2", "4", "6", "8", "12", "24", "48", "72", "168")
FEES = ("0", "0.0002", "0.0005", "0.00075", "0.001", "0.0015", "0.002", "0.0025", "0.003", "0.005")

T = TypeVar("T")


# -- the workload (shared with compare_bt_vectorbt.py) --------------------------------------------------


def workload_config(
    rebalancing: dict[str, Any] | None = None, *, fee_rate: Decimal = FEE_RATE, slippage: Decimal = Decimal(0)
) -> Config:
    """The config the CLI would load: 10 % each, fee 0.1 %, hybrid 5 points / 24 h unless overridden.

    ``slippage_tolerance: 0`` (``slippage``, in percent, sets another) and ``min_trade_usd: 0``: the
    backtest fills at the close anyway; a tolerance sizes each buy for the worst allowed price and the
    executor's top-up passes spend the cash that leaves, so either way the portfolio is bought at the
    targets and rebalanced to them, as bt and vectorbt do.
    """
    rules = {"strategy": "hybrid", "threshold_percent": 5, "check_interval_hours": 24, "min_trade_usd": 0}
    return config_from_mapping(
        {
            "portfolio": {"target_weights": dict.fromkeys(ASSETS, 10)},
            "rebalancing": rules | (rebalancing or {}),
            "risk": {"slippage_tolerance": str(slippage)},
            "exchange": {"fee_rate": str(fee_rate)},
        },
        "bench",
    )


def settings_for(config: Config) -> BacktestSettings:
    """What ``trimtab backtest`` builds: fractional amounts, no fill slippage, the config's fee."""
    return BacktestSettings(initial=INITIAL, fee_rate=config.exchange.fee_rate, quote=config.quote)


def backtest(frame: PriceFrame, config: Config) -> BacktestRun:
    """One run, with the policy, weights and planner built the way the CLI builds them."""
    return run_backtest(
        frame,
        policy=build_policy(config),
        weights=build_weights(config),
        planner=planner_settings(config),
        settings=settings_for(config),
    )


def resolve_prices(given: Path | None) -> tuple[Path, str]:
    """The hourly CSV to use and a line saying where it came from."""
    if given is not None:
        return given, f"prices: {given}"
    if DEFAULT_PRICES.exists():
        return DEFAULT_PRICES, f"prices: {DEFAULT_PRICES}"
    folder = Path(tempfile.mkdtemp(prefix="trimtab-bench-"))
    path = write_synthetic_hourly(folder / "synthetic_hourly_close.csv")
    return path, (
        f"prices: {DEFAULT_PRICES} not found; SYNTHETIC deterministic random walk (seed 0) written to {path}"
    )


def write_synthetic_hourly(path: Path) -> Path:
    """43,824 hourly rows x 10 assets: a seeded log-normal random walk (about 80 % annual volatility)."""
    rng = np.random.default_rng(0)
    opens = np.arange(
        np.datetime64("2020-10-31T23:00"), np.datetime64("2025-10-31T23:00"), np.timedelta64(1, "h")
    )
    starts = np.array([13800, 390, 30, 0.24, 0.1, 0.0026, 11, 55, 0.025, 0.075])
    steps = rng.normal(0.0, 0.8 / np.sqrt(8760), size=(len(opens), len(ASSETS)))
    closes = starts * np.exp(np.cumsum(steps, axis=0))
    stamps = np.datetime_as_string(opens, unit="m").astype(object)
    lines = [",".join(("datetime_utc", *ASSETS))]
    lines += [
        f"{stamp.replace('T', ' ')},{','.join(f'{v:.8g}' for v in row)}"
        for stamp, row in zip(stamps, closes, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_workload(path: Path) -> tuple[PriceFrame, float]:
    """The selected frame and the seconds it took to parse the CSV and select the assets and period."""
    began = time.perf_counter()
    frame = load_price_frame(path).select(ASSETS, START, END)
    return frame, time.perf_counter() - began


def timed(function: Callable[[], T], repeats: int) -> tuple[float, list[float], T]:
    """Median seconds of ``repeats`` calls after one untimed warm-up, every time, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), times, result


# -- the sweep ------------------------------------------------------------------------------------------

_worker_frame: PriceFrame | None = None


def _init_worker(frame: PriceFrame) -> None:
    global _worker_frame  # noqa: PLW0603 - one frame per worker process, handed over once
    _worker_frame = frame


def _ready(_: int) -> int:
    time.sleep(0.05)  # long enough that both workers take one
    return os.getpid()


def _run_one(overrides: tuple[str, str, str]) -> tuple[float, int]:
    assert _worker_frame is not None
    threshold, hours, fee = overrides
    config = workload_config(
        {"threshold_percent": threshold, "check_interval_hours": hours}, fee_rate=Decimal(fee)
    )
    began = time.perf_counter()
    run = backtest(_worker_frame, config)
    return time.perf_counter() - began, len(run.rebalance_bars) - 1


def sweep_grid() -> list[tuple[str, str, str]]:
    return list(itertools.product(THRESHOLDS, CHECK_HOURS, FEES))


def stratified_sample(grid: Sequence[tuple[str, str, str]], size: int) -> list[tuple[str, str, str]]:
    """``size`` configs, the same number per check interval (it sets how many decisions a run makes, the
    main cost driver); threshold and fee drawn at random (seed 0)."""
    chooser = random.Random(0)
    per_interval = size // len(CHECK_HOURS)
    return [
        config
        for hours in CHECK_HOURS
        for config in chooser.sample([c for c in grid if c[1] == hours], per_interval)
    ]


def estimate_sweep(frame: PriceFrame) -> None:
    grid = sweep_grid()
    sample = stratified_sample(grid, SAMPLE_CONFIGS)
    method = multiprocessing.get_start_method()
    began = time.perf_counter()
    with ProcessPoolExecutor(SAMPLE_PROCESSES, initializer=_init_worker, initargs=(frame,)) as pool:
        pids = set(pool.map(_ready, range(SAMPLE_PROCESSES)))
        startup = time.perf_counter() - began
        began = time.perf_counter()
        results = list(pool.map(_run_one, sample, chunksize=1))
        wall = time.perf_counter() - began
    per_run = [seconds for seconds, _ in results]
    estimate = startup + wall / len(sample) * len(grid)
    print(
        f"sweep sample        : {len(sample)} configs on {len(pids)} processes ({method}) in {wall:.2f} s wall "
        f"(+ {startup:.2f} s pool start); per run median {statistics.median(per_run) * 1000:.0f} ms, "
        f"min {min(per_run) * 1000:.0f} ms, max {max(per_run) * 1000:.0f} ms"
    )
    by_hours: dict[str, list[float]] = {}
    for (_, hours, _), seconds in zip(sample, per_run, strict=True):
        by_hours.setdefault(hours, []).append(seconds)
    print(
        "  per run by check interval: "
        + ", ".join(f"{h} h {statistics.mean(s) * 1000:.0f} ms" for h, s in by_hours.items())
    )
    verdict = "meets" if estimate < TARGET_SWEEP_SECONDS else "MISSES"
    print(
        f"1,000-config sweep  : ~{estimate:.1f} s ESTIMATED (not measured: {len(sample)}-config sample "
        f"x {len(grid) / len(sample):.0f} + pool start)   target < {TARGET_SWEEP_SECONDS:.0f} s on "
        f"{TARGET_SWEEP_CORES} cores -> {verdict} it ({estimate / TARGET_SWEEP_SECONDS:.1f}x the target)"
    )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  largest worker ru_maxrss: {children:.0f} MiB")


def sweep_module_available() -> bool:
    return importlib.util.find_spec("trimtab.backtest.sweep") is not None


class _Budget(Exception):
    """Raised from ``on_result`` to stop the sweep once the time budget is spent."""


def measured_sweep(prices: Path, budget: float) -> bool:
    """A real sweep through ``trimtab.backtest.sweep.run_sweep`` on 2 processes, stopped after ``budget``
    seconds, then extrapolated to the 1,000 configs. False (and a line saying why) if the API does not fit."""
    try:
        from trimtab.backtest.sweep import run_sweep
        from trimtab.backtest.sweep_grid import SweepPoint
        from trimtab.config import Strategy
    except ImportError as error:
        print(f"trimtab.backtest.sweep is there but not usable here ({error}); falling back to the estimate")
        return False
    grid = sweep_grid()
    random.Random(0).shuffle(grid)  # so the configs that fit in the budget are a random sample
    points = [
        SweepPoint(Strategy.HYBRID, "static", Decimal(fee), Decimal(threshold), Decimal(hours))
        for threshold, hours, fee in grid
    ]
    stamps: list[float] = []

    def on_result(_: object) -> None:
        stamps.append(time.perf_counter() - began)
        if stamps[-1] >= budget:
            raise _Budget

    began = time.perf_counter()
    try:
        run_sweep(
            workload_config(),
            points,
            prices=prices,
            start=START,
            end=END,
            initial=INITIAL,
            workers=SAMPLE_PROCESSES,
            on_result=on_result,
        )
        finished = True
    except _Budget:
        finished = False
    except TypeError as error:  # the API changed under this bench
        print(
            f"trimtab.backtest.sweep.run_sweep did not take this bench's call ({error}); estimating instead"
        )
        return False
    total = time.perf_counter() - began
    done = len(stamps)
    if finished or done < 2:
        extrapolated = total / max(done, 1) * len(grid)
    else:  # the fixed start-up once, then the steady rate between the first and the last result
        rate = (stamps[-1] - stamps[0]) / (done - 1)
        extrapolated = stamps[-1] + (len(grid) - done) * rate
    print(
        f"sweep (measured)    : run_sweep on {SAMPLE_PROCESSES} processes: {done} of {len(grid)} hybrid configs "
        f"(random order, seed 0) in {stamps[-1] if stamps else total:.1f} s, first result after "
        f"{stamps[0] if stamps else total:.1f} s; run_sweep runs each config's buy-and-hold benchmark too"
    )
    verdict = "meets" if extrapolated < TARGET_SWEEP_SECONDS else "MISSES"
    label = "measured" if finished else "EXTRAPOLATED from the measured part"
    print(
        f"1,000-config sweep  : ~{extrapolated:.0f} s {label}   target < {TARGET_SWEEP_SECONDS:.0f} s on "
        f"{TARGET_SWEEP_CORES} cores -> {verdict} it ({extrapolated / TARGET_SWEEP_SECONDS:.1f}x the target)"
    )
    return True


# -- main -----------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prices", type=Path, help=f"hourly wide CSV (default {DEFAULT_PRICES})")
    parser.add_argument("--repeats", type=int, default=5, help="timed backtest runs (median printed)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweep figures")
    parser.add_argument(
        "--estimate-sweep",
        action="store_true",
        help="estimate from a 20-config sample even when trimtab.backtest.sweep exists",
    )
    args = parser.parse_args(argv)

    path, where = resolve_prices(args.prices)
    print(where)
    frame, load_seconds = load_workload(path)
    config = workload_config()
    print(
        f"workload            : {len(frame.assets)} assets x {len(frame.times):,} hourly bars "
        f"({frame.times[0]} .. {frame.times[-1]} closes); hybrid 5 points / 24 h, fee 0.1 %, 10 % each"
    )
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows every figure)"
    )
    print(f"load + select       : {load_seconds * 1000:.0f} ms")

    median, times, run = timed(lambda: backtest(frame, config), args.repeats)
    verdict = "meets" if median * 1000 <= TARGET_BACKTEST_MS else "MISSES"
    print(
        f"one backtest        : {median * 1000:.1f} ms median of {len(times)} "
        f"({', '.join(f'{t * 1000:.1f}' for t in times)})   target {TARGET_BACKTEST_MS:.0f} ms -> {verdict} it "
        f"({median * 1000 / TARGET_BACKTEST_MS:.1f}x the target)"
    )
    print(
        f"rebalances          : {len(run.rebalance_bars) - 1} (after the initial purchase), "
        f"{len(run.trades)} fills, fees {run.fees_value:,.2f}"
    )
    print(f"final value         : {run.equity[-1]:,.2f} USDT from {INITIAL:,} USDT")

    tracemalloc.start()
    backtest(frame, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"peak memory         : {peak / 2**20:.1f} MiB traced during one backtest; process ru_maxrss {rss:.0f} MiB"
    )

    if args.no_sweep:
        return
    if args.estimate_sweep:
        print("sweep: --estimate-sweep given, so the sweep figure is an estimate")
    elif sweep_module_available():
        print(
            f"trimtab.backtest.sweep exists: a real sweep, stopped after {MEASURED_SWEEP_BUDGET_SECONDS:.0f} s"
        )
        if measured_sweep(path, MEASURED_SWEEP_BUDGET_SECONDS):
            return
    else:
        print("trimtab.backtest.sweep: not there yet, so the sweep figure is an estimate")
    estimate_sweep(frame)


if __name__ == "__main__":
    main()

"""A parameter sweep: many strategies of one portfolio backtested over one history, in parallel, ranked.

The grid (:class:`SweepGrid`) is, for each weight method and each fee rate:

- ``threshold`` for each threshold (percentage points, checked at every bar);
- ``hybrid`` for each threshold x check interval (hours);
- ``calendar`` for each calendar interval (daily; weekly on Monday; monthly and quarterly on the 1st;
  at 00:00 UTC, the close of a daily bar).

Weight methods: ``static`` is the config's target weights; ``inverse_volatility`` is the config's own
dynamic weights, or, for a config with target weights, its assets with a 30-day look-back and the
quote's target weight as the cash weight. Everything else in the config (min_trade_usd, risk, the
rebalance window, unlisted assets) applies to every run unchanged; the swept keys (strategy,
threshold_percent, relative_threshold_percent, check_interval_hours, schedule) are replaced.

Each run is one ``trimtab backtest`` of a variant config: the live policy, planner and executor replayed
by :mod:`trimtab.backtest.engine`, with buy-and-hold of the same weights and fee rate as its benchmark.
Inverse volatility needs ``lookback_days`` of daily closes before the first bar; like ``backtest``, it reads them from the price
file before ``start`` (the runs still start at ``start``), so the start must leave room for them.

For a script (e.g. the README's)::

    from trimtab.backtest.sweep import run_sweep
    from trimtab.backtest.sweep_grid import SweepGrid
    sweep = run_sweep(Path("trimtab.yaml"), SweepGrid(thresholds=(Decimal(5),)), start=date(2021, 1, 1))
    best = sweep.runs[0]
    print(best.label, best.point.fee_rate, best.strategy.final_value, best.premium)

Runs go to a :class:`~concurrent.futures.ProcessPoolExecutor` (``workers`` processes, default all cores;
``workers=1`` runs them one after another in this process). A worker receives plain picklable inputs (the
variant config as a mapping, the price file's path, dates and settings) and loads the price file itself,
once per process; the runs of one process share each buy-and-hold benchmark (one per weight method and
fee rate, see :class:`~trimtab.backtest.study.StudyCache`).

With a ``scheduler`` the same jobs go to a Dask cluster instead (:mod:`trimtab.backtest.sweep_dask`):
the same function runs each one, on the price frame scattered to the workers once, and the results
are collected and ranked exactly as here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.metrics import Metrics
from trimtab.backtest.study import StudyCache, default_start, run_study, study_assets
from trimtab.backtest.sweep_grid import (
    SweepGrid,
    SweepPoint,
    sweep_points,
    variant_mapping,
)
from trimtab.config import Config, config_from_mapping, load_config
from trimtab.config.strategy import build_weights
from trimtab.errors import TrimtabError, Wording

if TYPE_CHECKING:  # Dask is imported only by a sweep on a cluster
    from trimtab.backtest.sweep_dask import ClusterInfo, Scheduler


@dataclass(frozen=True)
class SweepRun:
    """The result of one configuration: its strategy, its buy-and-hold benchmark and the premium."""

    point: SweepPoint
    strategy: Metrics
    buy_and_hold: Metrics
    premium: float  # annualised log growth, strategy minus buy-and-hold

    @property
    def label(self) -> str:
        return self.point.label


@dataclass(frozen=True)
class Sweep:
    """Every run, best final value first, and the period they share.

    ``buy_and_hold`` is the config's own portfolio (its target weights, or its dynamic weights at the
    start) bought at the first close and held, at the config's ``exchange.fee_rate``.
    """

    runs: tuple[SweepRun, ...]
    buy_and_hold: Metrics
    buy_and_hold_fee_rate: Decimal
    assets: tuple[str, ...]
    start: str  # first bar close, ISO UTC
    end: str
    bars: int
    bar: str
    notes: tuple[Wording, ...] = field(default_factory=tuple)  # warnings a reader should see
    cluster: ClusterInfo | None = None  # the Dask cluster that ran it; None: local processes


class SweepFailed(TrimtabError):
    """One run of the sweep failed at run time (bad input is found before any run starts)."""

    def __init__(self, message: str | Wording, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- the grid ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepJob:
    """One backtest of the grid as plain, picklable inputs: what a worker process or a Dask task receives."""

    index: int
    point: SweepPoint
    config: dict[str, Any]
    source: str
    prices: str | None
    start: date | None
    end: date | None
    initial: Decimal
    market_rules: bool


@dataclass(frozen=True)
class RunFailure:
    """A worker's exception, carried back as its wording (trimtab's errors do not survive pickling)."""

    index: int
    message: Wording
    exit_code: int


@lru_cache(maxsize=4)
def _frame(prices: str | None) -> PriceFrame:
    """The price file, parsed once per process."""
    return load_price_frame(None if prices is None else Path(prices))


@lru_cache(maxsize=4)
def _studies(prices: str | None) -> StudyCache:
    """What the runs on one price file share (buy-and-hold per weights and fee rate), once per process."""
    return StudyCache(_frame(prices))


def run_job(job: SweepJob, cache: StudyCache | None = None) -> tuple[int, SweepRun | RunFailure]:
    """The worker: load what it needs from plain inputs, run one backtest and its benchmark.

    ``cache`` holds the frame to run on: a Dask worker's, around the frame scattered to it
    (:mod:`trimtab.backtest.sweep_dask`); without it, this process's, from the price file."""
    try:
        config = config_from_mapping(job.config, job.source)
        settings = BacktestSettings(
            initial=job.initial,
            fee_rate=job.point.fee_rate,
            market_rules=job.market_rules,
            quote=config.quote,
        )
        if cache is None:
            cache = _studies(job.prices)
        study = run_study(
            config,
            cache.frame,
            source=job.source,
            start=job.start,
            end=job.end,
            settings=settings,
            cache=cache,
        )
        run = SweepRun(
            point=job.point,
            strategy=study.strategy_metrics,
            buy_and_hold=study.hold_metrics,
            premium=study.premium,
        )
        return job.index, run
    except Exception as error:  # carried to the parent, which raises it as one line
        code = error.exit_code if isinstance(error, TrimtabError) else 1
        text = (
            (error.wording or Wording((str(error),)))
            if isinstance(error, TrimtabError)
            else Wording((f"unexpected {type(error).__name__}: {error}",))
        )
        return job.index, RunFailure(job.index, text, code)


# -- the sweep ----------------------------------------------------------------------------------------


def default_workers() -> int:
    """The cores this process may use."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def run_sweep(
    config: Config | Path,
    grid: SweepGrid | Sequence[SweepPoint] | None = None,
    *,
    prices: Path | None = None,
    start: date | None = None,
    end: date | None = None,
    initial: Decimal = Decimal(10000),
    market_rules: bool = False,
    workers: int | None = None,
    source: str | None = None,
    on_result: Callable[[SweepRun], None] | None = None,
    scheduler: Scheduler | None = None,
    on_cluster: Callable[[ClusterInfo], None] | None = None,
) -> Sweep:
    """Backtest every configuration of ``grid`` on ``config``'s portfolio; see the module docstring.

    ``grid`` defaults to :class:`SweepGrid`'s. ``on_result`` is called with each run as it completes
    (in completion order). Bad input (the config, the grid, the price file, the period, too little
    look-back) is a ConfigError before any run starts; a run failing after that is :class:`SweepFailed`.

    ``scheduler`` (:func:`trimtab.backtest.sweep_dask.parse_scheduler`) runs the backtests on a Dask
    cluster instead of local processes (``workers`` is then unused), with the same results;
    ``on_cluster`` is told where, once connected (for the dashboard's address).
    """
    if isinstance(config, Path):
        source = source or str(config)
        config = load_config(config)
    source = source or "config"
    if grid is None or isinstance(grid, SweepGrid):
        points = sweep_points(config, grid or SweepGrid(), source=source)
    else:
        points = list(grid)
    frame = _frame(None if prices is None else str(prices))
    mappings = [variant_mapping(config, point) for point in points]
    # Each variant is checked here, before any run; the longest look-back among them sets the default
    # start, so that every run covers one period.
    lookback = max((build_weights(config_from_mapping(m, source)).lookback_days for m in mappings), default=0)
    if start is None:
        start = default_start(frame, study_assets(config), lookback)
    jobs = []
    for index, (point, mapping) in enumerate(zip(points, mappings, strict=True)):
        jobs.append(SweepJob(index, point, mapping, source, None if prices is None else str(prices),
                         start, end, initial, market_rules))  # fmt: skip
    fee = config.exchange.fee_rate
    settings = BacktestSettings(initial=initial, fee_rate=fee, market_rules=market_rules, quote=config.quote)
    # The config as it is: its buy-and-hold is the benchmark line (and a bad period fails here, once).
    own = run_study(config, frame, source=source, start=start, end=end, settings=settings)
    collect = ResultCollector(jobs, on_result)
    cluster = None
    if scheduler is None:
        _execute(jobs, workers or default_workers(), collect)
    else:  # Dask is imported only by a sweep that uses it
        from trimtab.backtest.sweep_dask import execute_on_cluster

        cluster = execute_on_cluster(jobs, frame, scheduler, collect, on_cluster=on_cluster)
    results = collect.results
    ranked = sorted(results, key=lambda pair: (-pair[1].strategy.final_value, pair[0]))
    selected = frame.select(study_assets(config), start, end)
    return Sweep(
        runs=tuple(run for _, run in ranked),
        buy_and_hold=own.hold_metrics,
        buy_and_hold_fee_rate=fee,
        assets=own.hold.assets,
        start=str(selected.times[0].astype("datetime64[s]")) + "Z",
        end=str(selected.times[-1].astype("datetime64[s]")) + "Z",
        bars=len(selected.times),
        bar=selected.bar,
        notes=own.warnings,
        cluster=cluster,
    )


class ResultCollector:
    """Takes each outcome as it completes, on whichever executor: keeps the run and reports it to
    ``on_result``, or raises a failed run's error (the caller then cancels the runs still to come)."""

    def __init__(self, jobs: Sequence[SweepJob], on_result: Callable[[SweepRun], None] | None) -> None:
        self.jobs = jobs
        self.on_result = on_result
        self.results: list[tuple[int, SweepRun]] = []

    def __call__(self, index: int, outcome: SweepRun | RunFailure) -> None:
        if isinstance(outcome, RunFailure):
            label = self.jobs[index].point.label
            fee = f"{float(self.jobs[index].point.fee_rate):.2%}"
            raise SweepFailed(
                Wording.of(f"sweep run {label} at fee {fee} failed: ", outcome.message), outcome.exit_code
            )
        self.results.append((index, outcome))
        if self.on_result is not None:
            self.on_result(outcome)


def _execute(jobs: list[SweepJob], workers: int, collect: ResultCollector) -> None:
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for job in jobs:
            collect(*run_job(job))
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        futures: list[Future[tuple[int, SweepRun | RunFailure]]] = [pool.submit(run_job, job) for job in jobs]
        try:
            for future in as_completed(futures):
                collect(*future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _context() -> multiprocessing.context.BaseContext:
    """fork on Linux: workers start at once with everything imported and the price file parsed, and a
    script calling :func:`run_sweep` needs no ``if __name__ == "__main__"`` guard. The caller should run
    no threads meanwhile (the CLI's progress bar refreshes on each result, not from a thread). Elsewhere
    spawn, the platform's default (fork is unsafe on macOS), which does need that guard."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")

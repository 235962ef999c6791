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

    from trimtab.backtest.sweep import SweepGrid, run_sweep
    sweep = run_sweep(Path("trimtab.yaml"), SweepGrid(thresholds=(Decimal(5),)), start=date(2021, 1, 1))
    best = sweep.runs[0]
    print(best.label, best.point.fee_rate, best.strategy.final_value, best.premium)

Runs go to a :class:`~concurrent.futures.ProcessPoolExecutor` (``workers`` processes, default all cores;
``workers=1`` runs them one after another in this process). A worker receives plain picklable inputs (the
variant config as a mapping, the price file's path, dates and settings) and loads the price file itself,
once per process; the runs of one process share each buy-and-hold benchmark (one per weight method and
fee rate, see :class:`~trimtab.backtest.study.StudyCache`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.metrics import Metrics
from trimtab.backtest.study import StudyCache, run_study, study_assets, window_warnings
from trimtab.config import Config, Strategy, config_from_mapping, load_config
from trimtab.errors import ConfigError, TrimtabError
from trimtab.money import fmt
from trimtab.policy import Interval

STATIC = "static"
INVERSE_VOLATILITY = "inverse_volatility"
WEIGHT_METHODS = (STATIC, INVERSE_VOLATILITY)
INVERSE_VOLATILITY_LOOKBACK = 30  # days, for a config with target weights
MAX_FEE_RATE = Decimal("0.1")  # the config's exchange.fee_rate limit

# The rebalancing keys a sweep sets itself; the config's other rebalancing keys apply to every run.
_SWEPT_KEYS = (
    "strategy",
    "threshold_percent",
    "relative_threshold_percent",
    "check_interval_hours",
    "schedule",
)
_CALENDAR_DAY: dict[Interval, str | int | None] = {
    Interval.DAILY: None,
    Interval.WEEKLY: "monday",
    Interval.MONTHLY: 1,
    Interval.QUARTERLY: 1,
}


@dataclass(frozen=True)
class SweepGrid:
    """The parameters to combine; an empty tuple leaves that family out.

    ``weights=None`` means both methods when the config has target weights, else inverse volatility.
    """

    thresholds: tuple[Decimal, ...] = (Decimal(2), Decimal(5), Decimal(10), Decimal(15))
    intervals: tuple[Decimal, ...] = (Decimal(24), Decimal(168))
    calendars: tuple[Interval, ...] = tuple(Interval)
    weights: tuple[str, ...] | None = None
    fee_rates: tuple[Decimal, ...] = (Decimal(0), Decimal("0.001"), Decimal("0.0025"))


@dataclass(frozen=True)
class SweepPoint:
    """One configuration of the grid."""

    strategy: Strategy
    weights: str
    fee_rate: Decimal
    threshold: Decimal | None = None  # threshold and hybrid
    interval_hours: Decimal | None = None  # hybrid
    calendar: Interval | None = None  # calendar

    @property
    def label(self) -> str:
        """``threshold 5pt``, ``hybrid 5pt/24h``, ``calendar monthly``; ``, inverse vol`` for dynamic weights."""
        if self.strategy is Strategy.THRESHOLD:
            text = f"threshold {fmt(self.threshold or Decimal(0))}pt"
        elif self.strategy is Strategy.HYBRID:
            text = f"hybrid {fmt(self.threshold or Decimal(0))}pt/{fmt(self.interval_hours or Decimal(0))}h"
        else:
            text = f"calendar {self.calendar}"
        return text if self.weights == STATIC else f"{text}, inverse vol"

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy.value,
            "threshold_percent": None if self.threshold is None else float(self.threshold),
            "check_interval_hours": None if self.interval_hours is None else float(self.interval_hours),
            "calendar": None if self.calendar is None else self.calendar.value,
            "weights": self.weights,
            "fee_rate": float(self.fee_rate),
        }


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
    notes: tuple[str, ...] = field(default_factory=tuple)  # warnings a reader should see


class SweepFailed(TrimtabError):
    """One run of the sweep failed at run time (bad input is found before any run starts)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- the grid ---------------------------------------------------------------------------------------


def parse_grid(
    *,
    thresholds: str,
    intervals: str,
    calendars: str,
    weights: str | None,
    fee_rates: str,
) -> SweepGrid:
    """A grid from the command line's comma-separated flags; an empty flag leaves that family out."""
    return SweepGrid(
        thresholds=_numbers("--thresholds", thresholds, "percentage points > 0 and <= 100",
                            lambda v: 0 < v <= 100),
        intervals=_numbers("--intervals", intervals, "hours > 0", lambda v: v > 0),
        calendars=tuple(Interval(c) for c in _choices("--calendars", calendars, [i.value for i in Interval])),
        weights=None if weights is None else tuple(_choices("--weights", weights, list(WEIGHT_METHODS))),
        fee_rates=_numbers("--fee-rates", fee_rates, f"fractions >= 0 and < {MAX_FEE_RATE}",
                           lambda v: 0 <= v < MAX_FEE_RATE),
    )  # fmt: skip


def _items(text: str) -> list[str]:
    items = [part.strip() for part in text.split(",")]
    return list(dict.fromkeys(item for item in items if item))  # in order, each once


def _numbers(flag: str, text: str, expected: str, valid: Callable[[Decimal], bool]) -> tuple[Decimal, ...]:
    values: list[Decimal] = []
    for item in _items(text):
        try:
            value = Decimal(item)
        except InvalidOperation:
            raise ConfigError(
                "command line", flag, f"expected comma-separated numbers, got {item!r}"
            ) from None
        if not value.is_finite() or not valid(value):
            raise ConfigError("command line", flag, f"expected {expected}, got {item}")
        if value not in values:
            values.append(value)
    return tuple(values)


def _choices(flag: str, text: str, choices: list[str]) -> list[str]:
    chosen = [item.lower() for item in _items(text)]
    for item in chosen:
        if item not in choices:
            raise ConfigError("command line", flag, f"expected some of {', '.join(choices)}, got {item!r}")
    return list(dict.fromkeys(chosen))


def sweep_points(config: Config, grid: SweepGrid, *, source: str = "command line") -> list[SweepPoint]:
    """Every configuration of ``grid`` for ``config``, in a fixed order (the tie-break of the ranking)."""
    static = config.portfolio.target_weights is not None
    methods = (
        grid.weights if grid.weights is not None else (WEIGHT_METHODS if static else (INVERSE_VOLATILITY,))
    )
    if STATIC in methods and not static:
        raise ConfigError(
            source,
            "--weights",
            "static needs portfolio.target_weights in the config; this one has dynamic_weights",
        )
    strategies: list[tuple[Strategy, Decimal | None, Decimal | None, Interval | None]] = []
    strategies += [(Strategy.THRESHOLD, t, None, None) for t in grid.thresholds]
    strategies += [(Strategy.HYBRID, t, i, None) for t in grid.thresholds for i in grid.intervals]
    strategies += [(Strategy.CALENDAR, None, None, c) for c in grid.calendars]
    points = [
        SweepPoint(kind, method, fee, threshold, interval, calendar)
        for method in methods
        for kind, threshold, interval, calendar in strategies
        for fee in grid.fee_rates
    ]
    if not points:
        raise ConfigError(
            source,
            "",
            "the grid is empty: give at least one threshold or calendar, weight method and fee rate",
        )
    return points


def variant_mapping(config: Config, point: SweepPoint) -> dict[str, Any]:
    """The config of one grid point as a plain (picklable) mapping; validate it with config_from_mapping."""
    data = config.model_dump(mode="python", exclude_unset=True)
    rebalancing = {k: v for k, v in data.get("rebalancing", {}).items() if k not in _SWEPT_KEYS}
    rebalancing["strategy"] = point.strategy.value
    if point.threshold is not None:
        rebalancing["threshold_percent"] = point.threshold
    if point.interval_hours is not None:
        rebalancing["check_interval_hours"] = point.interval_hours
    if point.calendar is not None:
        schedule: dict[str, Any] = {"interval": point.calendar.value}
        if _CALENDAR_DAY[point.calendar] is not None:
            schedule["day"] = _CALENDAR_DAY[point.calendar]
        rebalancing["schedule"] = schedule
    data["rebalancing"] = rebalancing
    targets = config.portfolio.target_weights
    if point.weights == INVERSE_VOLATILITY and targets is not None:
        portfolio = {k: v for k, v in data["portfolio"].items() if k != "target_weights"}
        cash = targets.get(config.quote, Decimal(0))
        portfolio["dynamic_weights"] = {
            "method": INVERSE_VOLATILITY,
            "assets": [a for a in targets if a != config.quote],
            "lookback_days": INVERSE_VOLATILITY_LOOKBACK,
            "cash_weight": cash,
        }
        data["portfolio"] = portfolio
    return data


# -- one run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
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
class _Failure:
    """A worker's exception, carried back as text (trimtab's errors do not survive pickling)."""

    index: int
    message: str
    exit_code: int


@lru_cache(maxsize=4)
def _frame(prices: str | None) -> PriceFrame:
    """The price file, parsed once per process."""
    return load_price_frame(None if prices is None else Path(prices))


@lru_cache(maxsize=4)
def _studies(prices: str | None) -> StudyCache:
    """What the runs on one price file share (buy-and-hold per weights and fee rate), once per process."""
    return StudyCache(_frame(prices))


def _run_job(job: _Job) -> tuple[int, SweepRun | _Failure]:
    """The worker: load what it needs from plain inputs, run one backtest and its benchmark."""
    try:
        config = config_from_mapping(job.config, job.source)
        settings = BacktestSettings(
            initial=job.initial,
            fee_rate=job.point.fee_rate,
            market_rules=job.market_rules,
            quote=config.quote,
        )
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
            str(error) if isinstance(error, TrimtabError) else f"unexpected {type(error).__name__}: {error}"
        )
        return job.index, _Failure(job.index, text, code)


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
) -> Sweep:
    """Backtest every configuration of ``grid`` on ``config``'s portfolio; see the module docstring.

    ``grid`` defaults to :class:`SweepGrid`'s. ``on_result`` is called with each run as it completes
    (in completion order). Bad input (the config, the grid, the price file, the period, too little
    look-back) is a ConfigError before any run starts; a run failing after that is :class:`SweepFailed`.
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
    jobs = []
    for index, point in enumerate(points):
        mapping = variant_mapping(config, point)
        config_from_mapping(mapping, source)
        jobs.append(_Job(index, point, mapping, source, None if prices is None else str(prices),
                         start, end, initial, market_rules))  # fmt: skip
    fee = config.exchange.fee_rate
    settings = BacktestSettings(initial=initial, fee_rate=fee, market_rules=market_rules, quote=config.quote)
    # The config as it is: its buy-and-hold is the benchmark line (and a bad period fails here, once).
    own = run_study(config, frame, source=source, start=start, end=end, settings=settings)
    results = _execute(jobs, workers or default_workers(), on_result)
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
        notes=tuple(window_warnings(config, selected)),
    )


def _execute(
    jobs: list[_Job], workers: int, on_result: Callable[[SweepRun], None] | None
) -> list[tuple[int, SweepRun]]:
    results: list[tuple[int, SweepRun]] = []

    def collect(index: int, outcome: SweepRun | _Failure) -> None:
        if isinstance(outcome, _Failure):
            label = jobs[index].point.label
            fee = f"{float(jobs[index].point.fee_rate):.2%}"
            raise SweepFailed(f"sweep run {label} at fee {fee} failed: {outcome.message}", outcome.exit_code)
        results.append((index, outcome))
        if on_result is not None:
            on_result(outcome)

    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for job in jobs:
            collect(*_run_job(job))
        return results
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        futures: list[Future[tuple[int, SweepRun | _Failure]]] = [pool.submit(_run_job, job) for job in jobs]
        try:
            for future in as_completed(futures):
                collect(*future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return results


def _context() -> multiprocessing.context.BaseContext:
    """fork on Linux: workers start at once with everything imported and the price file parsed, and a
    script calling :func:`run_sweep` needs no ``if __name__ == "__main__"`` guard. The caller should run
    no threads meanwhile (the CLI's progress bar refreshes on each result, not from a thread). Elsewhere
    spawn, the platform's default (fork is unsafe on macOS), which does need that guard."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")

"""One backtest study: a config's strategy and buy-and-hold over the same history, with metrics.

This is what ``trimtab backtest`` runs; the CLI only parses flags and prints.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np

from trimtab.backtest.bar_window import policy_on_bars
from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import (
    BacktestRun,
    BacktestSettings,
    SellDeferral,
    buy_and_hold,
    run_backtest,
)
from trimtab.backtest.metrics import Metrics, compute_metrics, rebalancing_premium, theoretical_premium
from trimtab.config.models import Config
from trimtab.config.strategy import build_policy, build_weights, planner_settings
from trimtab.errors import ConfigError, NotEnoughHistory, ParameterError, Wording
from trimtab.planning.options import RebalanceTo, Sells

_MAX_GAP_DAYS = 8  # longer than the longest gap a price file may have

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Study:
    """A strategy against buy-and-hold on one price frame."""

    frame: PriceFrame
    strategy: BacktestRun
    hold: BacktestRun
    strategy_metrics: Metrics
    hold_metrics: Metrics
    premium: float  # annualised log growth, strategy minus buy-and-hold
    theoretical_premium: float  # ½(Σwσ² − σp²) of the same data at the initial targets
    warnings: tuple[Wording, ...] = ()  # what a reader should know: a start or end moved to the data's edge


def study_assets(config: Config) -> list[str]:
    """The non-cash assets a config trades."""
    portfolio = config.portfolio
    names = (
        portfolio.target_weights or {}
        if portfolio.dynamic_weights is None
        else portfolio.dynamic_weights.assets
    )
    return [a for a in names if a != config.quote]


class StudyCache:
    """What studies of one price frame share when only their rebalancing policy differs: the selected
    period, buy-and-hold with its metrics, and the theoretical premium. A sweep runs hundreds of studies
    of one portfolio; with a cache each finds here exactly what it would otherwise compute again (the
    keys hold everything those results depend on). Each kind keeps its ``size`` newest entries (a
    buy-and-hold run of 5 years of hourly bars takes ~4 MiB).
    """

    def __init__(self, frame: PriceFrame, size: int = 16) -> None:
        self.frame = frame
        self.size = size
        self.selected: dict[tuple[object, ...], PriceFrame] = {}
        self.holds: dict[tuple[object, ...], tuple[BacktestRun, Metrics]] = {}
        self.theory: dict[tuple[object, ...], float] = {}

    def keep(self, entries: MutableMapping[K, V], key: K, value: V) -> V:
        """Store ``value`` under ``key`` in ``entries``, dropping the oldest entry beyond ``size``."""
        entries[key] = value
        if len(entries) > self.size:
            del entries[next(iter(entries))]
        return value


def run_study(
    config: Config,
    frame: PriceFrame,
    *,
    source: str,
    start: date | None = None,
    end: date | None = None,
    settings: BacktestSettings | None = None,
    cache: StudyCache | None = None,
    deferral: SellDeferral | None = None,
) -> Study:
    """Backtest ``config`` and buy-and-hold on ``frame`` cut to ``[start, end]``.

    ``cache`` (for ``frame``) lets many studies of one portfolio share their buy-and-hold runs.
    ``deferral`` makes the strategy tax-aware (see :func:`~trimtab.backtest.engine.run_backtest`).
    """
    settings = settings or BacktestSettings(quote=config.quote)
    if cache is not None and cache.frame is not frame:
        raise ValueError("the study cache belongs to another price frame")
    assets = study_assets(config)
    if start is None:
        start = default_start(frame, assets, build_weights(config).lookback_days)
    selection = (tuple(assets), start, end)
    selected = cache.selected.get(selection) if cache is not None else None
    if selected is None:
        selected = frame.select(assets, start, end)
        if cache is not None:
            cache.keep(cache.selected, selection, selected)
    if len(selected.times) < 2:
        raise ParameterError("period", "the period holds fewer than two bars", source=source)
    policy, weights, planner = build_policy(config), build_weights(config), planner_settings(config)
    policy = policy_on_bars(policy, selected, source)  # a window no bar close is in stops here
    # Dynamic weights may look back before the start, into the rest of the file.
    try:
        strategy = run_backtest(
            selected,
            policy=policy,
            weights=weights,
            planner=planner,
            settings=settings,
            history=frame,
            deferral=deferral,
        )
    except NotEnoughHistory as error:
        raise ParameterError("start", f"{error} before the start; start later", source=source) from None
    per_year = selected.bars_per_year
    # Buy-and-hold depends on the period, the weights, the planner and the settings, not the policy. Its
    # one purchase, from cash, sells nothing: under rebalance_to target with sells allowed, the band
    # (the policy's threshold) changes nothing in it, so it is left out of the key.
    plain = planner.rebalance_to is RebalanceTo.TARGET and planner.sells is Sells.ALLOWED
    hold_key = (
        *selection,
        repr(weights),
        replace(planner, band_percent=None) if plain else planner,
        settings,
    )
    known = cache.holds.get(hold_key) if cache is not None else None
    if known is None:
        hold = buy_and_hold(selected, weights=weights, planner=planner, settings=settings, history=frame)
        known = (hold, _metrics(hold, per_year))
        if cache is not None:
            cache.keep(cache.holds, hold_key, known)
    hold, hold_metrics = known
    initial_weights = strategy.weights[0]
    theory_key = (*selection, strategy.assets, initial_weights.tobytes())
    theory = cache.theory.get(theory_key) if cache is not None else None
    if theory is None:
        with_cash = np.column_stack(
            [
                selected.closes[:, [selected.assets.index(a) for a in strategy.assets[:-1]]],
                np.ones(len(selected.times)),
            ]
        )
        theory = theoretical_premium(with_cash, initial_weights, per_year)
        if cache is not None:
            cache.keep(cache.theory, theory_key, theory)
    return Study(
        frame=selected,
        strategy=strategy,
        hold=hold,
        strategy_metrics=_metrics(strategy, per_year),
        hold_metrics=hold_metrics,
        premium=rebalancing_premium(strategy.equity, hold.equity, per_year),
        theoretical_premium=theory,
        warnings=tuple(frame.clamped(start, end)),
    )


def study_price_file(
    config: Config,
    prices: Path | None,
    *,
    source: str,
    start: date | None,
    end: date | None,
    settings: BacktestSettings,
    deferral: SellDeferral | None = None,
) -> Study:
    """:func:`run_study` on the price file ``prices`` (None: the bundled daily closes), as ``trimtab
    backtest`` runs it: reading only the columns of the config's assets and the rows the period needs
    (:func:`rows_needed`). A period those rows cannot answer (an asset listed after the end, say) is
    studied again on the whole file, so every message is the one the whole file gives.
    """
    assets = study_assets(config)
    rows = rows_needed(config, start, end)

    def study(frame: PriceFrame) -> Study:
        return run_study(
            config, frame, source=source, start=start, end=end, settings=settings, deferral=deferral
        )

    try:
        return study(load_price_frame(prices, only=assets, rows=rows))
    except ConfigError:
        if prices is None or rows == (None, None):
            raise
    return study(load_price_frame(prices, only=assets))


def rows_needed(config: Config, start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """The first and last dates of the price rows a study of ``[start, end]`` reads (None: no bound).

    Before the start: the dynamic weights' look-back of daily closes, and a margin longer than any gap
    a price file may have (7 days), so each asset's last price before the start is among them; after the
    end: the bar that closes on the end date and a day to spare.
    """
    margin = timedelta(days=build_weights(config).lookback_days + 1 + _MAX_GAP_DAYS)
    return (
        None if start is None else start - margin,
        None if end is None else end + timedelta(days=2),
    )


def default_start(frame: PriceFrame, assets: list[str], lookback_days: int) -> date | None:
    """The first date a run without ``--start`` can start on: None (the first bar at which every asset has
    a price) without a look-back, else that bar's date plus the look-back's days of closes (dynamic
    weights need ``lookback_days + 1`` daily closes at the first bar)."""
    if not lookback_days:
        return None
    first = frame.select(assets).times[0].astype("datetime64[D]").item()
    assert isinstance(first, date)
    # an hourly frame's daily closes are those at midnight: the first may come a day after the listing
    return first + timedelta(days=lookback_days + (1 if frame.bar == "1h" else 0))


def _metrics(run: BacktestRun, per_year: float) -> Metrics:
    return compute_metrics(
        run.equity,
        per_year,
        traded_value=run.traded_value,
        fees=run.fees_value,
        rebalances=len(run.rebalance_bars) - 1,  # the initial purchase is not a rebalance
    )

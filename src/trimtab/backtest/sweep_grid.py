"""The grid of a sweep: which configurations to run (:class:`SweepGrid`, :class:`SweepPoint`), the
command-line lists that describe it (:func:`parse_grid`), and each point's variant config
(:func:`variant_mapping`). The runs themselves are :mod:`trimtab.backtest.sweep`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trimtab.config import Config, Strategy
from trimtab.errors import ConfigError, ParameterError
from trimtab.model.money import fmt
from trimtab.planning.options import RebalanceTo
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
    ``rebalance_to=None`` keeps the config's own ``rebalancing.rebalance_to`` for every run; a tuple
    runs every other point once per value (``target``, ``band_edge``, ``halfway``) to compare them.
    """

    thresholds: tuple[Decimal, ...] = (Decimal(2), Decimal(5), Decimal(10), Decimal(15))
    intervals: tuple[Decimal, ...] = (Decimal(24), Decimal(168))
    calendars: tuple[Interval, ...] = tuple(Interval)
    weights: tuple[str, ...] | None = None
    fee_rates: tuple[Decimal, ...] = (Decimal(0), Decimal("0.001"), Decimal("0.0025"))
    rebalance_to: tuple[RebalanceTo, ...] | None = None


@dataclass(frozen=True)
class SweepPoint:
    """One configuration of the grid."""

    strategy: Strategy
    weights: str
    fee_rate: Decimal
    threshold: Decimal | None = None  # threshold and hybrid
    interval_hours: Decimal | None = None  # hybrid
    calendar: Interval | None = None  # calendar
    rebalance_to: RebalanceTo | None = None  # None: the config's own

    @property
    def label(self) -> str:
        """``threshold 5pt``, ``hybrid 5pt/24h``, ``calendar monthly``; ``, inverse vol`` for dynamic weights;
        ``, to band_edge`` when the grid sets ``rebalance_to``."""
        text = self._strategy_label()
        return text if self.rebalance_to is None else f"{text}, to {self.rebalance_to.value}"

    def _strategy_label(self) -> str:
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
            "threshold_percent": None if self.threshold is None else fmt(self.threshold),
            "check_interval_hours": None if self.interval_hours is None else fmt(self.interval_hours),
            "calendar": None if self.calendar is None else self.calendar.value,
            "weights": self.weights,
            "fee_rate": fmt(self.fee_rate),
            "rebalance_to": None if self.rebalance_to is None else self.rebalance_to.value,
        }


def parse_grid(
    *,
    thresholds: str,
    intervals: str,
    calendars: str,
    weights: str | None,
    fee_rates: str,
    rebalance_to: str | None = None,
) -> SweepGrid:
    """A grid from the command line's comma-separated flags; an empty flag leaves that family out."""
    return SweepGrid(
        thresholds=_numbers("thresholds", thresholds, "percentage points > 0 and <= 100",
                            lambda v: 0 < v <= 100),
        intervals=_numbers("intervals", intervals, "hours in [0.01, 8784] (like rebalancing.check_interval_hours)",
                           lambda v: Decimal("0.01") <= v <= 8784),
        calendars=tuple(Interval(c) for c in _choices("calendars", calendars, [i.value for i in Interval])),
        weights=None if weights is None else tuple(_choices("weights", weights, list(WEIGHT_METHODS))),
        fee_rates=_numbers("fee_rates", fee_rates, f"fractions >= 0 and < {MAX_FEE_RATE}",
                           lambda v: 0 <= v < MAX_FEE_RATE),
        rebalance_to=None if rebalance_to is None else tuple(
            RebalanceTo(r) for r in _choices("rebalance_to", rebalance_to, [r.value for r in RebalanceTo])
        ),
    )  # fmt: skip


def _items(text: str) -> list[str]:
    items = [part.strip() for part in text.split(",")]
    return list(dict.fromkeys(item for item in items if item))  # in order, each once


def _numbers(
    parameter: str, text: str, expected: str, valid: Callable[[Decimal], bool]
) -> tuple[Decimal, ...]:
    values: list[Decimal] = []
    for item in _items(text):
        try:
            value = Decimal(item)
        except InvalidOperation:
            raise ParameterError(parameter, f"expected comma-separated numbers, got {item[:40]!r}") from None
        if not value.is_finite() or not valid(value):
            raise ParameterError(parameter, f"expected {expected}, got {item[:40]}")
        if value not in values:
            values.append(value)
    return tuple(values)


def _choices(parameter: str, text: str, choices: list[str]) -> list[str]:
    chosen = [item.lower() for item in _items(text)]
    for item in chosen:
        if item not in choices:
            raise ParameterError(parameter, f"expected some of {', '.join(choices)}, got {item!r}")
    return list(dict.fromkeys(chosen))


def sweep_points(config: Config, grid: SweepGrid, *, source: str = "") -> list[SweepPoint]:
    """Every configuration of ``grid`` for ``config``, in a fixed order (the tie-break of the ranking)."""
    static = config.portfolio.target_weights is not None
    methods = (
        grid.weights if grid.weights is not None else (WEIGHT_METHODS if static else (INVERSE_VOLATILITY,))
    )
    if STATIC in methods and not static:
        raise ParameterError(
            "weights",
            "static needs portfolio.target_weights in the config; this one has dynamic_weights",
            source=source,
        )
    strategies: list[tuple[Strategy, Decimal | None, Decimal | None, Interval | None]] = []
    strategies += [(Strategy.THRESHOLD, t, None, None) for t in grid.thresholds]
    strategies += [(Strategy.HYBRID, t, i, None) for t in grid.thresholds for i in grid.intervals]
    strategies += [(Strategy.CALENDAR, None, None, c) for c in grid.calendars]
    destinations: tuple[RebalanceTo | None, ...] = (
        grid.rebalance_to if grid.rebalance_to is not None else (None,)
    )
    points = [
        SweepPoint(kind, method, fee, threshold, interval, calendar, to)
        for method in methods
        for kind, threshold, interval, calendar in strategies
        for fee in grid.fee_rates
        for to in destinations
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
    if point.rebalance_to is not None:
        rebalancing["rebalance_to"] = point.rebalance_to.value
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

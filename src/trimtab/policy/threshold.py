"""Threshold rebalancing: rebalance only when some asset has drifted far enough from its target.

>>> from datetime import UTC, datetime
>>> policy = ThresholdPolicy(Decimal(5))
>>> now = datetime(2026, 11, 23, tzinfo=UTC)
>>> policy.decide(now, {"SOL": Decimal("21.3")}, {"SOL": Decimal(15)}, None).reason
'threshold: SOL is 21.30% against a target of 15% (6.30 points off, band 5)'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trimtab.model.money import HUNDRED, ZERO, fmt
from trimtab.policy._time import require_decision_times, require_positive_interval, require_utc
from trimtab.policy.base import Decision

# (asset, current weight, target weight)
_Pair = tuple[str, Decimal, Decimal]


@dataclass(frozen=True)
class ThresholdPolicy:
    """Rebalance when an asset's weight is ``threshold_percent`` points or more away from its target.

    With ``relative_percent`` set, an asset also triggers when it is off by that share of its own
    target or more (25 means 25 % of the target: 5 points for a 20 % target, 0.5 for a 2 % target),
    so small positions are held to a tighter band. The relative band applies only to targets above 0.
    ``check_interval`` is how long the bot waits between two checks.
    """

    threshold_percent: Decimal
    relative_percent: Decimal | None = None
    check_interval: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        _require_positive_decimal(self.threshold_percent, "threshold_percent")
        if self.relative_percent is not None:
            _require_positive_decimal(self.relative_percent, "relative_percent")
        require_positive_interval(self.check_interval, "check_interval")

    def decide(
        self,
        now: datetime,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        last_rebalance: datetime | None,
    ) -> Decision:
        """Rebalance iff some asset breaks a band (see :meth:`check`); the times are only validated."""
        require_decision_times(now, last_rebalance)
        return self.check(weights, targets)

    def check(
        self, weights: Mapping[str, Decimal], targets: Mapping[str, Decimal], label: str = "threshold"
    ) -> Decision:
        """The decision for these weights alone, its reason prefixed with ``label``.

        The reason names the asset that broke a band by the most points (ties go to the first
        name in sort order), or, when every asset is inside, the largest drift.
        """
        # One pass, no intermediate collections: the backtester calls this at every bar.
        worst: tuple[str, Decimal] | None = None
        breach: _Pair | None = None
        breach_deviation = ZERO
        for asset, weight, target in _pairs(weights, targets):
            deviation = abs(weight - target)
            if worst is None or _outranks(asset, deviation, *worst):
                worst = asset, deviation
            if self._breaks(deviation, target) and (
                breach is None or _outranks(asset, deviation, breach[0], breach_deviation)
            ):
                breach, breach_deviation = (asset, weight, target), deviation
        if breach is not None:
            asset, weight, target = breach
            return Decision(
                True,
                f"{label}: {asset} is {_measured(weight)}% against a target of {_configured(target)}% "
                f"({_measured(breach_deviation)} points off, {self._broken_band(breach_deviation, target)})",
            )
        if worst is None:
            return Decision(False, f"{label}: no weights or targets to compare")
        asset, deviation = worst
        weight, target = weights.get(asset, ZERO), targets.get(asset, ZERO)
        return Decision(
            False,
            f"{label}: inside the band; largest drift is {asset} at {_measured(weight)}% against a target of "
            f"{_configured(target)}% ({_measured(deviation)} points off, {self._bands()})",
        )

    def next_check(self, now: datetime) -> datetime:
        """``now + check_interval``."""
        return require_utc(now, "now") + self.check_interval

    def _breaks(self, deviation: Decimal, target: Decimal) -> bool:
        if deviation >= self.threshold_percent:
            return True
        # deviation >= relative/100 * target, multiplied out so no division rounds the band.
        return (
            self.relative_percent is not None
            and target > 0
            and deviation * HUNDRED >= self.relative_percent * target
        )

    def _broken_band(self, deviation: Decimal, target: Decimal) -> str:
        if deviation >= self.threshold_percent or self.relative_percent is None:
            return f"band {_configured(self.threshold_percent)}"
        band = self.relative_percent * target / HUNDRED
        return f"relative band {_configured(self.relative_percent)}% of target = {_measured(band)} points"

    def _bands(self) -> str:
        if self.relative_percent is None:
            return f"band {_configured(self.threshold_percent)}"
        relative = _configured(self.relative_percent)
        return f"band {_configured(self.threshold_percent)}, relative band {relative}% of target"


def max_drift(weights: Mapping[str, Decimal], targets: Mapping[str, Decimal]) -> tuple[str, Decimal]:
    """The asset furthest from its target and how far, in percentage points (absolute value).

    Assets missing from either mapping count as 0 there. Ties go to the first name in sort order.
    Raises ValueError when both mappings are empty.

    >>> max_drift({"BTC": Decimal(55), "ETH": Decimal(45)}, {"BTC": Decimal(50), "ETH": Decimal(50)})
    ('BTC', Decimal('5'))
    """
    worst: tuple[str, Decimal] | None = None
    for asset, weight, target in _pairs(weights, targets):
        deviation = abs(weight - target)
        if worst is None or _outranks(asset, deviation, *worst):
            worst = asset, deviation
    if worst is None:
        raise ValueError("max_drift needs at least one weight or target")
    return worst


def _pairs(weights: Mapping[str, Decimal], targets: Mapping[str, Decimal]) -> Iterator[_Pair]:
    """Every asset in either mapping once, with 0 for the side it is missing from."""
    for asset, weight in weights.items():
        yield asset, weight, targets.get(asset, ZERO)
    for asset, target in targets.items():
        if asset not in weights:
            yield asset, ZERO, target


def _outranks(asset: str, deviation: Decimal, best_asset: str, best_deviation: Decimal) -> bool:
    # Larger deviation wins; on a tie the smaller name, so the answer never depends on mapping order.
    return deviation > best_deviation or (deviation == best_deviation and asset < best_asset)


def _measured(value: Decimal) -> str:
    """A computed percentage, always with 2 decimals: ``21.30``."""
    return fmt(value, 2, fixed=True, negative_zero=True)


def _configured(value: Decimal) -> str:
    """A user-given percentage as written (``15``, ``2.5``), rounded to 2 decimals if it has more."""
    exponent = value.normalize().as_tuple().exponent
    return fmt(value) if isinstance(exponent, int) and exponent >= -2 else _measured(value)


def _require_positive_decimal(value: object, name: str) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a number above 0, got {value}")

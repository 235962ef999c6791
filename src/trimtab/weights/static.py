"""Fixed target weights taken from the config.

>>> StaticWeights({"BTC": Decimal(60), "ETH": Decimal(30), "USDT": Decimal(10)}).targets({})["BTC"]
Decimal('60')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from trimtab.model.money import HUNDRED, ZERO, fmt

#: How far the configured weights may sum from 100, so that e.g. three times 33.33 is accepted.
SUM_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class StaticWeights:
    """The same weights every time, as configured; needs no price history.

    The weights must be Decimal percentages >= 0 that sum to 100 within ``SUM_TOLERANCE``
    (ValueError otherwise). They are returned as given, not rescaled, so the targets match the config.
    """

    weights: Mapping[str, Decimal]

    def __post_init__(self) -> None:
        if not self.weights:
            raise ValueError("static weights need at least one asset")
        for asset, weight in self.weights.items():
            if not isinstance(asset, str) or not asset:
                raise ValueError(f"static weights: asset names must be non-empty strings, got {asset!r}")
            if not isinstance(weight, Decimal):
                raise TypeError(f"static weights: {asset} must be a Decimal, got {type(weight).__name__}")
            if not weight.is_finite() or weight < ZERO:
                raise ValueError(f"static weights: {asset} must be a percentage >= 0, got {weight}")
        total = sum(self.weights.values(), ZERO)
        if abs(total - HUNDRED) > SUM_TOLERANCE:
            raise ValueError(f"static weights must sum to 100, they sum to {fmt(total)}")
        # A private copy behind a read-only view: the caller's dict may change, our weights may not.
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    @property
    def lookback_days(self) -> int:
        """Always 0: static weights need no price history."""
        return 0

    @property
    def assets(self) -> tuple[str, ...]:
        """The configured assets, in configuration order."""
        return tuple(self.weights)

    def targets(self, closes: Mapping[str, Sequence[Decimal]]) -> dict[str, Decimal]:
        """A fresh copy of the configured weights; ``closes`` is ignored."""
        return dict(self.weights)

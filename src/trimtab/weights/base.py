"""The protocol every target-weight method implements.

Target weights are percentages (Decimal, 0..100) keyed by asset that sum to exactly 100. The quote
(cash) asset can be one of them; an asset missing from the targets has target 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

#: The grid computed (not configured) weights are quantized to, in percent.
WEIGHT_STEP = Decimal("0.0001")


class TargetWeights(Protocol):
    """Answers "what should I hold?" as percentages that sum to 100.

    Pure: no I/O and no clock; price history is passed in. Callers read ``lookback_days`` to know how
    much history to fetch, then call ``targets``.
    """

    @property
    def lookback_days(self) -> int:
        """Days of returns ``targets`` needs, i.e. ``lookback_days + 1`` closes (0: no history needed)."""
        ...

    @property
    def assets(self) -> tuple[str, ...]:
        """Every asset this method may give weight to, including the cash asset when it has a weight."""
        ...

    def targets(self, closes: Mapping[str, Sequence[Decimal]]) -> dict[str, Decimal]:
        """Target weight of each of ``assets`` in percent; ``closes[asset]``: daily closes, oldest first."""
        ...

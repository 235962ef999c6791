"""Hybrid rebalancing: check on a fixed interval, trade only when an asset is past its threshold.

>>> from datetime import UTC, datetime, timedelta
>>> policy = HybridPolicy(ThresholdPolicy(Decimal(5)), check_interval=timedelta(days=1))
>>> policy.decide(datetime(2026, 11, 23, tzinfo=UTC), {"BTC": Decimal(52)}, {"BTC": Decimal(50)}, None).reason
'hybrid: inside the band; largest drift is BTC at 52.00% against a target of 50% (2.00 points off, band 5)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trimtab.policy._time import require_decision_times, require_positive_interval, require_utc
from trimtab.policy.base import Decision
from trimtab.policy.threshold import ThresholdPolicy


@dataclass(frozen=True)
class HybridPolicy:
    """Check every ``check_interval``; rebalance only when ``threshold`` says an asset broke its band.

    The threshold policy's own ``check_interval`` is not used: the hybrid's interval sets the pace.
    """

    threshold: ThresholdPolicy
    check_interval: timedelta

    def __post_init__(self) -> None:
        require_positive_interval(self.check_interval, "check_interval")

    def decide(
        self,
        now: datetime,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        last_rebalance: datetime | None,
    ) -> Decision:
        """The threshold's decision, its reason prefixed ``hybrid:``."""
        require_decision_times(now, last_rebalance)
        return self.threshold.check(weights, targets, label="hybrid")

    def next_check(self, now: datetime) -> datetime:
        """``now + check_interval``."""
        return require_utc(now, "now") + self.check_interval

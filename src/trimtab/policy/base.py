"""The decision a policy returns and the protocol every policy implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether to rebalance now, and a one-line human-readable reason either way."""

    rebalance: bool
    reason: str


class Policy(Protocol):
    """Decides when to rebalance. Pure: no I/O, no clock; ``now`` is always passed in (UTC, aware).

    ``weights`` and ``targets`` are percentages; an asset missing from ``targets`` has target 0.
    """

    def decide(
        self,
        now: datetime,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        last_rebalance: datetime | None,
    ) -> Decision: ...

    def next_check(self, now: datetime) -> datetime:
        """The next moment strictly after ``now`` at which the bot should call ``decide`` again."""
        ...

"""An in-memory journal for backtests: what the executor would write to the ledger, kept in lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from trimtab.model.orders import OrderResult
from trimtab.planning.plan import Plan


@dataclass
class MemoryJournal:
    """Implements the executor's ``Journal``: plans and order results of every simulated run."""

    plans: list[tuple[int, Plan]] = field(default_factory=list)
    orders: list[tuple[int, OrderResult, datetime]] = field(default_factory=list)

    def record_plan(self, run_id: int, plan: Plan, client_order_ids: Mapping[int, str]) -> None:
        self.plans.append((run_id, plan))

    def record_order(self, run_id: int, result: OrderResult, at: datetime) -> None:
        self.orders.append((run_id, result, at))

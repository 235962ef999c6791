"""The executor's journal kept in memory for tests: every plan with its client ids, nothing persisted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from trimtab.model.orders import OrderResult
from trimtab.planning.plan import Plan, PlannedOrder


class Journal:
    """The ledger's part the executor writes to, kept in memory: every plan with its client ids."""

    def __init__(self) -> None:
        self.plans: list[tuple[Plan, dict[int, str]]] = []

    def record_plan(self, run_id: int, plan: Plan, client_order_ids: Mapping[int, str]) -> None:
        self.plans.append((plan, dict(client_order_ids)))

    def record_order(self, run_id: int, result: OrderResult, at: datetime) -> None:
        pass

    def entries(self) -> list[tuple[PlannedOrder, str]]:
        """The journal a resumed run reads: every planned order with its client id."""
        return [(o, ids[o.leg]) for plan, ids in self.plans for o in plan.orders]

"""The shapes of the API's answers, for its OpenAPI page (``/docs``, ``/openapi.json``).

The documents shared with the command line's ``--json`` (status, plan, history, a run) are built by
:mod:`trimtab.app.documents` and sent as they are; their routes carry an example instead of a model, so
the page shows them without a second definition that could drift from the first.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

State = Literal["running", "paused", "kill_switch", "standby"]


class LastRunModel(BaseModel):
    run_id: int
    time: str = Field(description="When the run ended (ISO 8601, UTC; the start if it has not ended).")
    status: str = Field(description="completed, skipped, failed or running")
    rebalance: bool | None
    reason: str | None
    error: str | None


class PortfolioHealth(BaseModel):
    state: State = Field(
        description="standby: another `trimtab serve` sharing its PostgreSQL ledger drives it; this one takes "
        "it over when that one stops (`driver` names it)."
    )
    last_run: LastRunModel | None
    next_check: str | None = Field(
        description="When the schedule checks next (ISO 8601, UTC); null if paused."
    )
    driver: str | None = Field(None, description="On standby: the process that drives it.")


class Health(BaseModel):
    status: Literal["ok"]
    portfolios: dict[str, PortfolioHealth]


class PortfolioItem(PortfolioHealth):
    name: str
    quote: str
    value: str | None = Field(description="The portfolio's value in its quote currency (decimal text).")


class Portfolios(BaseModel):
    portfolios: list[PortfolioItem]


class EquityPoint(BaseModel):
    time: str
    value: str


class StateAnswer(BaseModel):
    name: str
    state: State


class RebalanceRequest(BaseModel):
    # Strict and closed: a write that trades must not read "yes" or 1 as force, nor drop a misspelt key.
    model_config = ConfigDict(strict=True, extra="forbid")

    force: bool = Field(False, description="Rebalance even if the policy says no (true or false).")


class ErrorAnswer(BaseModel):
    error: str


def example(document: dict[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    """An OpenAPI ``responses`` entry showing ``document`` as the answer."""
    return {200: {"description": description, "content": {"application/json": {"example": document}}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorAnswer, "description": "No portfolio of that name (or no such run)."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorAnswer, "description": "Missing or wrong `Authorization: Bearer <token>`."},
    403: {"model": ErrorAnswer, "description": "The server has no TRIMTAB_WEB_TOKEN: writes are off."},
    409: {"model": ErrorAnswer, "description": "A guard refused the run (kill switch, account mismatch)."},
}

WEIGHT = {
    "current": "42.1",
    "target": "40",
    "drift": "2.1",
    "amount": "0.09053",
    "price": "93429.2",
    "value": "8457.93",
}
STATUS_EXAMPLE: dict[str, Any] = {
    "quote": "USDT",
    "taken_at": "2025-01-01T12:00:00+00:00",
    "total_value": "20102.55",
    "weights": {"BTC": WEIGHT},
    "unmanaged": {},
    "dust": {},  # unsellable balances without a target: {"SOL": {"amount", "value", "reason"}}
    "external": {},
    "set_aside": {},
    "cash_flows": [],
}
PLAN_EXAMPLE: dict[str, Any] = {
    **STATUS_EXAMPLE,
    "decision": {"rebalance": True, "reason": "BTC is 2.1 points off its target", "forced": False},
    "orders": [
        {
            "leg": 0,
            "symbol": "BTC/USDT",
            "side": "sell",
            "amount": "0.0045",
            "limit_price": "93000",
            "reference_price": "93429.2",
            "value": "420.43",
        }
    ],
    "skipped": [],
}
SUMMARY_EXAMPLE: dict[str, Any] = {
    "run_id": 1,
    "started_at": "2025-01-01T12:00:00+00:00",
    "finished_at": "2025-01-01T12:00:01+00:00",
    "command": "run",
    "venue": "paper",
    "mode": "live",
    "forced": False,
    "status": "completed",
    "error": None,
    "rebalance": True,
    "reason": "BTC is 2.1 points off its target",
    "orders": 1,
    "traded_value": "420.43",
    "fees": {"USDT": "0.42"},
    "value_before": "20102.55",
    "value_after": "20102.13",
    "quote_route_fees": None,
    "fees_saved": None,
    "driver": "serve pid 4242 on trimtab-1",
}
HISTORY_EXAMPLE: dict[str, Any] = {"runs": [SUMMARY_EXAMPLE]}
DETAIL_EXAMPLE: dict[str, Any] = {**SUMMARY_EXAMPLE, "orders_detail": []}
RUN_EXAMPLE: dict[str, Any] = {
    **PLAN_EXAMPLE,
    "run_id": 2,
    "status": "completed",
    "mode": "live",
    "results": [],
    "fees": {},
    "fees_value": "0",
    "quote_route_fees": None,
    "fees_saved": None,
    "top_ups": [],
    "after": STATUS_EXAMPLE,
}


class GuardHoldModel(BaseModel):
    asset: str
    reason: str = Field(description="Why the crash guard holds it back, e.g. `SOL fell 42 % in 24 h`.")
    since: str = Field(description="When the hold started (ISO 8601, UTC).")
    run_id: int | None = Field(description="The run whose crash guard started it.")
    resumed_at: str | None = Field(
        description="When its owner resumed it (ISO 8601, UTC); null while it holds."
    )


class GuardHolds(BaseModel):
    holds: list[GuardHoldModel] = Field(description="The assets held back, oldest hold first.")


class GuardsResumed(BaseModel):
    resumed: list[GuardHoldModel] = Field(description="The holds this ended; empty if none was in force.")

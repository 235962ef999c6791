"""The API's reads: health, the portfolios, and each portfolio's status, plan, history and equity.

Each answer about one portfolio is the document its command prints with ``--json`` (``status``, ``plan``,
``history``, ``history --run N``), built by the same functions (:mod:`trimtab.app.documents`).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from trimtab.app import documents
from trimtab.app.fleet import Fleet, ServedPortfolio
from trimtab.app.fleet_parts import StandbyPortfolio
from trimtab.limits import MAX_RUN_ID
from trimtab.model.money import fmt
from trimtab.suggest import did_you_mean
from trimtab.web.cache import StatusCache
from trimtab.web.errors import ApiError, clean
from trimtab.web.models import (
    DETAIL_EXAMPLE,
    ERRORS,
    HISTORY_EXAMPLE,
    PLAN_EXAMPLE,
    STATUS_EXAMPLE,
    EquityPoint,
    Health,
    Portfolios,
    example,
)


def find(fleet: Fleet, name: str) -> ServedPortfolio:
    """The served portfolio ``name``, or a 404 that suggests the closest name."""
    portfolio = fleet.get(name)
    if portfolio is None:
        if name in fleet.standby:
            raise ApiError(409, standby_message(fleet.standby[name]))
        shown = name if len(name) <= 64 else name[:63] + "…"
        raise ApiError(404, f"no portfolio {shown!r} is served here{did_you_mean(name, fleet.portfolios)}")
    return portfolio


def health_of(portfolio: ServedPortfolio) -> dict[str, Any]:
    return {
        "state": portfolio.state.value,
        "last_run": portfolio.last_run.to_json() if portfolio.last_run is not None else None,
        "next_check": portfolio.next_check.isoformat() if portfolio.next_check is not None else None,
    }


def standby_message(waiting: StandbyPortfolio) -> str:
    """Why this process does not answer for a portfolio another one drives."""
    return (
        f"portfolio {waiting.name} is driven by another process sharing its ledger, {waiting.holder}; "
        "ask that one (this one takes it over when that one stops)"
    )


def standby_health(waiting: StandbyPortfolio) -> dict[str, Any]:
    return {"state": "standby", "last_run": None, "next_check": None, "driver": clean(waiting.holder)}


def read_routes(fleet: Fleet, cache: StatusCache) -> APIRouter:
    router = APIRouter()

    @router.get("/health", response_model=Health, tags=["service"], summary="Is the service up")
    async def health() -> dict[str, Any]:
        """Up, and each portfolio's state, last run and next check (no venue is asked)."""
        served = {p.name: health_of(p) for p in fleet.portfolios.values()}
        return {
            "status": "ok",
            "portfolios": served | {w.name: standby_health(w) for w in fleet.standby.values()},
        }

    @router.get("/api/portfolios", response_model=Portfolios, tags=["portfolios"], summary="The portfolios")
    async def portfolios() -> dict[str, Any]:
        """Every served portfolio with its state, value, last run and next check."""
        served = list(fleet.portfolios.values())
        entries = await asyncio.gather(*(cache.get(p) for p in served), return_exceptions=True)
        items = []
        for portfolio, entry in zip(served, entries, strict=True):
            value = None if isinstance(entry, BaseException) else entry.document["total_value"]
            item = {"name": portfolio.name, "quote": portfolio.config.quote, "value": value}
            items.append(item | health_of(portfolio))
        return {"portfolios": items}

    @router.get(
        "/api/portfolios/{name}",
        tags=["portfolios"],
        summary="Holdings, weights, targets and drift (= status --json)",
        responses={**example(STATUS_EXAMPLE, "The document of `trimtab status --json`."), **ERRORS},
    )
    async def status(name: str) -> Response:
        entry = await cache.get(find(fleet, name))
        return Response(entry.body, media_type="application/json")

    @router.get(
        "/api/portfolios/{name}/plan",
        tags=["portfolios"],
        summary="The decision and the orders a rebalance would place (= plan --json)",
        responses={**example(PLAN_EXAMPLE, "The document of `trimtab plan --json`."), **ERRORS},
    )
    async def plan(
        name: str, force: Annotated[bool, Query(description="Plan as if the policy said rebalance.")] = False
    ) -> JSONResponse:
        planned = await find(fleet, name).plan(force=force)
        return JSONResponse(documents.plan_report(planned))

    @router.get(
        "/api/portfolios/{name}/history",
        tags=["portfolios"],
        summary="Past runs, newest first (= history --json)",
        responses={**example(HISTORY_EXAMPLE, "The document of `trimtab history --json`."), **ERRORS},
    )
    async def history(
        name: str, limit: Annotated[int, Query(ge=1, le=MAX_RUN_ID, description="How many runs.")] = 20
    ) -> JSONResponse:
        runs = find(fleet, name).bot.history(limit)
        return JSONResponse({"runs": [documents.summary_report(run) for run in runs]})

    @router.get(
        "/api/portfolios/{name}/history/{run_id}",
        tags=["portfolios"],
        summary="One run in detail (= history --run N --json)",
        responses={**example(DETAIL_EXAMPLE, "The document of `trimtab history --run N --json`."), **ERRORS},
    )
    async def run_detail(name: str, run_id: int) -> JSONResponse:
        portfolio = find(fleet, name)
        detail = portfolio.bot.run_detail(run_id) if 1 <= run_id <= MAX_RUN_ID else None
        if detail is None:
            raise ApiError(404, f"no run {run_id} in the ledger of {portfolio.name}")
        return JSONResponse(documents.detail_report(detail))

    @router.get(
        "/api/portfolios/{name}/equity",
        response_model=list[EquityPoint],
        tags=["portfolios"],
        summary="The portfolio's value at every recorded snapshot",
        responses=ERRORS,
    )
    async def equity(
        name: str,
        limit: Annotated[int | None, Query(ge=1, description="Only the latest this many points.")] = None,
    ) -> list[dict[str, str]]:
        """Oldest first: each check's value before its trades, and after them when it traded."""
        points = find(fleet, name).equity(limit)
        return [{"time": time.isoformat(), "value": fmt(value)} for time, value in points]

    return router

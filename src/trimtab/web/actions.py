"""The API's writes: rebalance now, pause, resume. Each needs the bearer token (:mod:`trimtab.web.auth`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse

from trimtab.app import documents
from trimtab.app.fleet import Fleet
from trimtab.web.auth import token_guard
from trimtab.web.models import RUN_EXAMPLE, WRITE_ERRORS, RebalanceRequest, StateAnswer, example
from trimtab.web.reads import find


def action_routes(fleet: Fleet, token: str | None) -> APIRouter:
    router = APIRouter(dependencies=[Depends(token_guard(token))], tags=["actions"])

    @router.post(
        "/api/portfolios/{name}/rebalance",
        summary="Rebalance once now (= rebalance --json)",
        responses={**example(RUN_EXAMPLE, "The document of `trimtab rebalance --json`."), **WRITE_ERRORS},
    )
    async def rebalance(name: str, request: RebalanceRequest | None = Body(None)) -> JSONResponse:  # noqa: B008
        """If the policy says so (or with ``force``), recorded in the ledger as command ``api``. Waits
        for a scheduled run going on; the kill switch refuses it (409)."""
        force = request.force if request is not None else False
        outcome = await fleet.rebalance(find(fleet, name), force=force)
        return JSONResponse(documents.run_report(outcome))

    @router.post(
        "/api/portfolios/{name}/pause",
        response_model=StateAnswer,
        summary="Stop the schedule (kept across restarts)",
        responses=WRITE_ERRORS,
    )
    async def pause(name: str) -> dict[str, Any]:
        """The run going on finishes; no scheduled check until resumed, also after a restart."""
        portfolio = find(fleet, name)
        fleet.pause(portfolio)
        return {"name": portfolio.name, "state": portfolio.state.value}

    @router.post(
        "/api/portfolios/{name}/resume",
        response_model=StateAnswer,
        summary="Check on schedule again (overrides a kill switch once)",
        responses=WRITE_ERRORS,
    )
    async def resume(name: str) -> dict[str, Any]:
        portfolio = find(fleet, name)
        await fleet.resume(portfolio)
        return {"name": portfolio.name, "state": portfolio.state.value}

    return router

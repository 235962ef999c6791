"""The crash guard's holds over the API: read them (open) and resume buying an asset (needs the token).

An asset that fell more than ``guards.crash_percent`` in 24 hours is held back, not bought, until its
owner resumes it (:mod:`trimtab.app.guard_holds`). The documents are those of ``trimtab guards --json``
and ``trimtab guards --resume ASSET --json``. Resuming an asset that is not held answers
``{"resumed": []}`` (the same request twice does no harm); an asset the portfolio does not know is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from trimtab.app.fleet import Fleet, ServedPortfolio
from trimtab.app.guard_holds import hold_report, targeted_assets
from trimtab.suggest import did_you_mean
from trimtab.web.auth import token_guard
from trimtab.web.errors import ApiError
from trimtab.web.models import ERRORS, WRITE_ERRORS, ErrorAnswer, GuardHolds, GuardsResumed
from trimtab.web.reads import find

ASSET_ERRORS: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    404: {"model": ErrorAnswer, "description": "No portfolio of that name, or no such asset in it."},
}


def guard_routes(fleet: Fleet, token: str | None) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/api/portfolios/{name}/guards",
        response_model=GuardHolds,
        tags=["portfolios"],
        summary="The assets the crash guard holds back (= guards --json)",
        responses=ERRORS,
    )
    async def guards(name: str) -> dict[str, Any]:
        """Each asset not bought since it fell more than `guards.crash_percent` in 24 hours, until resumed."""
        holds = find(fleet, name).bot.parts.ledger.guard_holds()
        return {"holds": [hold_report(hold) for hold in holds]}

    @router.post(
        "/api/portfolios/{name}/guards/{asset}/resume",
        response_model=GuardsResumed,
        dependencies=[Depends(token_guard(token))],
        tags=["actions"],
        summary="Buy a crash-held asset again from the next run (= guards --resume ASSET --json)",
        responses=ASSET_ERRORS,
    )
    async def resume_asset(name: str, asset: str) -> dict[str, Any]:
        """Ends the asset's hold in the ledger; `{"resumed": []}` when it is not held."""
        portfolio = find(fleet, name)
        wanted = known_asset(portfolio, asset)
        ended = portfolio.bot.parts.ledger.resume_guard_hold(wanted, portfolio.bot.now())
        if ended:
            portfolio.version += 1  # the plan may buy it again: the page's cached plan is stale
        return {"resumed": [hold_report(hold) for hold in ended]}

    return router


def known_asset(portfolio: ServedPortfolio, asset: str) -> str:
    """``asset`` as the ledger spells it (upper case), or a 404 naming the closest asset of the portfolio
    (one with a target, or one held back)."""
    wanted = asset.strip().upper()
    known = targeted_assets(portfolio.config)
    if wanted not in known:  # the ledger is asked only about an asset without a target
        known |= {h.asset for h in portfolio.bot.parts.ledger.guard_holds()}
    if wanted not in known:
        shown = asset if len(asset) <= 32 else asset[:31] + "…"
        raise ApiError(
            404, f"no asset {shown!r} in portfolio {portfolio.name}{did_you_mean(wanted, sorted(known))}"
        )
    return wanted

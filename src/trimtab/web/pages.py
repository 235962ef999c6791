"""The dashboard's pages, served by ``trimtab serve`` beside its JSON API.

``/`` (overview), ``/p/{name}`` (a portfolio), ``/p/{name}/history`` (its runs, ``?status=``,
``?page=``), ``/p/{name}/runs/{id}`` (one run), ``/backtests`` and ``/backtests/{file}``. Every page
answers ``?fragment=1`` with the inside of its ``<main>`` only: the live update (``dashboard.js``)
swaps it in when ``/health`` says something changed. The actions (rebalance, pause, resume) are the
API's POSTs, sent by the script with the token; a page never changes anything by itself.

Each page reads what it shows and no more: the status document from the API's cache, the plan (a few
seconds) and the tax year (half a minute) from :class:`~trimtab.web.page_cache.PageCache`, a bounded
slice of the ledger (:mod:`trimtab.app.dashboard`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from trimtab.app import documents
from trimtab.app.dashboard import equity_curve, fees_paid, runs_of
from trimtab.app.dashboard_tax import TaxGlance, tax_glance
from trimtab.app.fleet import Fleet, ServedPortfolio
from trimtab.errors import TrimtabError
from trimtab.ledger.records import RunStatus
from trimtab.limits import MAX_RUN_ID
from trimtab.suggest import did_you_mean
from trimtab.web.backtests import backtests_page, report_named
from trimtab.web.cache import StatusCache
from trimtab.web.errors import clean
from trimtab.web.html import Markup, join, tag
from trimtab.web.layout import not_found, page
from trimtab.web.page_cache import PageCache
from trimtab.web.reads import standby_message
from trimtab.web.view_overview import overview
from trimtab.web.view_portfolio import PortfolioPage, portfolio_page
from trimtab.web.view_run import run_page
from trimtab.web.view_runs import history

T = TypeVar("T")

RECENT_RUNS = 10
PLAN_MAX_AGE = 5.0
TAX_MAX_AGE = 30.0
NO_STORE = {"Cache-Control": "no-store"}


class PageMissing(Exception):
    """An HTML answer other than 200: its status and the page's one line (and links)."""

    def __init__(self, status: int, message: str, extra: Markup | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


async def _attempt(job: Callable[[], Awaitable[T]]) -> tuple[T | None, str | None]:
    """The job's result, or its one-line error (a venue or ledger failure shows on the page)."""
    try:
        return await job(), None
    except TrimtabError as error:
        return None, clean(error.line())


def page_routes(fleet: Fleet, cache: StatusCache, *, writes: bool, backtests: Path | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    computed = PageCache()

    def answer(title: str, content: Markup, fragment: str | None, status: int = 200) -> HTMLResponse:
        body = str(content) if fragment else page(title, content, writes=writes)
        return HTMLResponse(body, status_code=status, headers=NO_STORE)

    def find(name: str) -> ServedPortfolio:
        portfolio = fleet.get(name)
        if portfolio is None and name in fleet.standby:
            message = standby_message(fleet.standby[name]).replace("`", "")
            raise PageMissing(409, message[0].upper() + message[1:] + ".")
        if portfolio is None:
            shown = name if len(name) <= 64 else name[:63] + "…"
            links = join(
                "Served here: ",
                *(join(tag("a", other, href=f"/p/{other}"), " ") for other in fleet.portfolios),
            )
            raise PageMissing(
                404,
                f"No portfolio {shown!r} is served here{did_you_mean(name, fleet.portfolios)}.",
                tag("p", links),
            )
        return portfolio

    @router.get("/", response_class=HTMLResponse)
    async def index(fragment: str | None = None) -> HTMLResponse:
        served = list(fleet.portfolios.values())
        read = await asyncio.gather(*(_attempt(_status_job(cache, p)) for p in served))
        rows = [(p, status, error) for p, (status, error) in zip(served, read, strict=True)]
        return answer("Portfolios", overview(rows, list(fleet.standby.values())), fragment)

    @router.get("/p/{name}", response_class=HTMLResponse)
    async def portfolio(name: str, fragment: str | None = None) -> HTMLResponse:
        served = find(name)
        data = await gather_portfolio(served, cache, computed, writes=writes)
        return answer(served.name, portfolio_page(data), fragment)

    @router.get("/p/{name}/history", response_class=HTMLResponse)
    async def run_history(
        name: str, status: str | None = None, page: str | None = None, fragment: str | None = None
    ) -> HTMLResponse:
        served = find(name)
        wanted = None
        if status:
            try:
                wanted = RunStatus(status)
            except ValueError:
                known = ", ".join(s.value for s in RunStatus)
                raise PageMissing(400, f"No run status {status[:32]!r}: expected one of {known}.") from None
        number = int(page) if page and page.isdigit() and len(page) < 9 else 1
        found = runs_of(served.bot.parts.ledger, status=wanted, page=number)
        return answer(f"{served.name} history", history(served.name, served.config.quote, found), fragment)

    @router.get("/p/{name}/runs/{run_id}", response_class=HTMLResponse)
    async def run(name: str, run_id: str, fragment: str | None = None) -> HTMLResponse:
        served = find(name)
        number = int(run_id) if run_id.isdigit() and len(run_id) < 12 else 0
        detail = served.bot.run_detail(number) if 1 <= number <= MAX_RUN_ID else None
        if detail is None:
            raise PageMissing(404, f"No run {run_id[:32]!r} in the ledger of {served.name}.")
        return answer(
            f"{served.name} run {number}", run_page(served.name, served.config.quote, detail), fragment
        )

    @router.get("/backtests", response_class=HTMLResponse)
    async def backtest_list(fragment: str | None = None) -> HTMLResponse:
        return answer("Backtests", backtests_page(backtests), fragment)

    @router.get("/backtests/{file}")
    async def backtest_report(file: str) -> Response:
        report = report_named(backtests, file) if backtests is not None else None
        if report is None:
            raise PageMissing(
                404,
                f"No backtest report {file[:64]!r} here.",
                tag("p", tag("a", "All reports", href="/backtests")),
            )
        return FileResponse(report.path, media_type="text/html; charset=utf-8", headers=NO_STORE)

    @router.get("/favicon.ico")
    async def favicon() -> Response:
        return FileResponse(Path(__file__).parent / "static" / "favicon.svg", media_type="image/svg+xml")

    return router


def _status_job(cache: StatusCache, portfolio: ServedPortfolio) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def job() -> dict[str, Any]:
        return (await cache.get(portfolio)).document

    return job


async def gather_portfolio(
    served: ServedPortfolio, cache: StatusCache, computed: PageCache, *, writes: bool
) -> PortfolioPage:
    """What the portfolio page shows: the venue's reads at once (status, plan, tax year), each failure
    kept as its one line; then the ledger's (recent runs, equity curve, fees)."""
    bot, name, version = served.bot, served.name, served.version

    async def plan() -> dict[str, Any]:
        return documents.plan_report(await served.plan())

    async def tax() -> TaxGlance | None:
        section = served.config.tax
        return None if section is None else await tax_glance(bot, section.harvest_min_loss)

    async def cached_plan() -> dict[str, Any]:
        return await computed.get((name, "plan"), version, PLAN_MAX_AGE, plan)

    async def cached_tax() -> TaxGlance | None:
        return await computed.get((name, "tax"), version, TAX_MAX_AGE, tax)

    (status, status_error), (planned, plan_error), (glance, tax_error) = await asyncio.gather(
        _attempt(_status_job(cache, served)), _attempt(cached_plan), _attempt(cached_tax)
    )
    ledger = bot.parts.ledger
    return PortfolioPage(
        portfolio=served,
        status=status,
        status_error=status_error,
        plan=planned,
        plan_error=plan_error,
        runs=bot.history(RECENT_RUNS),
        equity=equity_curve(ledger),
        fees=fees_paid(ledger, served.config.quote, bot.now()),
        tax=glance,
        tax_error=tax_error,
        writes=writes,
        holds=ledger.guard_holds(),
    )


def install_pages(app: FastAPI, *, writes: bool) -> None:
    """The HTML error page of :class:`PageMissing` (the API keeps its JSON errors)."""

    async def missing(request: Request, error: Exception) -> HTMLResponse:
        assert isinstance(error, PageMissing)
        title = {404: "Not found", 409: "Driven elsewhere"}.get(error.status, "Bad request")
        content = join(not_found(error.message, title), error.extra)
        if request.query_params.get("fragment"):
            return HTMLResponse(str(content), status_code=error.status, headers=NO_STORE)
        return HTMLResponse(
            page(title, content, writes=writes, live=False), status_code=error.status, headers=NO_STORE
        )

    app.add_exception_handler(PageMissing, missing)

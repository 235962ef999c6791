"""The web application of ``trimtab serve``: the JSON API over a :class:`~trimtab.app.fleet.Fleet`, and
the dashboard's pages on top of it (:mod:`trimtab.web.pages`, assets under ``/static``).

>>> app = create_app(fleet, token=os.environ.get("TRIMTAB_WEB_TOKEN"))  # doctest: +SKIP

No CORS middleware: a page of another site cannot read the answers or send the token (the browser's
same-origin rule stays in force). Every answer carries the security headers of
:mod:`trimtab.web.security`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from trimtab import __version__
from trimtab.app.fleet import Fleet
from trimtab.web.actions import action_routes
from trimtab.web.api_docs import install_api_docs
from trimtab.web.cache import StatusCache
from trimtab.web.errors import install_error_handlers
from trimtab.web.guard_routes import guard_routes
from trimtab.web.pages import install_pages, page_routes
from trimtab.web.reads import read_routes
from trimtab.web.security import SecurityHeaders

STATIC = Path(__file__).parent / "static"

DESCRIPTION = """The portfolios served by `trimtab serve`. Each document about a portfolio is the one its
command prints with `--json` (`status`, `plan`, `history`, `rebalance`). Reads are open; every POST needs
`Authorization: Bearer <TRIMTAB_WEB_TOKEN>`. Errors are `{"error": "one line"}`. The dashboard's pages
are at `/`."""


def create_app(fleet: Fleet, token: str | None, *, backtests: Path | None = None) -> FastAPI:
    """The API and the pages over ``fleet``; POSTs need ``token`` (None: the server takes no writes);
    ``backtests``: the folder whose ``*.html`` reports ``/backtests`` lists (None: none)."""
    # FastAPI's own /docs and /redoc load their scripts from a CDN: /docs is rendered here instead.
    app = FastAPI(
        title="trimtab", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    cache = StatusCache()
    install_error_handlers(app)
    install_pages(app, writes=token is not None)
    install_api_docs(app)
    app.include_router(read_routes(fleet, cache))
    app.include_router(action_routes(fleet, token))
    app.include_router(guard_routes(fleet, token))
    app.include_router(page_routes(fleet, cache, writes=token is not None, backtests=backtests))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders)
    app.state.status_cache = cache
    return app

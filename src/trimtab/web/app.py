"""The web application of ``trimtab serve``: the JSON API over a :class:`~trimtab.app.fleet.Fleet`.

>>> app = create_app(fleet, token=os.environ.get("TRIMTAB_WEB_TOKEN"))  # doctest: +SKIP

No CORS middleware: a page of another site cannot read the answers or send the token (the browser's
same-origin rule stays in force).
"""

from __future__ import annotations

from fastapi import FastAPI

from trimtab import __version__
from trimtab.app.fleet import Fleet
from trimtab.web.actions import action_routes
from trimtab.web.cache import StatusCache
from trimtab.web.errors import install_error_handlers
from trimtab.web.reads import read_routes

DESCRIPTION = """The portfolios served by `trimtab serve`. Each document about a portfolio is the one its
command prints with `--json` (`status`, `plan`, `history`, `rebalance`). Reads are open; every POST needs
`Authorization: Bearer <TRIMTAB_WEB_TOKEN>`. Errors are `{"error": "one line"}`."""


def create_app(fleet: Fleet, token: str | None) -> FastAPI:
    """The API over ``fleet``; POSTs need ``token`` (None: the server takes no writes)."""
    app = FastAPI(title="trimtab", version=__version__, description=DESCRIPTION)
    cache = StatusCache()
    install_error_handlers(app)
    app.include_router(read_routes(fleet, cache))
    app.include_router(action_routes(fleet, token))
    app.state.status_cache = cache
    return app

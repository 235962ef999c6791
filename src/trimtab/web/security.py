"""Security headers on every answer.

- The dashboard's pages: a strict Content-Security-Policy — scripts and styles only from this server's
  ``/static`` files (no inline script or style, no ``eval``), requests only to this server, no frames,
  no plugins — so text from a ledger or a venue that ended up in a page cannot run as script.
- A backtest report (``/backtests/{file}``) carries its own inline plotly scripts: it is sent
  ``sandbox``ed (an origin of its own: no access to the dashboard's session token, cookies or API) and
  may fetch nothing.
- ``/docs`` (the API's reference, :mod:`trimtab.web.api_docs`) is one of the dashboard's pages: same policy.
- Every answer: ``X-Frame-Options: DENY`` (and ``frame-ancestors 'none'``), ``Referrer-Policy:
  no-referrer``, ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGES = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
REPORT = (
    "sandbox allow-scripts allow-popups; default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; frame-ancestors 'none'"
)
COMMON = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def policy_for(path: str, status: int = 200) -> str:
    """A found report gets the report's policy; anything else, its "not found" page included (a page
    of the dashboard with its stylesheet and script), the pages' policy."""
    if path.startswith("/backtests/") and len(path) > len("/backtests/") and status == 200:
        return REPORT
    return PAGES


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in COMMON.items():
                    headers.setdefault(key, value)
                headers["Content-Security-Policy"] = policy_for(path, message["status"])
            await send(message)

        await self.app(scope, receive, sending)

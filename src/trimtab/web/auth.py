"""Who may change something: every POST carries ``Authorization: Bearer <token>``, compared in constant
time with the server's ``TRIMTAB_WEB_TOKEN``. Without a token the server takes no writes at all (403)
rather than taking them from anyone. Reads are open: the server binds to loopback unless a token is set.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from trimtab.web.errors import ApiError

TOKEN_VARIABLE = "TRIMTAB_WEB_TOKEN"

bearer = HTTPBearer(auto_error=False, description=f"The server's {TOKEN_VARIABLE}.")


def token_guard(token: str | None) -> Callable[..., Awaitable[None]]:
    """A FastAPI dependency admitting only requests that carry ``token``."""
    expected = token.encode() if token else None

    async def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if expected is None:
            raise ApiError(
                403,
                f"writes are turned off: set {TOKEN_VARIABLE} in the server's environment and send it as "
                "a bearer token in the Authorization header",
            )
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise ApiError(
                401,
                # no "token:" in it: the redaction would take the word after it for a token
                f"missing or wrong token (send the server's {TOKEN_VARIABLE} as a bearer token in the "
                "Authorization header)",
                {"WWW-Authenticate": "Bearer"},
            )

    return require_token

"""Every error the API answers is JSON ``{"error": "one line"}``: never a traceback, a secret or a URL.

A failure of the bot keeps its one line (credentials redacted, URLs cut out: a ccxt message may carry the
exchange's signed URL) with a status saying what the caller may do: 409 a guard refused (kill switch,
account mismatch, portfolio busy), 503 the exchange is unreachable for now, 400 bad input, 500 otherwise.
Anything unexpected is 500 ``internal error`` and one log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trimtab.errors import (
    ConfigError,
    GuardTripped,
    Mention,
    PortfolioBusy,
    TemporaryVenueError,
    TrimtabError,
)
from trimtab.redaction import redact

log = logging.getLogger("trimtab.web")

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+")


class ApiError(Exception):
    """An answer other than 200: its status, its one line and any headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def clean(text: str) -> str:
    """``text`` fit for an answer: credentials redacted, URLs cut out."""
    return _URL.sub("<url>", redact(text))


def status_of(error: TrimtabError) -> int:
    if isinstance(error, GuardTripped | PortfolioBusy):
        return 409
    if isinstance(error, TemporaryVenueError):
        return 503
    if isinstance(error, ConfigError):
        return 400
    return 500


def error_answer(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": clean(message)}, status_code=status, headers=dict(headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_answer(error.status, error.message, error.headers)

    async def trimtab_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, TrimtabError)
        return error_answer(status_of(error), error.line(api_spelling(request.path_params.get("name"))))

    async def http_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        return error_answer(error.status_code, str(error.detail), error.headers)

    async def bad_request(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {_problem(problem)}"
            for problem in error.errors()
        ]
        return error_answer(422, "bad request: " + "; ".join(problems))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(TrimtabError, trimtab_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_middleware(CatchAll)


def api_spelling(name: str | None) -> Callable[[Mention], str]:
    """How the API spells a parameter an error mentions: the kill switch is overridden by resuming."""
    resume = f"POST /api/portfolios/{name or '{name}'}/resume"

    def spell(mention: Mention) -> str:
        return resume if mention.parameter == "override_kill_switch" else str(mention)

    return spell


def _problem(problem: Mapping[str, Any]) -> str:
    # A body that is not a JSON object (curl -d without -H 'Content-Type: application/json' sends a form):
    # say what to send instead of pydantic's "a valid dictionary or object to extract fields from".
    body = tuple(problem.get("loc", ())) == ("body",)
    if body and problem.get("type") in ("model_attributes_type", "dict_type"):
        return 'expected a JSON object such as {"force": true}, sent with Content-Type: application/json'
    return str(problem.get("msg", "invalid"))


class CatchAll:
    """The last resort: an exception no handler took becomes ``500 {"error": "internal error"}`` and one
    redacted log line (Starlette would log a traceback and answer in plain text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            log.error(
                "%s %s failed: %s",
                scope.get("method"),
                scope.get("path"),
                clean(f"{type(error).__name__}: {error}"),
            )
            if not started:
                await error_answer(500, f"internal error ({type(error).__name__})")(scope, receive, send)

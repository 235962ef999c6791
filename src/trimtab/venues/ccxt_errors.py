"""Convert ccxt's exceptions into trimtab's error tree, grouped by what the caller should do.

One function, :func:`venue_error`, used at every ccxt call site as ``raise venue_error(e, ...) from e``:

====================================================  ==========================  =========================
ccxt 4.5 exception                                    trimtab error               what to do
====================================================  ==========================  =========================
``OperationFailed`` and everything under it:          ``TemporaryVenueError``     retry later
``NetworkError`` (``RequestTimeout``,                 (``retry_after`` set when
``ExchangeNotAvailable``, ``OnMaintenance``,          the venue said how long)
``DDoSProtection``, ``RateLimitExceeded``,
``InvalidNonce``), ``BadResponse``, ``NullResponse``,
``CancelPending``; Binance 503/-1001 raises the
bare ``OperationFailed``, which is *not* a
``NetworkError``
``InsufficientFunds``                                 ``InsufficientFunds``       re-plan or skip the order
``InvalidOrder`` (incl. ``OrderNotFound``,            ``OrderRejected``           re-plan or skip the order
``DuplicateOrderId``), ``BadRequest`` (incl.
``BadSymbol``; Binance -1013 NOTIONAL is a
``BadRequest`` in 4.5), ``OperationRejected``
``AuthenticationError`` (incl. ``PermissionDenied``,  ``FatalVenueError``         stop, tell a human
``AccountSuspended``, ``AccountNotEnabled``),
``NotSupported``, ``ArgumentsRequired``,
``RestrictedLocation``, ``ManualInteractionNeeded``,
``InvalidProxySettings``, ``ExchangeClosedByUser``
any other ``ExchangeError``                           ``OrderRejected``           see below
any other ``BaseError``                               ``FatalVenueError``         a class we cannot place
====================================================  ==========================  =========================

An ``ExchangeError`` ccxt could not classify means the exchange *answered* and refused the request with a
code ccxt does not know (Binance adds codes and filters now and then). Nothing changed on the account, so
the request is rejected rather than retried (retrying an unknown refusal only spends rate limit) and the
bot is not stopped (one odd order must not halt a daemon). A refusal of a read is equally not temporary.

``OrderNotFound`` becomes ``OrderRejected`` here; the adapter's ``fetch_order`` and ``cancel_order`` catch
it *before* converting and answer None instead.

A request that got no answer at all — the host does not resolve, the connection is refused or dropped,
a timeout, a TLS failure — is a ``TemporaryVenueError`` whatever ccxt called it (a bare ``ExchangeError``
for some aiohttp failures), and its message says so: ``connection to api.binance.com failed during
load_markets (GET /api/v3/exchangeInfo): the host name does not resolve (DNS lookup failed); ...``. Only
the host and path of the request are shown; its query is signed.

Retry-After: what ccxt 4.5 gives us. Its exceptions carry only a message (for Binance
``"binance {json body}"`` or ``"binance 429 Too Many Requests {body}"``; for HTTP status errors and
timeouts ``"binance GET <url with query> ..."``). The response headers are not attached to the exception;
the exchange object keeps the *last* response's headers in ``last_response_headers``. So ``retry_after`` is
taken, in this order, from

1. a ``Retry-After`` header (delta-seconds or an HTTP date) in ``exchange.last_response_headers``, read only
   for the classes a server sends it with (``DDoSProtection``, ``RateLimitExceeded``,
   ``ExchangeNotAvailable``/``OnMaintenance`` and the bare ``OperationFailed`` of a 503). The headers are
   the exchange object's last response, which with concurrent requests may belong to another request:
   treat the value as a hint (the retry helper caps what it is willing to wait);
2. Binance's ban message ``"... IP banned until 1700000000000 ..."`` (epoch milliseconds).

Otherwise it is None and the retry helper falls back to its exponential backoff.

Messages are one line, at most :data:`MAX_MESSAGE_LENGTH` characters, and never contain credentials
(:func:`trimtab.redaction.redact`): every configured secret (API key, secret, password) is replaced by
``***``, and so is the value of any ``signature=``, ``apiKey=``/``api_key=``, ``secret=``, ``passphrase=`` or
``token=`` query parameter (ccxt puts the full signed URL into timeout and HTTP-status messages) and of any
API-key or signature header.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import ccxt.async_support as ccxt  # type: ignore[import-untyped]  # ccxt ships no type hints

from trimtab.errors import (
    FatalVenueError,
    InsufficientFunds,
    OrderRejected,
    TemporaryVenueError,
    VenueError,
)
from trimtab.redaction import redact

__all__ = ["MAX_MESSAGE_LENGTH", "scrub", "venue_error"]

#: Longest message a converted error carries (a 500 can come with a whole HTML page).
MAX_MESSAGE_LENGTH = 300

# Checked in order: the first class the exception is an instance of wins (subclasses before bases).
_FATAL: tuple[type[BaseException], ...] = (
    ccxt.AuthenticationError,  # PermissionDenied, AccountSuspended, AccountNotEnabled
    ccxt.NotSupported,
    ccxt.ArgumentsRequired,
    ccxt.RestrictedLocation,
    ccxt.ManualInteractionNeeded,
    ccxt.InvalidProxySettings,
    ccxt.ExchangeClosedByUser,
)
# Classes a server answers with a Retry-After header (429, 418, 503); never timeouts or clock skew.
_MAY_CARRY_RETRY_AFTER: tuple[type[BaseException], ...] = (
    ccxt.DDoSProtection,
    ccxt.RateLimitExceeded,
    ccxt.ExchangeNotAvailable,
)

_REQUEST = re.compile(r"^\S+ (GET|POST|PUT|DELETE|PATCH) (\S+)")
_BANNED_UNTIL = re.compile(r"banned until (\d{12,14})\b")
_WHITESPACE = re.compile(r"\s+")


def venue_error(
    error: Exception,
    *,
    secrets: Iterable[str] = (),
    exchange: Any = None,  # a ccxt exchange (untyped); only its last_response_headers are read
    action: str | None = None,
    now: Callable[[], float] = time.time,
) -> VenueError:
    """The trimtab error for a ccxt exception, to be raised ``from`` it.

    ``secrets`` are scrubbed from the message, ``exchange`` is where a ``Retry-After`` header may be found,
    ``action`` (e.g. ``"fetch_balance"``) prefixes the message, ``now`` is the clock for ban deadlines.

    >>> err = venue_error(ccxt.InsufficientFunds("binance Account has insufficient balance."))
    >>> type(err).__name__, str(err)
    ('InsufficientFunds', 'InsufficientFunds: binance Account has insufficient balance.')
    """
    lost = _connection_failure(error)
    if lost is not None:
        # Nothing was answered: the request may or may not have reached the exchange, so it is temporary
        # (an order sent this way is looked up before it is sent again).
        return TemporaryVenueError(scrub(_connection_message(error, lost, action), secrets))
    message = _message(error, secrets, action)
    if isinstance(error, ccxt.OperationFailed):
        return TemporaryVenueError(message, retry_after=_retry_after(error, exchange, now))
    if isinstance(error, ccxt.InsufficientFunds):
        return InsufficientFunds(message)
    if isinstance(error, _FATAL):
        return FatalVenueError(message)
    if isinstance(error, ccxt.ExchangeError):
        # InvalidOrder, OrderNotFound, BadRequest, OperationRejected and unclassified refusals (see above).
        return OrderRejected(message)
    return FatalVenueError(message)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` on one line, without credentials, cut to :data:`MAX_MESSAGE_LENGTH` characters.

    >>> scrub("GET /api?symbol=X&signature=ab12\\n 400", ["k3y"])
    'GET /api?symbol=X&signature=*** 400'
    """
    text = redact(text, secrets)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1].rstrip() + "…"
    return text


def _connection_failure(error: BaseException) -> str | None:
    """Why no answer came back (the connection failed, the host does not resolve, a timeout), or None when
    the exchange answered. ccxt raises these as ``ExchangeNotAvailable``/``RequestTimeout`` from aiohttp's
    or the socket's error, and an other aiohttp failure as a bare ``ExchangeError``."""
    if isinstance(error, ccxt.RequestTimeout):
        return "no answer within the timeout"
    causes = list(_causes(error))
    if not any(isinstance(cause, aiohttp.ClientError | OSError | TimeoutError) for cause in causes):
        return None  # e.g. a 503 page: the exchange answered
    for cause in causes:
        if isinstance(cause, socket.gaierror | aiohttp.ClientConnectorDNSError):
            return "the host name does not resolve (DNS lookup failed)"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused: nothing listens on that port"
        if isinstance(cause, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
            return "the TLS handshake failed (certificate or proxy problem)"
        if isinstance(cause, aiohttp.ServerDisconnectedError):
            return "the server closed the connection without answering"
        if isinstance(cause, TimeoutError | aiohttp.ServerTimeoutError):
            return "no answer within the timeout"
        if isinstance(cause, aiohttp.ClientPayloadError):
            return "the answer was cut off"
    errno_text = next((c.strerror for c in causes if isinstance(c, OSError) and c.strerror), None)
    return errno_text.lower() if errno_text else "the connection failed"


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or cause.__context__


def _connection_message(error: Exception, reason: str, action: str | None) -> str:
    """``connection to HOST failed during ACTION (GET /path): REASON; ...``: ccxt's message is
    ``"<exchange id> <METHOD> <url>"``; only the host and path of the URL are shown (the query is signed)."""
    request = _REQUEST.match(str(error))
    host, what = "the exchange", ""
    if request is not None:
        parts = urlsplit(request.group(2))
        host = parts.hostname or host
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        what = f"{request.group(1)} {parts.path or '/'}"
    if action and what:
        during = f" during {action} ({what})"
    else:
        during = f" during {action or what}" if action or what else ""
    return (
        f"connection to {host} failed{during}: {reason}; check the network connection "
        f"(and exchange.api_url if set), then run again ({type(error).__name__})"
    )


def _message(error: Exception, secrets: Iterable[str], action: str | None) -> str:
    detail = str(error) or "(no message)"
    prefix = f"{action} failed: " if action else ""
    return scrub(f"{prefix}{type(error).__name__}: {detail}", secrets)


def _retry_after(error: Exception, exchange: Any, now: Callable[[], float]) -> float | None:
    """Seconds the venue asked us to wait, or None when it did not say (see the module docstring)."""
    if isinstance(error, _MAY_CARRY_RETRY_AFTER) or type(error) is ccxt.OperationFailed:
        headers = getattr(exchange, "last_response_headers", None)
        if isinstance(headers, Mapping):
            seconds = _retry_after_header(headers, now)
            if seconds is not None:
                return seconds
    banned = _BANNED_UNTIL.search(str(error))
    if banned:
        return max(0.0, int(banned.group(1)) / 1000 - now())
    return None


def _retry_after_header(headers: Mapping[Any, Any], now: Callable[[], float]) -> float | None:
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())

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

Messages are one line, at most :data:`MAX_MESSAGE_LENGTH` characters, and never contain credentials: every
configured secret (API key, secret, password) is replaced by ``***``, and so is the value of any
``signature=``, ``apiKey=``/``api_key=``, ``secret=``, ``passphrase=`` or ``token=`` query parameter (ccxt
puts the full signed URL into timeout and HTTP-status messages).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import ccxt.async_support as ccxt  # type: ignore[import-untyped]  # ccxt ships no type hints

from trimtab.errors import (
    FatalVenueError,
    InsufficientFunds,
    OrderRejected,
    TemporaryVenueError,
    VenueError,
)

__all__ = ["MAX_MESSAGE_LENGTH", "scrub", "venue_error"]

#: Longest message a converted error carries (a 500 can come with a whole HTML page).
MAX_MESSAGE_LENGTH = 300

REDACTED = "***"

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

_SECRET_PARAM = re.compile(
    r"(?i)\b(signature|sign|api_?key|secret|passphrase|password|token)=[^&\s\"',}]+",
)
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
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1].rstrip() + "…"
    return text


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

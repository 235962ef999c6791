"""Build a ``ccxt.async_support`` exchange object for :class:`trimtab.venues.ccxt_venue.CcxtVenue`.

Each exchange's own options come from its traits (:func:`trimtab.venues.exchange_traits.traits_for`). For
Binance (and exchanges derived from it, e.g. ``binanceus``): spot only, and no currency or margin-pair
downloads, so that loading markets is a single ``GET /api/v3/exchangeInfo`` and no ``sapi`` endpoint (absent
on the testnet) is ever called; ``recvWindow`` follows the timeout.

``api_url`` points the exchange at another server (a loopback emulator, a proxy): the scheme and host of
*every* entry of ``urls['api']`` are replaced and the paths kept, so that even an unexpected call lands
there instead of on the real exchange.

Keys are handed to ccxt and nowhere else: they are never logged, and error messages are scrubbed of them
(:func:`trimtab.venues.ccxt_errors.venue_error`).

Example::

    exchange = make_exchange("binance", api_key=key, secret=secret, sandbox=False,
                             api_url="http://127.0.0.1:8080")
"""

from __future__ import annotations

import difflib
import re
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt  # type: ignore[import-untyped]  # ccxt ships no type hints

from trimtab.errors import ConfigError
from trimtab.venues.exchange_traits import traits_for

__all__ = ["make_exchange", "rewrite_api_urls"]

_ORIGIN = re.compile(r"^https?://[^/]+", re.IGNORECASE)


def make_exchange(
    name: str,
    *,
    api_key: str | None,
    secret: str | None,
    sandbox: bool,
    api_url: str | None,
    timeout_ms: int = 10000,
    source: str = "config",
    rate_limit: bool = True,
) -> Any:  # ccxt.async_support.Exchange (ccxt has no type hints)
    """A ccxt async exchange ``name`` with these credentials, ready for CcxtVenue.

    Raises ConfigError (``source`` names the config file in the message) for an unknown exchange id
    (listing close ids), an exchange without spot markets, ``sandbox`` on an exchange without a sandbox,
    a malformed ``api_url`` or a non-positive timeout.
    """
    exchange_id = name.strip().lower()
    if exchange_id not in ccxt.exchanges:
        close = difflib.get_close_matches(exchange_id, ccxt.exchanges, n=4, cutoff=0.6)
        hint = f"; close ccxt ids: {', '.join(close)}" if close else "; see ccxt.exchanges for the ids"
        raise ConfigError(source, "exchange.name", f"unknown exchange {name!r}{hint}")
    if timeout_ms <= 0:
        raise ConfigError(source, "exchange.timeout_ms", f"must be > 0, got {timeout_ms}")
    settings: dict[str, Any] = {"timeout": timeout_ms, "enableRateLimit": rate_limit}
    if api_key:
        settings["apiKey"] = api_key
    if secret:
        settings["secret"] = secret
    exchange = getattr(ccxt, exchange_id)(settings)
    if exchange.has.get("spot") is False:
        raise ConfigError(source, "exchange.name", f"{exchange_id} has no spot markets in ccxt")
    traits_for(exchange_id).configure(exchange, timeout_ms=timeout_ms)
    if sandbox:
        try:
            exchange.set_sandbox_mode(True)
        except ccxt.NotSupported:
            raise ConfigError(source, "exchange.sandbox", f"{exchange_id} has no sandbox in ccxt") from None
    if api_url is not None:
        rewrite_api_urls(exchange, _origin(api_url, source))
    return exchange


def rewrite_api_urls(exchange: Any, origin: str) -> None:
    """Replace the scheme and host of every URL in ``exchange.urls['api']`` (nested or not) by ``origin``."""
    exchange.urls["api"] = _rewrite(exchange.urls["api"], origin.rstrip("/"))


def _rewrite(value: Any, origin: str) -> Any:
    if isinstance(value, str):
        return _ORIGIN.sub(lambda _: origin, value)
    if isinstance(value, dict):
        return {key: _rewrite(item, origin) for key, item in value.items()}
    return value


def _origin(api_url: str, source: str) -> str:
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        # The value is not echoed: a URL may carry user:password.
        raise ConfigError(source, "exchange.api_url", "expected http(s)://host[:port][/path] without a query")
    return api_url.strip()

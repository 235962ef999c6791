"""Calling ccxt: every call of :class:`~trimtab.venues.ccxt_venue.CcxtVenue` goes through :class:`CcxtCalls`.

It holds the exchange object, the secrets to scrub from messages, the exchange's traits and the retry
settings, and gives each call what the venue promises its callers:

* ccxt's exceptions become trimtab's error tree (:func:`trimtab.venues.ccxt_errors.venue_error`,
  ``raise ... from``), with the secrets scrubbed;
* every call runs inside ``decimal.localcontext()``: ccxt's ``decimal_to_precision`` sets
  ``ROUND_HALF_UP`` and an ``Underflow`` trap on the *current* context and never restores them;
* reads (:meth:`CcxtCalls.read`, :meth:`CcxtCalls.retry`) retry temporary failures through
  :func:`trimtab.venues.retry.retrying`; :meth:`CcxtCalls.call` alone is sent once (placing an order);
* an answer that does not look as expected (:meth:`CcxtCalls.malformed`) is a temporary "malformed ...
  response", since the venue said something we cannot trust.
"""

from __future__ import annotations

import decimal
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import ccxt.async_support as ccxt  # type: ignore[import-untyped]  # ccxt ships no type hints

from trimtab.errors import DuplicateClientOrderId, TemporaryVenueError
from trimtab.venues.ccxt_errors import venue_error
from trimtab.venues.exchange_traits import ExchangeTraits
from trimtab.venues.retry import retrying

T = TypeVar("T")


class CcxtCalls:
    """One exchange's ccxt calls: errors converted, decimal context kept, reads retried.

    ``name`` is the venue's name in messages; ``secrets`` the strings scrubbed from them; ``attempts``,
    ``base_delay`` and ``sleep`` configure the retries of reads; ``traits`` say how this exchange
    reports a client order id already taken.
    """

    def __init__(
        self,
        exchange: Any,  # ccxt.async_support.Exchange: ccxt has no type hints
        *,
        name: str,
        secrets: tuple[str, ...],
        traits: ExchangeTraits,
        attempts: int,
        base_delay: float,
        sleep: Callable[[float], Awaitable[object]],
    ) -> None:
        self._exchange = exchange
        self._name = name
        self._secrets = secrets
        self._traits = traits
        self._attempts = attempts
        self._base_delay = base_delay
        self._sleep = sleep

    async def call(
        self,
        action: str,
        method: Callable[..., Awaitable[Any]],
        *args: Any,
        missing_ok: bool = False,
        placing: bool = False,
    ) -> Any:
        """Await one ccxt call, converting its exceptions; ``missing_ok`` turns OrderNotFound into None,
        ``placing`` (an order) a refusal of a taken client order id into DuplicateClientOrderId."""
        had_markets = bool(self._exchange.markets)
        try:
            with decimal.localcontext():
                return await method(*args)
        except ccxt.OrderNotFound as error:
            if missing_ok:
                return None
            raise self.error(error, action) from error
        except ccxt.InvalidNonce as error:
            # Our clock is off from the exchange's: measure the offset so that the retry is signed right.
            await self._resync_clock()
            raise self.error(error, action) from error
        except ccxt.BaseError as error:
            if not had_markets and not self._exchange.markets and action != "load_markets":
                # ccxt loads the markets first, inside the call: that is what failed, so say so.
                action = f"load_markets for {action}"
            elif placing and self._traits.is_duplicate_client_id(error):
                raise DuplicateClientOrderId(str(self.error(error, action))) from error
            raise self.error(error, action) from error

    async def retry(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt`` (which must be safe to repeat), retried on temporary failures."""
        return await retrying(
            attempt, attempts=self._attempts, base_delay=self._base_delay, sleep=self._sleep
        )

    async def read(self, action: str, method: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """A ccxt call that is safe to repeat, retried on temporary failures."""
        return await self.retry(lambda: self.call(action, method, *args))

    def sync(self, action: str, method: Callable[..., Any], *args: Any) -> Any:
        """A synchronous ccxt call (the precision helpers), its exceptions converted."""
        try:
            with decimal.localcontext():
                return method(*args)
        except ccxt.BaseError as error:
            raise self.error(error, action) from error

    def error(self, error: Exception, action: str) -> Exception:
        """trimtab's error for ccxt's ``error`` in ``action``, the secrets scrubbed."""
        return venue_error(error, secrets=self._secrets, exchange=self._exchange, action=action)

    @contextmanager
    def malformed(self, what: str) -> Iterator[None]:
        """Anything unexpected while reading an answer: the venue said something we cannot trust."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as error:
            raise TemporaryVenueError(f"{self._name}: malformed {what} response") from error

    async def markets(self) -> Mapping[str, Any]:
        """The exchange's markets by symbol, loaded once (ccxt caches them) and retried."""
        markets = await self.read("load_markets", self._exchange.load_markets)
        return markets if isinstance(markets, Mapping) else {}

    async def _resync_clock(self) -> None:
        try:
            with decimal.localcontext():
                await self._exchange.load_time_difference()
        except ccxt.BaseError:
            pass  # the retry fails the same way and reports the original error

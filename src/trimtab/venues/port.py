"""The venue port: the async interface every venue adapter (paper, ccxt) implements.

Everything above this port (planner, executor, service) is the same whether orders go to the
paper venue or a real exchange: there are no ``if dry_run`` branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderResult
from trimtab.model.portfolio import Balance
from trimtab.model.tickers import Ticker


class Venue(Protocol):
    """An exchange, real or simulated. All amounts and prices are Decimal.

    Required: every venue answers every method but one, because every run needs it (a snapshot: balances,
    prices, markets, the fee rate; an execution: place, look up and cancel orders; ``close``).

    Optional: :meth:`fetch_daily_closes`, asked only when the target weights look back at prices (dynamic
    weights). A venue without price history returns no closes (``{}``); the weights then say which asset
    lacks them. :meth:`fetch_cross_markets`, asked only when the planner routes through cross pairs
    (``rebalancing.routing: cheapest``); a venue without cross pairs returns ``({}, {})``. ``fetch_tickers(quote, assets) -> dict[str, Ticker]`` (not declared here, found by
    :func:`fetch_tickers`): the last prices with their time and 24-hour change, for the guards; a venue
    without it is read through :meth:`fetch_prices` and its prices' age and moves are not guarded.
    """

    name: str
    #: Seconds after sending during which an unanswered order request may still execute (Binance: its
    #: recvWindow). The executor waits this long before it concludes a lost order never arrived.
    order_request_lifetime: float

    # -- required ------------------------------------------------------------------------------------

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        """Rules of the ``ASSET/QUOTE`` market for each asset that has one (the quote is skipped), halted
        markets included (their :attr:`~trimtab.model.markets.MarketRules.status` says so). ``quote``
        may be another asset than the portfolio's quote: ``fetch_markets("BTC", ["ETH"])`` is ETH/BTC."""
        ...

    async def fetch_balances(self) -> dict[str, Balance]:
        """Free and total balance of every asset the account holds."""
        ...

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        """Last price in ``quote`` of each asset that has a market. ``quote`` may be another asset than the
        portfolio's quote when the pair ``ASSET/QUOTE`` exists: ``fetch_prices("BTC", ["ETH"])`` is the
        last price of ETH/BTC (the executor checks a cross order's price so)."""
        ...

    async def fetch_fee_rate(self) -> Decimal:
        """The taker fee rate as a fraction (0.001 = 0.1 %)."""
        ...

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Place an immediate-or-cancel limit order and return its state after matching. A client order id
        the venue has seen before raises :class:`~trimtab.errors.DuplicateClientOrderId`."""
        ...

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        """Look an order up by its client order id; None when the venue has no such order."""
        ...

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        """Cancel a resting order by its client order id; None when no open order has that id."""
        ...

    async def close(self) -> None:
        """Release connections and persist state."""
        ...

    # -- optional ------------------------------------------------------------------------------------

    async def fetch_daily_closes(
        self, quote: str, assets: Sequence[str], days: int
    ) -> dict[str, list[Decimal]]:
        """The last ``days`` daily closes of each asset, oldest first (for dynamic weights); an asset the
        venue has no history of is left out (``{}`` from a venue without any)."""
        ...

    async def fetch_cross_markets(
        self, assets: Sequence[str]
    ) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
        """The cross markets between ``assets`` (none of them the portfolio's quote): the rules of every
        spot market whose base and quote are both in ``assets``, by symbol (``"ETH/BTC"``), halted ones
        included with their status, and the last price of each in its own quote asset (BTC per ETH). A
        market without a price is left out of both; ``({}, {})`` from a venue without cross pairs."""
        ...


async def fetch_tickers(venue: Venue, quote: str, assets: Sequence[str]) -> dict[str, Ticker] | None:
    """``venue``'s tickers of ``assets`` against ``quote`` (each asset with a price), or None when the
    venue has no ``fetch_tickers`` (optional: ``fetch_tickers(quote, assets) -> dict[str, Ticker]``,
    the last price, its time and the 24-hour change; the guards of prices' age and crashes need it)."""
    method = getattr(venue, "fetch_tickers", None)
    if method is None:
        return None
    tickers: dict[str, Ticker] = await method(quote, assets)
    return tickers


async def fetch_cross_markets(
    venue: Venue, assets: Sequence[str]
) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
    """``venue``'s cross markets between ``assets`` (:meth:`Venue.fetch_cross_markets`); ``({}, {})`` from
    a venue that does not implement it (a test's fake, a wrapper)."""
    method = getattr(venue, "fetch_cross_markets", None)
    if method is None:
        return {}, {}
    found: tuple[dict[str, MarketRules], dict[str, Decimal]] = await method(assets)
    return found


def buy_fee_in_quote(venue: Venue) -> bool:
    """Whether ``venue`` charges a buy's fee in the quote on top of its cost (its ``buy_fee_in_quote``
    attribute); True for a venue that does not say, the safe side (the planner keeps a reserve for it)."""
    return bool(getattr(venue, "buy_fee_in_quote", True))

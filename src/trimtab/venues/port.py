"""The venue port: the async interface every venue adapter (paper, ccxt) implements.

Everything above this port (planner, executor, service) is the same whether orders go to the
paper venue or a real exchange: there are no ``if dry_run`` branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderBook, OrderRequest, OrderResult
from trimtab.model.portfolio import Balance


class Venue(Protocol):
    """An exchange, real or simulated. All amounts and prices are Decimal."""

    name: str
    #: Seconds after sending during which an unanswered order request may still execute (Binance: its
    #: recvWindow). The executor waits this long before it concludes a lost order never arrived.
    order_request_lifetime: float

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        """Rules of the ``ASSET/QUOTE`` market for each asset that has one (the quote is skipped)."""
        ...

    async def fetch_balances(self) -> dict[str, Balance]:
        """Free and total balance of every asset the account holds."""
        ...

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        """Last price in ``quote`` of each asset that has a market."""
        ...

    async def fetch_fee_rate(self) -> Decimal:
        """The taker fee rate as a fraction (0.001 = 0.1 %)."""
        ...

    async def fetch_daily_closes(
        self, quote: str, assets: Sequence[str], days: int
    ) -> dict[str, list[Decimal]]:
        """The last ``days`` daily closes of each asset, oldest first (for dynamic weights)."""
        ...

    async def fetch_order_book(self, symbol: str, depth: int = 20) -> OrderBook:
        """The top ``depth`` levels of each side of ``symbol``'s order book."""
        ...

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Place an immediate-or-cancel limit order and return its state after matching."""
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

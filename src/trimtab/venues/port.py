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


class Venue(Protocol):
    """An exchange, real or simulated. All amounts and prices are Decimal.

    Required: every venue answers every method but one, because every run needs it (a snapshot: balances,
    prices, markets, the fee rate; an execution: place, look up and cancel orders; ``close``).

    Optional: :meth:`fetch_daily_closes`, asked only when the target weights look back at prices (dynamic
    weights). A venue without price history returns no closes (``{}``); the weights then say which asset
    lacks them.
    """

    name: str
    #: Seconds after sending during which an unanswered order request may still execute (Binance: its
    #: recvWindow). The executor waits this long before it concludes a lost order never arrived.
    order_request_lifetime: float

    # -- required ------------------------------------------------------------------------------------

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

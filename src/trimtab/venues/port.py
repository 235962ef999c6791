"""The venue port: the async interface every venue adapter (paper, ccxt) implements.

Everything above this port (planner, executor, service) is the same whether orders go to the
paper venue or a real exchange: there are no ``if dry_run`` branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from trimtab.markets import MarketRules
from trimtab.portfolio import Balance


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderStatus(StrEnum):
    """ccxt's unified order statuses."""

    OPEN = "open"
    CLOSED = "closed"  # fully filled
    CANCELED = "canceled"
    EXPIRED = "expired"  # immediate-or-cancel remainder not filled; ``filled`` may be > 0
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A marketable limit order: immediate-or-cancel at ``limit_price`` or better."""

    symbol: str
    side: Side
    amount: Decimal
    limit_price: Decimal
    client_order_id: str


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order. ``fee`` is charged in ``fee_asset``."""

    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_asset: str
    timestamp: datetime


@dataclass(frozen=True)
class OrderResult:
    """What the venue says about an order."""

    client_order_id: str
    exchange_order_id: str
    symbol: str
    side: Side
    amount: Decimal
    limit_price: Decimal
    status: OrderStatus
    filled: Decimal
    fills: tuple[Fill, ...] = field(default_factory=tuple)

    @property
    def cost(self) -> Decimal:
        """Quote value of what filled (sum of price x amount of the fills)."""
        return sum((f.price * f.amount for f in self.fills), Decimal(0))

    @property
    def average_price(self) -> Decimal | None:
        """Volume-weighted fill price, or None when nothing filled."""
        return self.cost / self.filled if self.filled else None


@dataclass(frozen=True)
class OrderBook:
    """The best price levels of one market: ``(price, amount)`` pairs, best first on each side."""

    symbol: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]

    def depth_within(self, side: Side, limit_price: Decimal) -> Decimal:
        """How much a ``side`` order limited at ``limit_price`` could take from the book right now."""
        if side is Side.BUY:
            return sum((amount for price, amount in self.asks if price <= limit_price), Decimal(0))
        return sum((amount for price, amount in self.bids if price >= limit_price), Decimal(0))


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

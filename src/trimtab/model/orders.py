"""Orders and what came of them: side, status, request, fills and result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


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

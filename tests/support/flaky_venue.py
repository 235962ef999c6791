"""A venue wrapper for tests: passes everything to a real venue, and misbehaves on cue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderResult
from trimtab.model.portfolio import Balance
from trimtab.venues.port import Venue

Hook = Callable[[OrderRequest], None]


class FlakyVenue:
    """``before_place`` runs before an order reaches the inner venue, ``after_place`` after it executed
    (raising there loses the answer of an order that did execute). ``price_factor`` moves prices."""

    def __init__(self, inner: Venue) -> None:
        self.inner = inner
        self.name = inner.name
        self.order_request_lifetime = inner.order_request_lifetime
        self.before_place: Hook | None = None
        self.after_place: Hook | None = None
        self.price_factor: dict[str, Decimal] = {}
        self.placed: list[OrderRequest] = []

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        return await self.inner.fetch_markets(quote, assets)

    async def fetch_balances(self) -> dict[str, Balance]:
        return await self.inner.fetch_balances()

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        prices = await self.inner.fetch_prices(quote, assets)
        return {a: p * self.price_factor.get(a, Decimal(1)) for a, p in prices.items()}

    async def fetch_fee_rate(self) -> Decimal:
        return await self.inner.fetch_fee_rate()

    async def fetch_daily_closes(
        self, quote: str, assets: Sequence[str], days: int
    ) -> dict[str, list[Decimal]]:
        return await self.inner.fetch_daily_closes(quote, assets, days)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        if self.before_place is not None:
            self.before_place(request)
        result = await self.inner.place_order(request)
        self.placed.append(request)
        if self.after_place is not None:
            self.after_place(request)
        return result

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        return await self.inner.fetch_order(symbol, client_order_id)

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        return await self.inner.cancel_order(symbol, client_order_id)

    async def close(self) -> None:
        await self.inner.close()

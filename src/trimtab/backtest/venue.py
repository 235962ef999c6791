"""The backtest's venue: the paper venue's fill model on an in-memory account that moves bar to bar.

It fills orders with :func:`trimtab.venues.paper.match_order`, the very function the paper venue uses
(Binance's filters, immediate-or-cancel at the last price ± slippage, fee in the asset received), so a
backtest and a paper run cannot fill differently (``test_a_paper_run_replayed_day_by_day_makes_the_same
_trades``). What it leaves out is what a replay of thousands of rebalances does not need: the state file,
the price history, and building a new venue for every rebalance. :meth:`move_to` sets the prices and
market rules of the next rebalance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from trimtab.errors import DuplicateClientOrderId, OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.money import ZERO
from trimtab.model.orders import OrderRequest, OrderResult
from trimtab.model.portfolio import Balance
from trimtab.venues.paper import IocMarket, PaperSettings, match_order


class ReplayVenue:
    """Implements :class:`trimtab.venues.port.Venue` for :mod:`trimtab.backtest.engine`."""

    name = "backtest"
    buy_fee_in_quote = False  # the paper venue's fill model: the fee comes out of the asset received
    order_request_lifetime = 0.0  # in-process: a request that raised never reached the book

    def __init__(self, settings: PaperSettings, *, quote: str) -> None:
        self._settings = settings
        self._quote = quote
        self.balances: dict[str, Decimal] = dict(settings.balances)
        self._orders: dict[str, OrderResult] = {}
        self._prices: Mapping[str, Decimal] = {}
        self._markets: Mapping[str, MarketRules] = {}
        self._now = datetime(1970, 1, 1, tzinfo=UTC)

    def move_to(
        self, now: datetime, prices: Mapping[str, Decimal], markets: Mapping[str, MarketRules]
    ) -> None:
        """The next rebalance's moment, last prices and market rules; orders of earlier ones are forgotten."""
        self._now, self._prices, self._markets = now, prices, markets
        self._orders = {}

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        return {a: self._markets[a] for a in assets if a in self._markets} if quote == self._quote else {}

    async def fetch_balances(self) -> dict[str, Balance]:
        return {a: Balance(free=t, total=t) for a, t in self.balances.items() if t > 0}

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        return {a: self._prices[a] for a in assets if a in self._prices} if quote == self._quote else {}

    async def fetch_fee_rate(self) -> Decimal:
        return self._settings.fee_rate

    async def fetch_daily_closes(
        self, quote: str, assets: Sequence[str], days: int
    ) -> dict[str, list[Decimal]]:
        return {}  # dynamic weights read the price frame, not the venue

    async def fetch_cross_markets(
        self, assets: Sequence[str]
    ) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
        return {}, {}  # a price frame has no cross pairs: every trade goes through the quote

    async def place_order(self, request: OrderRequest) -> OrderResult:
        base, _, quote = request.symbol.partition("/")
        if quote != self._quote or base not in self._markets:
            raise OrderRejected(f"Invalid symbol. (the backtest has no market {request.symbol!r})")
        if request.client_order_id in self._orders:
            raise DuplicateClientOrderId(
                f"Duplicate order sent. (client order id {request.client_order_id!r})"
            )
        market = IocMarket(base, quote, self._markets[base], self._prices[base], self._settings, self._now)
        order, deltas = match_order(request, market, self.balances, str(len(self._orders) + 1))
        for asset, delta in deltas.items():
            self.balances[asset] = self.balances.get(asset, ZERO) + delta
        self._orders[request.client_order_id] = order
        return order

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        order = self._orders.get(client_order_id)
        return order if order is not None and order.symbol == symbol else None

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        return None  # immediate-or-cancel: nothing ever rests

    async def close(self) -> None:
        """Nothing to release."""

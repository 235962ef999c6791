"""The ccxt venue: :class:`trimtab.venues.port.Venue` over a ``ccxt.async_support`` exchange object.

Only this module and :mod:`trimtab.venues.ccxt_answers`, which reads ccxt's answers, see ccxt's floats: every
number crosses into trimtab as a Decimal via :func:`trimtab.venues.ccxt_answers.dec` (``Decimal(repr(x))``:
exact for the shortest decimal of the float, which is what the exchange sent as a string). Every ccxt call goes
through :class:`trimtab.venues.ccxt_calls.CcxtCalls`: its exceptions become trimtab's error tree (``raise ...
from``), and it runs inside ``decimal.localcontext()`` (ccxt's ``decimal_to_precision`` changes the current
decimal context and never restores it), so trimtab's own Decimal arithmetic keeps its context.

Retries: reads (``fetch_*``, ``cancel_order``) retry temporary failures through
:func:`trimtab.venues.retry.retrying`. :meth:`CcxtVenue.place_order` never retries: after a timeout or a
garbled answer the order may exist, so it raises :class:`~trimtab.errors.TemporaryVenueError` and the
executor must first look the order up by its client order id (:meth:`CcxtVenue.fetch_order`) and resend only
when that returns None.

Example (``make_exchange`` is in :mod:`trimtab.venues.ccxt_factory`)::

    venue = CcxtVenue(make_exchange("binance", api_key=k, secret=s, sandbox=True, api_url=None), quote="USDT")
    balances = await venue.fetch_balances()  # ... and finally: await venue.close()
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from trimtab.errors import OrderRejected, TemporaryVenueError
from trimtab.model.markets import DEFAULT_FEE_RATE, MarketRules, symbol_of
from trimtab.model.money import ZERO, ceil_to_step, floor_to_step
from trimtab.model.orders import OrderRequest, OrderResult, Side
from trimtab.model.portfolio import Balance
from trimtab.model.tickers import Ticker
from trimtab.venues.ccxt_answers import (
    ORDER_STATUSES,
    balances_of,
    cross_market_rules,
    dec,
    dec_or_none,
    fill_of,
    is_spot,
    last_price,
    market_rules,
    precision_step,
    ticker_of,
)
from trimtab.venues.ccxt_calls import CcxtCalls
from trimtab.venues.ccxt_dust import convert_binance_dust
from trimtab.venues.dust_port import DustConversion
from trimtab.venues.exchange_traits import ExchangeTraits, traits_for

__all__ = ["DEFAULT_FEE_RATE", "CcxtVenue"]


class CcxtVenue:
    """A real exchange through ccxt. ``exchange`` is a ``ccxt.async_support`` exchange object (untyped).

    ``quote`` is the account's quote currency (used for the fee rate). ``secrets`` are extra strings to
    scrub from error messages; the exchange's own ``apiKey``, ``secret``, ``password`` and ``uid`` always
    are. ``attempts``, ``base_delay`` and ``sleep`` configure the retries of reads. ``traits``: what this
    exchange does differently (default: :func:`~trimtab.venues.exchange_traits.traits_for` its id).
    """

    def __init__(
        self,
        exchange: Any,  # ccxt.async_support.Exchange: ccxt has no type hints
        *,
        quote: str,
        secrets: tuple[str, ...] = (),
        attempts: int = 4,
        base_delay: float = 0.5,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        traits: ExchangeTraits | None = None,
    ) -> None:
        self._exchange = exchange
        self._traits = traits if traits is not None else traits_for(str(exchange.id))
        self._quote = quote
        own = (getattr(exchange, attr, None) for attr in ("apiKey", "secret", "password", "uid"))
        self.name: str = str(exchange.id)
        self._calls = CcxtCalls(
            exchange,
            name=self.name,
            secrets=tuple(s for s in (*secrets, *own) if isinstance(s, str) and s),
            traits=self._traits,
            attempts=attempts,
            base_delay=base_delay,
            sleep=sleep,
        )
        self.order_request_lifetime: float = self._traits.request_lifetime(exchange)
        self.buy_fee_in_quote: bool = self._traits.buy_fee_in_quote

    # -- the port -------------------------------------------------------------------------------------

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        """Rules of each asset's active spot ``ASSET/quote`` market; markets are reloaded on every call
        (filters change), then cached for the other calls."""
        await self._calls.read("load_markets", self._exchange.load_markets, True)
        # Inactive markets too: their rules carry the status (break, halted), and the guards freeze them.
        markets = {a: m for a in assets if (m := self._spot_market(a, quote, listed=True)) is not None}
        with self._calls.malformed("market"):
            mode, name = self._exchange.precisionMode, self.name
            rules = {
                a: market_rules(m, a, quote, precision_mode=mode, exchange=name) for a, m in markets.items()
            }
        return {a: r for a, r in rules.items() if r is not None}

    async def fetch_balances(self) -> dict[str, Balance]:
        """Free and total balance of every asset with a non-zero total.

        An answer that does not look like a balance raises TemporaryVenueError("malformed balance
        response") (retried like any temporary error): ccxt turns a garbled 200 into empty dicts, which
        must not read as an empty account.
        """
        return await self._calls.retry(self._balances_once)

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        """Last traded price of each asset with a spot market (inactive ones too: a halted asset is still
        valued), against any ``quote`` (``"BTC"``: the ETH/BTC price); assets without a market or a price
        are left out."""
        return {asset: ticker.price for asset, ticker in (await self.fetch_tickers(quote, assets)).items()}

    async def fetch_tickers(self, quote: str, assets: Sequence[str]) -> dict[str, Ticker]:
        """Ticker of each asset with a spot market (inactive ones too: a halted asset is still valued):
        the last price, its time and the 24-hour change (:func:`ticker_of`); others are left out."""
        await self._calls.markets()
        symbols = {
            a: symbol_of(a, quote) for a in assets if self._spot_market(a, quote, listed=True) is not None
        }
        if not symbols:
            return {}
        tickers = await self._calls.read(
            "fetch_tickers", self._exchange.fetch_tickers, list(symbols.values())
        )
        with self._calls.malformed("ticker"):
            found = {a: ticker_of(tickers.get(s) or {}) for a, s in symbols.items()}
        return {a: t for a, t in found.items() if t is not None}

    async def fetch_cross_markets(
        self, assets: Sequence[str]
    ) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
        """The spot markets between two of ``assets`` other than the account's quote (ETH/BTC), active or
        not (the status says), from the loaded markets, with their last prices from one tickers request;
        a market without a lot step or a price is left out."""
        markets = await self._calls.markets()
        with self._calls.malformed("market"):
            rules = cross_market_rules(
                markets,
                set(assets) - {self._quote},
                precision_mode=self._exchange.precisionMode,
                exchange=self.name,
            )
        if not rules:
            return {}, {}
        tickers = await self._calls.read("fetch_tickers", self._exchange.fetch_tickers, list(rules))
        with self._calls.malformed("ticker"):
            lasts = {s: last_price(tickers.get(s) or {}) for s in rules}
        prices = {s: last for s, last in lasts.items() if last is not None}
        return {s: r for s, r in rules.items() if s in prices}, prices

    async def fetch_fee_rate(self) -> Decimal:
        """The highest taker fee of the quote's active spot markets (ccxt's published rate, not the
        account's discounted one), else the exchange's default, else :data:`DEFAULT_FEE_RATE`."""
        markets = await self._calls.markets()
        with self._calls.malformed("market"):
            takers = [
                dec(m["taker"])
                for m in markets.values()
                if is_spot(m) and m.get("quote") == self._quote and m.get("taker") is not None
            ]
            default = dec_or_none(((self._exchange.fees or {}).get("trading") or {}).get("taker"))
        if takers:
            return max(takers)
        return default if default is not None else DEFAULT_FEE_RATE

    async def fetch_daily_closes(
        self, quote: str, assets: Sequence[str], days: int
    ) -> dict[str, list[Decimal]]:
        """Up to ``days`` daily closes per asset with a market, oldest first. Like the paper venue's, the
        last one is today's (still running) candle, i.e. the current price."""
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        await self._calls.markets()
        wanted = [a for a in assets if self._spot_market(a, quote) is not None]
        closes = await asyncio.gather(
            *(self._calls.retry(self._closes_once(symbol_of(a, quote), days)) for a in wanted)
        )
        return {a: values for a, values in zip(wanted, closes, strict=True) if values}

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Send an immediate-or-cancel limit order with ``request.client_order_id``; never retried.

        The amount is truncated to the lot step and the limit moved onto the tick in the taker's favour
        (a buy down, a sell up), so the order never asks for more than requested. Raises OrderRejected /
        InsufficientFunds when the venue refuses, DuplicateClientOrderId when the venue already has an order
        with this client order id, TemporaryVenueError when the outcome is unknown (network, or an answer
        without an order id): then look the order up with :meth:`fetch_order` before resending.
        """
        market = await self._order_market(request.symbol)
        amount, price = self._precise(request, market)
        params = {"timeInForce": "IOC", "clientOrderId": request.client_order_id}
        create = self._exchange.create_order
        order = await self._calls.call(
            "create_order",
            create,
            request.symbol,
            "limit",
            request.side.value,
            amount,
            price,
            params,
            placing=True,
        )
        return await self._result(order, request.symbol, request.client_order_id)

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        """The order with ``client_order_id`` on ``symbol`` with its fills and fees, or None if unknown."""
        await self._order_market(symbol)
        return await self._calls.retry(self._by_client_id("fetch_order", symbol, client_order_id))

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        """Cancel the order ``client_order_id``; None when the venue has no open order by that id (unknown,
        or already filled, canceled or expired: Binance answers all of these alike).

        IOC orders never rest, but the executor cancels one the venue still reports open after a while.
        """
        await self._order_market(symbol)
        return await self._calls.retry(self._by_client_id("cancel_order", symbol, client_order_id))

    # -- dust (optional: trimtab.venues.dust_port) -------------------------------------------------------

    def dust_conversion_asset(self) -> str | None:
        """The asset this exchange converts dust into (Binance: BNB; see the traits), or None."""
        return self._traits.dust_asset

    async def convert_dust(self, assets: Sequence[str]) -> DustConversion:
        """Convert the eligible ones of ``assets`` into :meth:`dust_conversion_asset` (sent once, never
        retried: see :mod:`trimtab.venues.ccxt_dust`)."""
        into = self._traits.dust_asset
        if into is None:
            raise OrderRejected(f"{self.name}: no dust conversion")
        return await convert_binance_dust(
            self._exchange,
            into=into,
            assets=assets,
            read=self._calls.read,
            call=self._calls.call,
            malformed=self._calls.malformed,
            venue=self.name,
        )

    async def close(self) -> None:
        """Close ccxt's HTTP session."""
        await self._exchange.close()

    # -- one attempt of each read ---------------------------------------------------------------------

    async def _balances_once(self) -> dict[str, Balance]:
        answer = await self._calls.call("fetch_balance", self._exchange.fetch_balance)
        with self._calls.malformed("balance"):
            return balances_of(answer, self._traits)

    def _closes_once(self, symbol: str, days: int) -> Callable[[], Awaitable[list[Decimal]]]:
        async def attempt() -> list[Decimal]:
            candles = await self._calls.call(
                "fetch_ohlcv", self._exchange.fetch_ohlcv, symbol, "1d", None, days
            )
            with self._calls.malformed(f"{symbol} candle"):
                return [dec(row[4]) for row in sorted(candles, key=lambda row: int(row[0]))[-days:]]

        return attempt

    def _by_client_id(
        self, action: str, symbol: str, client_order_id: str
    ) -> Callable[[], Awaitable[OrderResult | None]]:
        method = getattr(self._exchange, action)

        async def attempt() -> OrderResult | None:
            params = self._traits.client_id_params(client_order_id)
            order = await self._calls.call(action, method, None, symbol, params, missing_ok=True)
            return None if order is None else await self._result(order, symbol, client_order_id)

        return attempt

    # -- markets and precision ------------------------------------------------------------------------

    def _spot_market(self, asset: str, quote: str, *, listed: bool = False) -> Mapping[str, Any] | None:
        """The active spot market ``asset/quote``; with ``listed``, an inactive one too (halted, break)."""
        market = (self._exchange.markets or {}).get(symbol_of(asset, quote))
        if asset == quote or not isinstance(market, Mapping):
            return None
        if not (is_spot(market) or (listed and market.get("spot"))):
            return None
        return market if market.get("base") == asset and market.get("quote") == quote else None

    async def _order_market(self, symbol: str) -> Mapping[str, Any]:
        market = (await self._calls.markets()).get(symbol)
        if not isinstance(market, Mapping) or not is_spot(market):
            raise OrderRejected(f"{self.name}: no active spot market {symbol}")
        return market

    def _precise(self, request: OrderRequest, market: Mapping[str, Any]) -> tuple[str, str]:
        """Amount and limit price as the strings ccxt sends: truncated amount, price on the tick."""
        price_precision = (market.get("precision") or {}).get("price")
        mode = self._exchange.precisionMode
        tick = precision_step(price_precision, precision_mode=mode, exchange=self.name) or ZERO
        limit = request.limit_price
        limit = floor_to_step(limit, tick) if request.side is Side.BUY else ceil_to_step(limit, tick)
        ex = self._exchange
        amount = self._calls.sync(
            "amount_to_precision", ex.amount_to_precision, request.symbol, str(request.amount)
        )
        price = self._calls.sync("price_to_precision", ex.price_to_precision, request.symbol, str(limit))
        return str(amount), str(price)

    # -- answers --------------------------------------------------------------------------------------

    async def _result(self, order: Any, symbol: str, client_order_id: str) -> OrderResult:
        """An OrderResult from a ccxt order; fills from its trades, else from the account's trade list.
        Fills that do not add up to ``filled`` make the answer malformed (TemporaryVenueError)."""
        if not isinstance(order, Mapping) or not order.get("id"):
            raise TemporaryVenueError(
                f"{self.name}: order answer without an id for {client_order_id} "
                "(look the order up by its client order id before sending it again)"
            )
        with self._calls.malformed(f"order {client_order_id}"):
            status = ORDER_STATUSES[str(order.get("status"))]
            side = Side(str(order["side"]).lower())
            filled = dec(order.get("filled"))
            trades = order.get("trades") or []
        if filled > 0 and not trades:
            # The order answer has no fills (Binance's): fees live in the account's trade list.
            params = self._traits.order_trades_params(str(order["id"]))
            found = await self._calls.call(
                "fetch_my_trades", self._exchange.fetch_my_trades, symbol, None, None, params
            )
        else:
            found = None
        with self._calls.malformed(f"order {client_order_id}"):
            if found is not None:
                trades = [t for t in found if str(t.get("order")) == str(order["id"])]
            fills = tuple(fill_of(t, side, symbol, order) for t in trades)
            if sum((f.amount for f in fills), ZERO) != filled:
                # cost and average price come from the fills: a partial list would skew both
                raise ValueError(f"fills do not add up to the filled amount {filled}")
            return OrderResult(
                client_order_id=client_order_id,
                exchange_order_id=str(order["id"]),
                symbol=symbol,
                side=side,
                amount=dec(order.get("amount")),
                limit_price=dec(order.get("price")),
                status=status,
                filled=filled,
                fills=fills,
            )

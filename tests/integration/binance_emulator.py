"""A loopback Binance spot emulator that *real* ccxt ``binance`` (async) talks to over HTTP on 127.0.0.1.

It exercises ccxt's own code paths: ``parse_market`` (filters → precision/limits), ``sign()`` (HMAC, timestamp,
recvWindow), request encoding, response parsing, ``handle_errors`` and ``httpExceptions``. The exception each fault produces in
ccxt is pinned by ``tests/integration/test_emulator.py``.

    async with BinanceEmulator(balances={"USDT": "1000"}) as emu:
        exchange = make_binance(emu.base_url)
        emu.add_fault("http503", path="/api/v3/account")
        ...  # await exchange.fetch_balance() raises ccxt.OperationFailed
        await exchange.close()

All state changes happen synchronously inside one handler call (no ``await`` between check and update), so
concurrent requests never see half-applied orders. Money is ``Decimal`` end to end and exact: commissions are
not rounded to Binance's 8 decimals, so a test can compute the expected balance with plain Decimal arithmetic.

This module is the server (routing, weights, signatures, fault injection) and the public names; the rest is
in ``emulator_models``, ``emulator_book``, ``emulator_orders``, ``emulator_market`` and ``emulator_faults``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Self
from urllib.parse import parse_qsl

import ccxt.async_support as ccxt_async
from aiohttp import web
from emulator_book import Book
from emulator_dust import Dust
from emulator_faults import (
    DEFAULT_STALL_SECONDS,  # noqa: F401 (re-exported)
    FAULT_KINDS,
    EmuFault,
    fault_response,
    new_fault,
    take_fault,
)
from emulator_market import MarketData
from emulator_models import (
    CROSS_MARKETS,
    DEFAULT_BALANCES,
    DEFAULT_MARKETS,
    DEFAULT_PRICES,
    USDT_MARKETS,
    ApiError,
    EmuFill,
    EmuMarket,
    EmuOrder,
    LoggedRequest,
    Rules,
    bad_request,
    json_response,
    mandatory,
)

__all__ = [
    "CROSS_MARKETS",
    "DEFAULT_MARKETS",
    "FAULT_KINDS",
    "USDT_MARKETS",
    "BinanceEmulator",
    "EmuFault",
    "EmuFill",
    "EmuMarket",
    "EmuOrder",
    "LoggedRequest",
    "make_binance",
]

_HTML_404 = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
_SIGNATURE = re.compile(r"(?:^|&)signature=([^&]*)$")
_MAX_RECV_WINDOW = 60_000
_MINUTE_MS = 60_000
# Binance's request weights (2025) for the endpoints served; (with symbol, without symbol).
_WEIGHTS: dict[tuple[str, str], tuple[int, int]] = {
    ("GET", "/api/v3/exchangeInfo"): (20, 20),
    ("GET", "/api/v3/ticker/24hr"): (2, 80),
    ("GET", "/api/v3/ticker/price"): (2, 4),
    ("GET", "/api/v3/ticker/bookTicker"): (2, 4),
    ("GET", "/api/v3/depth"): (5, 5),
    ("GET", "/api/v3/klines"): (2, 2),
    ("GET", "/api/v3/account"): (20, 20),
    ("GET", "/api/v3/order"): (4, 4),
    ("GET", "/api/v3/openOrders"): (6, 80),
    ("GET", "/api/v3/allOrders"): (20, 20),
    ("GET", "/api/v3/myTrades"): (20, 20),
}


# --------------------------------------------------------------------------------------------------- the emulator


class BinanceEmulator:
    """An aiohttp server on 127.0.0.1 (random port) that answers like Binance spot ``/api/v3``.

    Control it in-process: :meth:`set_price`, :meth:`set_status`, :attr:`fill_ratio`, :attr:`clock_offset_ms`, :meth:`add_fault`,
    :attr:`weight_limit`; inspect it with :attr:`requests`, :meth:`balance`, :meth:`orders`.
    """

    def __init__(
        self,
        *,
        api_key: str = "emu-key",
        secret: str = "emu-secret",
        balances: Mapping[str, str] | None = None,
        markets: Sequence[EmuMarket] | None = None,
        prices: Mapping[str, str] | None = None,
        taker_fee: str = "0.001",
        maker_fee: str | None = None,
    ) -> None:
        self._api_key = api_key
        self._secret = secret.encode()
        rules = {m.symbol: Rules.of(m) for m in (DEFAULT_MARKETS if markets is None else markets)}
        initial_balances = {
            a: Decimal(v) for a, v in (DEFAULT_BALANCES if balances is None else balances).items()
        }
        given_prices = {**(DEFAULT_PRICES if markets is None else {}), **(prices or {})}
        missing = sorted(set(rules) - set(given_prices))
        if missing:
            raise ValueError(f"no price for market(s) {', '.join(missing)}: pass prices={{symbol: price}}")
        initial_prices = {s: Decimal(p) for s, p in given_prices.items()}
        self._book = Book(
            rules,
            initial_balances,
            initial_prices,
            taker_fee=Decimal(taker_fee),
            maker_fee=Decimal(taker_fee if maker_fee is None else maker_fee),
            clock=self.now_ms,
        )
        market_data = self._market_data = MarketData(self._book, self.now_ms)
        self._dust = Dust(self._book, self.now_ms)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes: dict[tuple[str, str], Callable[[dict[str, str]], object]] = {
            ("GET", "/api/v3/ping"): lambda _p: {},
            ("GET", "/api/v3/time"): lambda _p: {"serverTime": self.now_ms()},
            ("GET", "/api/v3/exchangeInfo"): market_data.exchange_info,
            ("GET", "/api/v3/ticker/24hr"): market_data.ticker_24hr,
            ("GET", "/api/v3/ticker/price"): market_data.ticker_price,
            ("GET", "/api/v3/ticker/bookTicker"): market_data.book_ticker,
            ("GET", "/api/v3/depth"): market_data.depth,
            ("GET", "/api/v3/klines"): market_data.klines,
        }
        self._signed_routes: dict[tuple[str, str], Callable[[dict[str, str]], object]] = {
            ("GET", "/api/v3/account"): self._book.account,
            ("POST", "/api/v3/order"): self._book.new_order,
            ("POST", "/api/v3/order/test"): self._book.test_order,
            ("GET", "/api/v3/order"): self._book.query_order,
            ("DELETE", "/api/v3/order"): self._book.cancel_order,
            ("GET", "/api/v3/openOrders"): self._book.open_orders,
            ("GET", "/api/v3/allOrders"): self._book.all_orders,
            ("GET", "/api/v3/myTrades"): self._book.my_trades,
            ("POST", "/sapi/v1/asset/dust-btc"): self._dust.dust_btc,
            ("POST", "/sapi/v1/asset/dust"): self._dust.dust,
        }
        self.reset()

    # ------------------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("BinanceEmulator is already started")
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # A short shutdown_timeout: stalled handlers (timeout faults) are cancelled instead of awaited.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; ccxt's ``urls['api']`` entries go below it (see :func:`make_binance`)."""
        if self._port is None:
            raise RuntimeError("BinanceEmulator is not started")
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------------------------------------ control plane

    def reset(self) -> None:
        """Back to the constructor's balances and prices: no orders, faults, requests, skew or partial fills."""
        self._book.reset()
        self._market_data.day_opens.clear()
        self._market_data.ticker_ages_ms.clear()
        self._weight_minute = 0
        self._weight_used = 0
        self.requests: list[LoggedRequest] = []
        self.faults: list[EmuFault] = []
        self.clock_offset_ms = 0
        #: Request weight allowed per minute; above it the answer is 429/-1003 (None: unlimited).
        self.weight_limit: int | None = None

    @property
    def taker_fee(self) -> Decimal:
        return self._book.taker_fee

    @taker_fee.setter
    def taker_fee(self, value: Decimal) -> None:
        self._book.taker_fee = value

    @property
    def maker_fee(self) -> Decimal:
        return self._book.maker_fee

    @maker_fee.setter
    def maker_fee(self, value: Decimal) -> None:
        self._book.maker_fee = value

    @property
    def fill_ratio(self) -> Decimal:
        """The share of each order's quantity one match fills (whole steps); the rest of an IOC/MARKET order
        expires, the rest of a GTC order rests. 1 by default."""
        return self._book.fill_ratio

    @fill_ratio.setter
    def fill_ratio(self, value: Decimal | str | int) -> None:
        self._book.fill_ratio = value

    def now_ms(self) -> int:
        """The server clock: wall time shifted by :attr:`clock_offset_ms`."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def set_price(self, symbol: str, price: str) -> None:
        """Move the last price of any symbol (``"USDCUSDT"``, ``"ETHBTC"``); resting orders it crosses fill at
        their limit as maker (``fill_ratio`` applies). Other symbols' prices do not follow."""
        self._book.set_price(symbol, price)

    def set_status(self, symbol: str, status: str) -> None:
        """Set a symbol's Binance status: ``BREAK`` or ``HALT`` (ccxt: ``active`` False, ``info.status``) make
        new orders on it fail with -1013 "Market is closed."; ``TRADING`` again reopens it. :meth:`reset` reopens all."""
        self._book.set_status(symbol, status)

    def delist(self, symbol: str) -> None:
        """Take ``symbol`` off the exchange (a delisting): exchangeInfo and the tickers no longer have it, orders
        on it fail as an unknown symbol; balances stay. :meth:`reset` lists it again."""
        self._book.delist(symbol)

    def set_day_open(self, symbol: str, price: str) -> None:
        """Set the price 24 hours ago of ``symbol``: its 24-hour ticker then shows the change to the last price."""
        self._market_data.day_opens[symbol] = Decimal(price)

    def set_ticker_age(self, symbol: str, seconds: float) -> None:
        """Make ``symbol``'s last trade ``seconds`` old: its 24-hour ticker's ``closeTime`` lags the server clock."""
        self._market_data.ticker_ages_ms[symbol] = int(seconds * 1000)

    def add_fault(
        self,
        kind: str,
        *,
        path: str = "*",
        method: str = "*",
        times: int = 1,
        arg: object = None,
        where: Mapping[str, str] | None = None,
    ) -> None:
        """Make the next ``times`` requests matching ``method`` and ``path`` (an fnmatch pattern) misbehave.

        ``arg``: seconds to stall for ``timeout``/``execute-then-timeout`` (default
        :data:`DEFAULT_STALL_SECONDS`), the ``Retry-After`` value for ``http429``/``http418``, and
        ``(http_status, code, msg)`` for ``error``. Faults are consumed first come, first served.

        ``timeout`` stalls *before* handling (the request is then handled normally, like one stuck in
        transit); ``execute-then-*`` handle the request first, so an order exists although ccxt raised.
        """
        self.faults.append(new_fault(kind, path, method, times, arg, where))

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """``(free, locked)`` of ``asset``; zeros for an asset never seen."""
        return self._book.balance(asset)

    def transfer(self, asset: str, amount: Decimal) -> None:
        """The owner moves ``amount`` of ``asset`` into the account (a deposit) or, negative, out of it (a
        withdrawal), as the exchange's wallet would: no order, only the free balance changes."""
        balance = self._book._bal(asset)
        if balance.free + amount < 0:
            raise ValueError(f"cannot withdraw {-amount} {asset}: only {balance.free} is free")
        balance.free += amount

    def orders(self) -> list[EmuOrder]:
        """Every order the emulator accepted, oldest first (live objects)."""
        return list(self._book.orders)

    # ------------------------------------------------------------------------------------------ HTTP plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.text() if request.can_read_body else ""
        params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        repeated = [v for k, v in parse_qsl(f"{request.query_string}&{body}") if k == "asset"]
        if len(repeated) > 1:  # Binance's repeated array parameter (POST /sapi/v1/asset/dust)
            params["asset"] = ",".join(repeated)
        method, path = request.method, request.path
        entry = LoggedRequest(method, path, params)
        self.requests.append(entry)
        fault = take_fault(self.faults, method, path, params)
        entry.fault = fault.kind if fault else None

        if fault and not fault.kind.startswith("execute-then-"):
            if fault.kind == "timeout":
                await asyncio.sleep(fault.stall_seconds)
            elif fault.kind == "blackhole":  # never handled: stall, then drop the connection
                await asyncio.sleep(fault.stall_seconds)
                return self._drop(request)
            elif fault.kind == "disconnect":
                return self._drop(request)
            else:
                return self._answer(entry, fault_response(fault))

        response = self._handle(method, path, params, request.query_string + body, request.headers)

        if fault and fault.kind == "execute-then-timeout":
            await asyncio.sleep(fault.stall_seconds)
        elif fault and fault.kind == "execute-then-500":
            response = fault_response(EmuFault("http500", path, method, 1, None))
        elif fault and fault.kind == "execute-then-disconnect":
            return self._drop(request)
        return self._answer(entry, response)

    def _answer(self, entry: LoggedRequest, response: web.Response) -> web.Response:
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(self._weight_used)
        entry.status = response.status
        return response

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        # Closing the transport before answering: the client sees ServerDisconnectedError. aiohttp's write of
        # the (never sent) response to the closed transport is a silent no-op.
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)

    def _handle(
        self, method: str, path: str, params: dict[str, str], raw: str, headers: Mapping[str, str]
    ) -> web.Response:
        route = (method, path)
        handler = self._routes.get(route) or self._signed_routes.get(route)
        if handler is None:
            return web.Response(text=_HTML_404, status=404, content_type="text/html")
        with_symbol, without_symbol = _WEIGHTS.get(route, (1, 1))
        self._spend_weight(with_symbol if "symbol" in params else without_symbol)
        try:
            if self.weight_limit is not None and self._weight_used > self.weight_limit:
                msg = f"Too much request weight used; current limit is {self.weight_limit} request weight per 1 MINUTE."
                retry_after = str(max(1, (_MINUTE_MS - self.now_ms() % _MINUTE_MS) // 1000))
                return json_response({"code": -1003, "msg": msg}, 429, {"Retry-After": retry_after})
            if route in self._signed_routes:
                self._authenticate(params, raw, headers)
            return json_response(handler(params))
        except ApiError as error:
            return json_response({"code": error.code, "msg": error.msg}, error.status)
        except ValueError:  # int() of a malformed orderId, limit, startTime …
            return json_response({"code": -1100, "msg": "Illegal characters found in a parameter."}, 400)

    def _spend_weight(self, weight: int) -> None:
        minute = self.now_ms() // _MINUTE_MS
        if minute != self._weight_minute:
            self._weight_minute, self._weight_used = minute, 0
        self._weight_used += weight

    def _authenticate(self, params: dict[str, str], raw: str, headers: Mapping[str, str]) -> None:
        key = headers.get("X-MBX-APIKEY")
        if not key:
            raise ApiError(401, -2014, "API-key format invalid.")
        if key != self._api_key:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        # Binance signs "totalParams": the query string followed by the body; ccxt puts the signature last.
        found = _SIGNATURE.search(raw)
        if found is None:
            raise mandatory("signature")
        if not params.get("timestamp", "").isdigit():
            raise mandatory("timestamp")
        recv_window = int(params["recvWindow"]) if params.get("recvWindow", "").isdigit() else 5000
        if recv_window > _MAX_RECV_WINDOW:
            raise bad_request(-1131, "recvWindow must be less than 60000")
        timestamp, now = int(params["timestamp"]), self.now_ms()
        if timestamp >= now + 1000:
            raise bad_request(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > recv_window:
            raise bad_request(-1021, "Timestamp for this request is outside of the recvWindow.")
        expected = hmac.new(self._secret, raw[: found.start()].encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, found.group(1)):
            raise bad_request(-1022, "Signature for this request is not valid.")


# --------------------------------------------------------------------------------------------------- ccxt client


def make_binance(
    base_url: str, *, api_key: str = "emu-key", secret: str = "emu-secret", timeout_ms: int = 2000
) -> ccxt_async.binance:
    """A real ccxt async ``binance`` pointed at ``base_url``, configured as the note §2 says.

    Spot only and no side calls (currencies, margins, time sync), so ``load_markets()`` is a single
    ``GET /api/v3/exchangeInfo``. Every ``urls['api']`` entry is rewritten, so a stray sapi/fapi call still
    lands on the emulator (404 → ``ExchangeNotAvailable``) instead of the internet. Close it with
    ``await exchange.close()``.
    """
    exchange = ccxt_async.binance(
        {
            "apiKey": api_key,
            "secret": secret,
            "enableRateLimit": False,
            "timeout": timeout_ms,
            "options": {
                "defaultType": "spot",
                "fetchMarkets": {"types": ["spot"]},
                "fetchCurrencies": False,
                "fetchMargins": False,
                "adjustForTimeDifference": False,
            },
        }
    )
    # ccxt sleeps timeout_on_exit (250 ms) in close() to let SSL transports wind down; plain loopback HTTP has none.
    exchange.timeout_on_exit = 0
    exchange.urls["api"] = {
        name: re.sub(r"^https://[a-z0-9-]+\.binance\.com", base_url, url)
        for name, url in exchange.urls["api"].items()
    }
    return exchange

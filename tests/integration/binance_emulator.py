"""A loopback Binance spot emulator that *real* ccxt ``binance`` (async) talks to over HTTP on 127.0.0.1.

It exercises ccxt's own code paths: ``parse_market`` (filters → precision/limits), ``sign()`` (HMAC, timestamp,
recvWindow), request encoding, response parsing, ``handle_errors`` and ``httpExceptions``. See
``/work/shared/notes/ccxt.md`` §9(b) for the design and §4 for the exceptions each fault produces.

    async with BinanceEmulator(balances={"USDT": "1000"}) as emu:
        exchange = make_binance(emu.base_url)
        emu.add_fault("http503", path="/api/v3/account")
        ...  # await exchange.fetch_balance() raises ccxt.OperationFailed
        await exchange.close()

All state changes happen synchronously inside one handler call (no ``await`` between check and update), so
concurrent requests never see half-applied orders. Money is ``Decimal`` end to end and exact: commissions are
not rounded to Binance's 8 decimals, so a test can compute the expected balance with plain Decimal arithmetic.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Self, cast
from urllib.parse import parse_qsl

import ccxt.async_support as ccxt_async
from aiohttp import web

__all__ = [
    "FAULT_KINDS",
    "BinanceEmulator",
    "EmuFault",
    "EmuFill",
    "EmuMarket",
    "EmuOrder",
    "LoggedRequest",
    "make_binance",
]

#: Every fault :meth:`BinanceEmulator.add_fault` accepts.
FAULT_KINDS = frozenset(
    {
        "http429",
        "http418",
        "http500",
        "http503",
        "unknown-status",
        "maintenance",
        "bad-json",
        "timeout",
        "disconnect",
        "blackhole",
        "execute-then-timeout",
        "execute-then-500",
        "execute-then-disconnect",
        "error",
    }
)

#: How long ``timeout`` / ``execute-then-timeout`` stall by default: longer than :func:`make_binance`'s 2 s.
DEFAULT_STALL_SECONDS = 5.0

_INSUFFICIENT = "Account has insufficient balance for requested action."
_HTML_500 = "<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1></body></html>"
_HTML_404 = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
_DECIMAL_PARAM = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_CLIENT_ORDER_ID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
_SIGNATURE = re.compile(r"(?:^|&)signature=([^&]*)$")
_OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
_MAX_RECV_WINDOW = 60_000
_MINUTE_MS = 60_000
_DAY_MS = 86_400_000
_INTERVAL_MS = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": _DAY_MS,
    "3d": 3 * _DAY_MS,
    "1w": 7 * _DAY_MS,
}
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


# --------------------------------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class EmuMarket:
    """One spot symbol and its filters, as Binance strings (``"0.00001"``)."""

    symbol: str
    base: str
    quote: str
    step_size: str
    min_qty: str
    tick_size: str
    min_notional: str
    max_qty: str = "9000"
    max_price: str = "1000000"
    max_notional: str = "9000000"


@dataclass
class EmuFill:
    """One trade of an order (a ``fills`` entry / a ``myTrades`` row)."""

    trade_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_maker: bool


@dataclass
class EmuOrder:
    """An order the emulator accepted. ``locked`` is what it still holds of ``locked_asset``."""

    id: int
    client_order_id: str
    symbol: str
    side: str  # BUY | SELL
    type: str  # LIMIT | MARKET | LIMIT_MAKER
    time_in_force: str  # GTC | IOC | FOK (Binance reports GTC for MARKET orders)
    price: Decimal  # 0 for MARKET
    orig_qty: Decimal
    orig_quote_order_qty: Decimal
    time: int
    locked_asset: str
    locked: Decimal
    executed_qty: Decimal = Decimal(0)
    cummulative_quote_qty: Decimal = Decimal(0)
    status: str = "NEW"  # NEW | PARTIALLY_FILLED | FILLED | CANCELED | EXPIRED
    update_time: int = 0
    fills: list[EmuFill] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty


@dataclass
class LoggedRequest:
    """What ccxt sent. ``params`` merges query and form body, including timestamp/recvWindow/signature.

    ``status`` is 0 until the answer is sent, and stays 0 when the connection was dropped (``disconnect``)."""

    method: str
    path: str
    params: dict[str, str]
    status: int = 0
    fault: str | None = None


@dataclass
class EmuFault:
    """A pending fault; ``times`` counts down as matching requests consume it."""

    kind: str
    path: str
    method: str
    times: int
    arg: object
    where: Mapping[str, str] | None = None  # only requests whose params include these (e.g. {"side": "BUY"})

    @property
    def stall_seconds(self) -> float:
        return DEFAULT_STALL_SECONDS if self.arg is None else float(self.arg)  # type: ignore[arg-type]

    def matches(self, method: str, path: str, params: Mapping[str, str]) -> bool:
        if self.where is not None and any(params.get(k) != v for k, v in self.where.items()):
            return False
        return (self.method == "*" or self.method.upper() == method) and fnmatch.fnmatchcase(path, self.path)


# --------------------------------------------------------------------------------------------------- defaults

DEFAULT_MARKETS: tuple[EmuMarket, ...] = (
    EmuMarket(
        "BTCUSDT", "BTC", "USDT", step_size="0.00001", min_qty="0.00001", tick_size="0.01", min_notional="5"
    ),
    EmuMarket(
        "ETHUSDT", "ETH", "USDT", step_size="0.0001", min_qty="0.0001", tick_size="0.01", min_notional="5"
    ),
    EmuMarket(
        "SOLUSDT", "SOL", "USDT", step_size="0.001", min_qty="0.001", tick_size="0.01", min_notional="5"
    ),
    EmuMarket(
        "BNBUSDT", "BNB", "USDT", step_size="0.001", min_qty="0.001", tick_size="0.01", min_notional="5"
    ),
)
DEFAULT_PRICES: Mapping[str, str] = {
    "BTCUSDT": "60000",
    "ETHUSDT": "3000",
    "SOLUSDT": "150",
    "BNBUSDT": "600",
}
DEFAULT_BALANCES: Mapping[str, str] = {"USDT": "10000", "BTC": "0.5"}


# --------------------------------------------------------------------------------------------------- helpers


class _ApiError(Exception):
    """A Binance error answer: ``{"code": code, "msg": msg}`` with an HTTP status."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def _bad_request(code: int, msg: str) -> _ApiError:
    return _ApiError(400, code, msg)


def _mandatory(name: str) -> _ApiError:
    return _bad_request(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def _filter_failure(name: str) -> _ApiError:
    return _bad_request(-1013, f"Filter failure: {name}")


def _fmt(value: Decimal, places: int = 8) -> str:
    """Binance's fixed 8-decimal strings, without losing digits when a value is finer than that."""
    quantum = Decimal(1).scaleb(-places)
    padded = value.quantize(quantum)
    return f"{padded:f}" if padded == value else f"{value.normalize():f}"


def _floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value // step) * step


def _unit_hash(*parts: object) -> Decimal:
    """A deterministic number in [0, 1) from ``parts`` (stable across runs, unlike ``hash()``)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return Decimal(int.from_bytes(digest[:6], "big")) / Decimal(2**48)


def _json_response(
    payload: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(payload), status=status, content_type="application/json", headers=headers
    )


@dataclass
class _Balance:
    free: Decimal
    locked: Decimal = Decimal(0)


@dataclass(frozen=True)
class _Rules:
    """An :class:`EmuMarket` parsed to Decimals."""

    market: EmuMarket
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    tick: Decimal
    max_price: Decimal
    min_notional: Decimal
    max_notional: Decimal

    @classmethod
    def of(cls, m: EmuMarket) -> _Rules:
        return cls(
            m,
            Decimal(m.step_size),
            Decimal(m.min_qty),
            Decimal(m.max_qty),
            Decimal(m.tick_size),
            Decimal(m.max_price),
            Decimal(m.min_notional),
            Decimal(m.max_notional),
        )


@dataclass(frozen=True)
class _NewOrder:
    """A validated ``POST /api/v3/order`` request."""

    rules: _Rules
    side: str
    type: str
    time_in_force: str
    price: Decimal
    qty: Decimal
    quote_order_qty: Decimal
    client_order_id: str | None
    resp_type: str


# --------------------------------------------------------------------------------------------------- the emulator


class BinanceEmulator:
    """An aiohttp server on 127.0.0.1 (random port) that answers like Binance spot ``/api/v3``.

    Control it in-process: :meth:`set_price`, :attr:`fill_ratio`, :attr:`clock_offset_ms`, :meth:`add_fault`,
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
        self._markets = {m.symbol: _Rules.of(m) for m in (DEFAULT_MARKETS if markets is None else markets)}
        self._initial_balances = {
            a: Decimal(v) for a, v in (DEFAULT_BALANCES if balances is None else balances).items()
        }
        given_prices = {**(DEFAULT_PRICES if markets is None else {}), **(prices or {})}
        missing = sorted(set(self._markets) - set(given_prices))
        if missing:
            raise ValueError(f"no price for market(s) {', '.join(missing)}: pass prices={{symbol: price}}")
        self._initial_prices = {s: Decimal(p) for s, p in given_prices.items()}
        self.taker_fee = Decimal(taker_fee)
        self.maker_fee = Decimal(taker_fee if maker_fee is None else maker_fee)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes: dict[tuple[str, str], Callable[[dict[str, str]], object]] = {
            ("GET", "/api/v3/ping"): lambda _p: {},
            ("GET", "/api/v3/time"): lambda _p: {"serverTime": self.now_ms()},
            ("GET", "/api/v3/exchangeInfo"): self._exchange_info,
            ("GET", "/api/v3/ticker/24hr"): self._ticker_24hr,
            ("GET", "/api/v3/ticker/price"): self._ticker_price,
            ("GET", "/api/v3/ticker/bookTicker"): self._book_ticker,
            ("GET", "/api/v3/depth"): self._depth,
            ("GET", "/api/v3/klines"): self._klines,
        }
        self._signed_routes: dict[tuple[str, str], Callable[[dict[str, str]], object]] = {
            ("GET", "/api/v3/account"): self._account,
            ("POST", "/api/v3/order"): self._new_order,
            ("POST", "/api/v3/order/test"): self._test_order,
            ("GET", "/api/v3/order"): self._query_order,
            ("DELETE", "/api/v3/order"): self._cancel_order,
            ("GET", "/api/v3/openOrders"): self._open_orders,
            ("GET", "/api/v3/allOrders"): self._all_orders,
            ("GET", "/api/v3/myTrades"): self._my_trades,
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
        self._balances = {a: _Balance(v) for a, v in self._initial_balances.items()}
        for rules in self._markets.values():
            for asset in (rules.market.base, rules.market.quote):
                self._balances.setdefault(asset, _Balance(Decimal(0)))
        self._prices = dict(self._initial_prices)
        self._orders: list[EmuOrder] = []
        self._next_order_id = 1000
        self._next_trade_id = 5000
        self._weight_minute = 0
        self._weight_used = 0
        self.requests: list[LoggedRequest] = []
        self.faults: list[EmuFault] = []
        self.fill_ratio = Decimal(1)
        self.clock_offset_ms = 0
        #: Request weight allowed per minute; above it the answer is 429/-1003 (None: unlimited).
        self.weight_limit: int | None = None

    @property
    def fill_ratio(self) -> Decimal:
        """The share of each order's quantity one match fills (whole steps); the rest of an IOC/MARKET order
        expires, the rest of a GTC order rests. 1 by default."""
        return self._fill_ratio

    @fill_ratio.setter
    def fill_ratio(self, value: Decimal | str | int) -> None:
        ratio = Decimal(value)
        if not 0 <= ratio <= 1:
            raise ValueError(f"fill_ratio must be within [0, 1], got {value!r}")
        self._fill_ratio = ratio

    def now_ms(self) -> int:
        """The server clock: wall time shifted by :attr:`clock_offset_ms`."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def set_price(self, symbol: str, price: str) -> None:
        """Move the last price; resting orders it crosses fill at their limit as maker (``fill_ratio`` applies)."""
        rules = self._rules_or_raise(symbol)
        last = Decimal(price)
        if last <= 0:
            raise ValueError(f"price must be positive, got {price!r}")
        self._prices[symbol] = last
        for order in self._orders:
            if order.symbol != symbol or not order.is_open:
                continue
            crossed = order.price >= last if order.side == "BUY" else order.price <= last
            if crossed:
                qty = self._fill_share(order, rules)
                if qty > 0:
                    self._execute(order, rules, order.price, qty, maker=True)
                    self._settle(order)

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
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if kind == "error" and not (isinstance(arg, tuple) and len(arg) == 3):
            raise ValueError("the 'error' fault needs arg=(http_status, code, msg)")
        self.faults.append(EmuFault(kind, path, method, times, arg, where))

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """``(free, locked)`` of ``asset``; zeros for an asset never seen."""
        entry = self._balances.get(asset)
        return (entry.free, entry.locked) if entry else (Decimal(0), Decimal(0))

    def orders(self) -> list[EmuOrder]:
        """Every order the emulator accepted, oldest first (live objects)."""
        return list(self._orders)

    # ------------------------------------------------------------------------------------------ HTTP plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.text() if request.can_read_body else ""
        params = dict(parse_qsl(request.query_string, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        method, path = request.method, request.path
        entry = LoggedRequest(method, path, params)
        self.requests.append(entry)
        fault = self._take_fault(method, path, params)
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
                return self._answer(entry, self._fault_response(fault))

        response = self._handle(method, path, params, request.query_string + body, request.headers)

        if fault and fault.kind == "execute-then-timeout":
            await asyncio.sleep(fault.stall_seconds)
        elif fault and fault.kind == "execute-then-500":
            response = self._fault_response(EmuFault("http500", path, method, 1, None))
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

    def _take_fault(self, method: str, path: str, params: Mapping[str, str]) -> EmuFault | None:
        for fault in self.faults:
            if fault.matches(method, path, params):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: EmuFault) -> web.Response:
        kind = fault.kind
        if kind == "http429":
            msg = "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute."
            return _json_response({"code": -1003, "msg": msg}, 429, {"Retry-After": str(fault.arg or 1)})
        if kind == "http418":
            msg = (
                "Way too many requests; IP(127.0.0.1) banned. Please use WebSocket Streams for live updates."
            )
            return _json_response({"code": -1003, "msg": msg}, 418, {"Retry-After": str(fault.arg or 60)})
        if kind == "http500":
            return web.Response(text=_HTML_500, status=500, content_type="text/html")
        if kind == "http503":
            msg = "Internal error; unable to process your request. Please try again."
            return _json_response({"code": -1001, "msg": msg}, 503)
        if kind == "unknown-status":
            msg = "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
            return _json_response({"code": -1007, "msg": msg}, 408)
        if kind == "maintenance":
            return _json_response({"code": 1, "msg": "System is under maintenance."})
        if kind == "bad-json":
            # A body cut short by a proxy: looks like JSON, does not parse.
            return web.Response(text='{"balances": [{"asset": "US', content_type="application/json")
        if kind == "error":
            status, code, msg = cast("tuple[int, int, str]", fault.arg)
            return _json_response({"code": code, "msg": msg}, int(status))
        raise AssertionError(f"no canned response for {kind}")

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
                return _json_response({"code": -1003, "msg": msg}, 429, {"Retry-After": retry_after})
            if route in self._signed_routes:
                self._authenticate(params, raw, headers)
            return _json_response(handler(params))
        except _ApiError as error:
            return _json_response({"code": error.code, "msg": error.msg}, error.status)
        except ValueError:  # int() of a malformed orderId, limit, startTime …
            return _json_response({"code": -1100, "msg": "Illegal characters found in a parameter."}, 400)

    def _spend_weight(self, weight: int) -> None:
        minute = self.now_ms() // _MINUTE_MS
        if minute != self._weight_minute:
            self._weight_minute, self._weight_used = minute, 0
        self._weight_used += weight

    def _authenticate(self, params: dict[str, str], raw: str, headers: Mapping[str, str]) -> None:
        key = headers.get("X-MBX-APIKEY")
        if not key:
            raise _ApiError(401, -2014, "API-key format invalid.")
        if key != self._api_key:
            raise _ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        # Binance signs "totalParams": the query string followed by the body; ccxt puts the signature last.
        found = _SIGNATURE.search(raw)
        if found is None:
            raise _mandatory("signature")
        if not params.get("timestamp", "").isdigit():
            raise _mandatory("timestamp")
        recv_window = int(params["recvWindow"]) if params.get("recvWindow", "").isdigit() else 5000
        if recv_window > _MAX_RECV_WINDOW:
            raise _bad_request(-1131, "recvWindow must be less than 60000")
        timestamp, now = int(params["timestamp"]), self.now_ms()
        if timestamp >= now + 1000:
            raise _bad_request(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > recv_window:
            raise _bad_request(-1021, "Timestamp for this request is outside of the recvWindow.")
        expected = hmac.new(self._secret, raw[: found.start()].encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, found.group(1)):
            raise _bad_request(-1022, "Signature for this request is not valid.")

    # ------------------------------------------------------------------------------------------ market data

    def _rules_or_raise(self, symbol: str) -> _Rules:
        rules = self._markets.get(symbol)
        if rules is None:
            raise KeyError(f"unknown symbol {symbol!r}")
        return rules

    def _rules(self, params: dict[str, str]) -> _Rules:
        symbol = params.get("symbol")
        if not symbol:
            raise _mandatory("symbol")
        rules = self._markets.get(symbol)
        if rules is None:
            raise _bad_request(-1121, "Invalid symbol.")
        return rules

    def _selected(self, params: dict[str, str]) -> list[_Rules] | _Rules:
        """``symbol=`` → one market; ``symbols=["A","B"]`` → those; neither → all (Binance's ticker rules)."""
        if params.get("symbol"):
            return self._rules(params)
        if params.get("symbols"):
            try:
                names = json.loads(params["symbols"])
            except ValueError:
                names = None
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise _bad_request(-1100, "Illegal characters found in parameter 'symbols'.")
            return [self._rules({"symbol": n}) for n in names]
        return list(self._markets.values())

    def _each(self, params: dict[str, str], render: Callable[[_Rules], dict[str, object]]) -> object:
        selected = self._selected(params)
        return render(selected) if isinstance(selected, _Rules) else [render(r) for r in selected]

    def _exchange_info(self, params: dict[str, str]) -> object:
        selected = self._selected(params)
        symbols = [selected] if isinstance(selected, _Rules) else selected
        return {
            "timezone": "UTC",
            "serverTime": self.now_ms(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            ],
            "exchangeFilters": [],
            "symbols": [self._symbol_info(r) for r in symbols],
        }

    @staticmethod
    def _symbol_info(r: _Rules) -> dict[str, object]:
        m = r.market
        return {
            "symbol": m.symbol,
            "status": "TRADING",
            "baseAsset": m.base,
            "baseAssetPrecision": 8,
            "quoteAsset": m.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
            "icebergAllowed": False,
            "ocoAllowed": False,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": m.tick_size,
                    "maxPrice": m.max_price,
                    "tickSize": m.tick_size,
                },
                {"filterType": "LOT_SIZE", "minQty": m.min_qty, "maxQty": m.max_qty, "stepSize": m.step_size},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": m.max_qty, "stepSize": "0"},
                {
                    "filterType": "NOTIONAL",
                    "minNotional": m.min_notional,
                    "applyMinToMarket": True,
                    "maxNotional": m.max_notional,
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

    def _book(self, r: _Rules) -> tuple[Decimal, Decimal, Decimal]:
        """(bid, ask, quantity per level): one tick either side of the last price, ~10k quote per level."""
        last = self._prices[r.market.symbol]
        level_qty = max(_floor_to(Decimal(10_000) / last, r.step), r.min_qty)
        return max(last - r.tick, r.tick), last + r.tick, level_qty

    def _ticker_24hr(self, params: dict[str, str]) -> object:
        def render(r: _Rules) -> dict[str, object]:
            last = self._prices[r.market.symbol]
            bid, ask, qty = self._book(r)
            now = self.now_ms()
            volume = Decimal(1000)
            return {
                "symbol": r.market.symbol,
                "priceChange": "0.00000000",
                "priceChangePercent": "0.000",
                "weightedAvgPrice": _fmt(last),
                "prevClosePrice": _fmt(last),
                "lastPrice": _fmt(last),
                "lastQty": _fmt(r.min_qty),
                "bidPrice": _fmt(bid),
                "bidQty": _fmt(qty),
                "askPrice": _fmt(ask),
                "askQty": _fmt(qty),
                "openPrice": _fmt(last),
                "highPrice": _fmt(last),
                "lowPrice": _fmt(last),
                "volume": _fmt(volume),
                "quoteVolume": _fmt(volume * last),
                "openTime": now - _DAY_MS,
                "closeTime": now,
                "firstId": 1,
                "lastId": 1000,
                "count": 1000,
            }

        return self._each(params, render)

    def _ticker_price(self, params: dict[str, str]) -> object:
        return self._each(
            params, lambda r: {"symbol": r.market.symbol, "price": _fmt(self._prices[r.market.symbol])}
        )

    def _book_ticker(self, params: dict[str, str]) -> object:
        def render(r: _Rules) -> dict[str, object]:
            bid, ask, qty = self._book(r)
            return {
                "symbol": r.market.symbol,
                "bidPrice": _fmt(bid),
                "bidQty": _fmt(qty),
                "askPrice": _fmt(ask),
                "askQty": _fmt(qty),
            }

        return self._each(params, render)

    def _depth(self, params: dict[str, str]) -> object:
        r = self._rules(params)
        limit = min(int(params.get("limit") or 100), 5000)
        last, (_, _, qty) = self._prices[r.market.symbol], self._book(r)
        bids = [last - i * r.tick for i in range(1, limit + 1) if last - i * r.tick > 0]
        asks = [last + i * r.tick for i in range(1, limit + 1)]
        return {
            "lastUpdateId": 1,
            "bids": [[_fmt(p), _fmt(qty)] for p in bids],
            "asks": [[_fmt(p), _fmt(qty)] for p in asks],
        }

    def _klines(self, params: dict[str, str]) -> object:
        """Deterministic candles around the current price; the still-open candle closes at the last price."""
        r = self._rules(params)
        interval = params.get("interval")
        if not interval:
            raise _mandatory("interval")
        if interval not in _INTERVAL_MS:
            raise _bad_request(-1120, "Invalid interval.")
        span = _INTERVAL_MS[interval]
        offset = (
            4 * _DAY_MS if interval == "1w" else 0
        )  # Binance weeks open on Monday; 1970-01-01 was a Thursday

        def align(ms: int) -> int:
            return (ms - offset) // span * span + offset

        limit = max(1, min(int(params.get("limit") or 500), 1000))
        current = align(self.now_ms())
        end = min(current, align(int(params["endTime"]))) if params.get("endTime") else current
        if params.get("startTime"):
            first = align(int(params["startTime"]))
            first += span if first < int(params["startTime"]) else 0
            opens = list(range(first, end + 1, span))[:limit]
        else:
            opens = [end - i * span for i in range(limit - 1, -1, -1)]
        return [self._candle(r, interval, t, span, current) for t in opens]

    def _close_at(self, r: _Rules, interval: str, open_time: int, current: int) -> Decimal:
        last = self._prices[r.market.symbol]
        if open_time >= current:
            return last
        amplitude = Decimal("0.02") + _unit_hash(r.market.symbol) * Decimal("0.04")  # ±2..6 % per symbol
        factor = 1 + (2 * _unit_hash(r.market.symbol, interval, open_time) - 1) * amplitude
        return max((last * factor).quantize(r.tick), r.tick)

    def _candle(self, r: _Rules, interval: str, open_time: int, span: int, current: int) -> list[object]:
        open_ = self._close_at(r, interval, open_time - span, current)
        close = self._close_at(r, interval, open_time, current)
        wick = 1 + Decimal("0.005")
        high = (max(open_, close) * wick).quantize(r.tick, rounding=ROUND_CEILING)
        low = (min(open_, close) / wick).quantize(r.tick, rounding=ROUND_FLOOR)
        volume = _floor_to(Decimal(500) + _unit_hash("vol", r.market.symbol, open_time) * 1000, r.step)
        return [
            open_time,
            _fmt(open_),
            _fmt(high),
            _fmt(low),
            _fmt(close),
            _fmt(volume),
            open_time + span - 1,
            _fmt(volume * close),
            1000,
            _fmt(volume / 2),
            _fmt(volume * close / 2),
            "0",
        ]

    # ------------------------------------------------------------------------------------------ account

    def _bal(self, asset: str) -> _Balance:
        return self._balances.setdefault(asset, _Balance(Decimal(0)))

    def _account(self, params: dict[str, str]) -> object:
        omit_zero = params.get("omitZeroBalances") == "true"
        return {
            "makerCommission": int(self.maker_fee * 10_000),
            "takerCommission": int(self.taker_fee * 10_000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": _fmt(self.maker_fee),
                "taker": _fmt(self.taker_fee),
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self.now_ms(),
            "accountType": "SPOT",
            "balances": [
                {"asset": asset, "free": _fmt(b.free), "locked": _fmt(b.locked)}
                for asset, b in self._balances.items()
                if not (omit_zero and b.free == 0 and b.locked == 0)
            ],
            "permissions": ["SPOT"],
            "uid": 1,
        }

    # ------------------------------------------------------------------------------------------ orders

    def _validate_new_order(self, params: dict[str, str]) -> _NewOrder:
        for name in ("symbol", "side", "type"):
            if not params.get(name):
                raise _mandatory(name)
        rules = self._rules(params)
        side, type_ = params["side"], params["type"]
        if side not in ("BUY", "SELL"):
            raise _bad_request(-1117, "Invalid side.")
        if type_ not in ("LIMIT", "MARKET", "LIMIT_MAKER"):
            raise _bad_request(-1116, "Invalid orderType.")
        cid = params.get("newClientOrderId") or None
        if cid is not None and not _CLIENT_ORDER_ID.match(cid):
            raise _bad_request(
                -1100,
                "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
            )
        price, qty, quote_qty = (self._decimal(params, n) for n in ("price", "quantity", "quoteOrderQty"))
        tif = params.get("timeInForce") or ""
        if type_ == "MARKET":
            if tif:
                raise _bad_request(-1106, "Parameter 'timeInForce' sent when not required.")
            if price is not None:
                raise _bad_request(-1106, "Parameter 'price' sent when not required.")
            if qty is None and quote_qty is None:
                raise _bad_request(
                    -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
                )
            if qty is not None and quote_qty is not None:
                raise _bad_request(-1106, "Parameter 'quoteOrderQty' sent when not required.")
            tif = "GTC"
        else:
            if type_ == "LIMIT" and not tif:
                raise _mandatory("timeInForce")
            if type_ == "LIMIT_MAKER" and tif:
                raise _bad_request(-1106, "Parameter 'timeInForce' sent when not required.")
            tif = tif or "GTC"
            if tif not in ("GTC", "IOC", "FOK"):
                raise _bad_request(-1115, "Invalid timeInForce.")
            if quote_qty is not None:
                raise _bad_request(-1106, "Parameter 'quoteOrderQty' sent when not required.")
            if price is None:
                raise _mandatory("price")
            if qty is None:
                raise _mandatory("quantity")
        for value in (price, qty, quote_qty):
            if value is not None and value.as_tuple().exponent < -8:  # type: ignore[operator]
                raise _bad_request(-1111, "Precision is over the maximum defined for this asset.")
        last = self._prices[rules.market.symbol]
        if type_ == "MARKET":
            price = Decimal(0)
            if quote_qty is not None:
                # Binance sizes a quoteOrderQty order in whole steps at the current price.
                if not rules.min_notional <= quote_qty <= rules.max_notional:
                    raise _filter_failure("NOTIONAL")
                qty = _floor_to(quote_qty / last, rules.step)
        else:
            assert price is not None
            if price < rules.tick or price > rules.max_price or price % rules.tick != 0:
                raise _filter_failure("PRICE_FILTER")
        assert qty is not None
        if qty < rules.min_qty or qty > rules.max_qty or (qty - rules.min_qty) % rules.step != 0:
            raise _filter_failure("LOT_SIZE")
        notional = qty * (last if type_ == "MARKET" else price)
        if notional < rules.min_notional or (type_ != "MARKET" and notional > rules.max_notional):
            raise _filter_failure("NOTIONAL")
        resp_type = params.get("newOrderRespType") or "FULL"
        if resp_type not in ("ACK", "RESULT", "FULL"):
            raise _bad_request(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
        return _NewOrder(rules, side, type_, tif, price, qty, quote_qty or Decimal(0), cid, resp_type)

    @staticmethod
    def _decimal(params: dict[str, str], name: str) -> Decimal | None:
        raw = params.get(name)
        if not raw:
            return None
        if not _DECIMAL_PARAM.match(raw):
            raise _bad_request(
                -1100,
                f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.",
            )
        return Decimal(raw)

    def _test_order(self, params: dict[str, str]) -> object:
        self._validate_new_order(params)
        return {}

    def _new_order(self, params: dict[str, str]) -> object:
        new = self._validate_new_order(params)
        market = new.rules.market
        if new.client_order_id and any(
            o.client_order_id == new.client_order_id and o.is_open for o in self._orders
        ):
            raise _bad_request(-2010, "Duplicate order sent.")
        last = self._prices[market.symbol]
        marketable = new.type == "MARKET" or (new.price >= last if new.side == "BUY" else new.price <= last)
        if new.type == "LIMIT_MAKER" and marketable:
            raise _bad_request(-2010, "Order would immediately match and take.")
        if new.side == "BUY":
            lock_asset = market.quote
            lock = new.quote_order_qty or new.qty * (last if new.type == "MARKET" else new.price)
        else:
            lock_asset, lock = market.base, new.qty
        balance = self._bal(lock_asset)
        if balance.free < lock:
            raise _bad_request(-2010, _INSUFFICIENT)
        balance.free -= lock
        balance.locked += lock
        now = self.now_ms()
        order = EmuOrder(
            id=self._next_order_id,
            client_order_id=new.client_order_id or f"emu{self._next_order_id}",
            symbol=market.symbol,
            side=new.side,
            type=new.type,
            time_in_force=new.time_in_force,
            price=new.price,
            orig_qty=new.qty,
            orig_quote_order_qty=new.quote_order_qty,
            time=now,
            locked_asset=lock_asset,
            locked=lock,
            update_time=now,
        )
        self._next_order_id += 1
        self._orders.append(order)
        if marketable:
            qty = self._fill_share(order, new.rules)
            if new.time_in_force == "FOK" and qty < order.orig_qty:
                qty = Decimal(0)
            if qty > 0:
                self._execute(order, new.rules, last, qty, maker=False)
        self._settle(order)
        return self._order_result(order, new.resp_type, now)

    def _fill_share(self, order: EmuOrder, rules: _Rules) -> Decimal:
        """What one match fills: ``fill_ratio`` of the original quantity, in whole steps."""
        return min(order.remaining, _floor_to(order.orig_qty * self.fill_ratio, rules.step))

    def _execute(self, order: EmuOrder, rules: _Rules, price: Decimal, qty: Decimal, *, maker: bool) -> None:
        """One fill: spend from the order's lock, credit the received asset minus the commission on it."""
        market, quote_qty = rules.market, price * qty
        if order.side == "BUY":
            spent, received_asset, received = quote_qty, market.base, qty
        else:
            spent, received_asset, received = qty, market.quote, quote_qty
        commission = received * (self.maker_fee if maker else self.taker_fee)
        locked = self._bal(order.locked_asset)
        locked.locked -= spent
        order.locked -= spent
        self._bal(received_asset).free += received - commission
        order.executed_qty += qty
        order.cummulative_quote_qty += quote_qty
        order.update_time = self.now_ms()
        order.fills.append(
            EmuFill(
                self._next_trade_id,
                price,
                qty,
                quote_qty,
                commission,
                received_asset,
                order.update_time,
                maker,
            )
        )
        self._next_trade_id += 1

    def _settle(self, order: EmuOrder) -> None:
        """Set the status after matching and give back what the order no longer needs locked."""
        if order.executed_qty == order.orig_qty:
            order.status = "FILLED"
        elif order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"):
            order.status = "EXPIRED"  # the unfilled remainder of an immediate order lapses
        else:
            order.status = "PARTIALLY_FILLED" if order.executed_qty > 0 else "NEW"
        self._release(order)

    def _release(self, order: EmuOrder) -> None:
        if order.is_open:
            needed = order.remaining * order.price if order.side == "BUY" else order.remaining
        else:
            needed = Decimal(0)
        surplus = order.locked - needed
        if surplus > 0:
            balance = self._bal(order.locked_asset)
            balance.locked -= surplus
            balance.free += surplus
            order.locked = needed

    def _find_order(self, params: dict[str, str], code: int, msg: str) -> EmuOrder:
        symbol = self._rules(params).market.symbol
        order_id, cid = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not cid:
            raise _bad_request(
                -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        candidates = [
            o
            for o in self._orders
            if o.symbol == symbol and (str(o.id) == order_id if order_id else o.client_order_id == cid)
        ]
        if not candidates:
            raise _bad_request(code, msg)
        # A client id may be reused once its order closed: prefer the open one, then the newest.
        return max(candidates, key=lambda o: (o.is_open, o.id))

    def _query_order(self, params: dict[str, str]) -> object:
        return self._order_json(self._find_order(params, -2013, "Order does not exist."))

    def _cancel_order(self, params: dict[str, str]) -> object:
        order = self._find_order(params, -2011, "Unknown order sent.")
        if not order.is_open:
            raise _bad_request(-2011, "Unknown order sent.")
        order.status = "CANCELED"
        order.update_time = self.now_ms()
        self._release(order)
        # As on Binance, "clientOrderId" is the *cancel request's* id; the order's own is "origClientOrderId".
        answer = self._order_json(order)
        answer.update(
            origClientOrderId=order.client_order_id,
            clientOrderId=params.get("newClientOrderId") or f"emucancel{order.id}",
            transactTime=order.update_time,
        )
        for key in ("time", "updateTime", "isWorking", "workingTime", "stopPrice", "icebergQty"):
            answer.pop(key)
        return answer

    def _open_orders(self, params: dict[str, str]) -> object:
        symbol = self._rules(params).market.symbol if params.get("symbol") else None
        return [self._order_json(o) for o in self._orders if o.is_open and symbol in (None, o.symbol)]

    @staticmethod
    def _window(
        rows: list[Any], params: dict[str, str], time_of: Callable[[Any], int], forward: bool
    ) -> list[Any]:
        """Binance's paging: startTime/endTime bound by time; ``forward`` (fromId/orderId given or a start)
        takes the oldest ``limit`` rows, otherwise the newest."""
        start, end = params.get("startTime"), params.get("endTime")
        rows = [
            r for r in rows if (not start or time_of(r) >= int(start)) and (not end or time_of(r) <= int(end))
        ]
        limit = max(1, min(int(params.get("limit") or 500), 1000))
        return rows[:limit] if forward or start else rows[-limit:]

    def _all_orders(self, params: dict[str, str]) -> object:
        symbol = self._rules(params).market.symbol
        rows = [o for o in self._orders if o.symbol == symbol]
        if params.get("orderId"):
            rows = [o for o in rows if o.id >= int(params["orderId"])]
        picked = self._window(rows, params, lambda o: o.time, forward=bool(params.get("orderId")))
        return [self._order_json(o) for o in picked]

    def _my_trades(self, params: dict[str, str]) -> object:
        symbol = self._rules(params).market.symbol
        rows = [(o, f) for o in self._orders if o.symbol == symbol for f in o.fills]
        if params.get("orderId"):
            rows = [(o, f) for o, f in rows if str(o.id) == params["orderId"]]
        if params.get("fromId"):
            rows = [(o, f) for o, f in rows if f.trade_id >= int(params["fromId"])]
        rows.sort(key=lambda row: row[1].trade_id)
        picked = self._window(rows, params, lambda row: row[1].time, forward=bool(params.get("fromId")))
        return [
            {
                "symbol": o.symbol,
                "id": f.trade_id,
                "orderId": o.id,
                "orderListId": -1,
                "price": _fmt(f.price),
                "qty": _fmt(f.qty),
                "quoteQty": _fmt(f.quote_qty),
                "commission": _fmt(f.commission),
                "commissionAsset": f.commission_asset,
                "time": f.time,
                "isBuyer": o.side == "BUY",
                "isMaker": f.is_maker,
                "isBestMatch": True,
            }
            for o, f in picked
        ]

    # ------------------------------------------------------------------------------------------ order JSON

    @staticmethod
    def _order_core(order: EmuOrder) -> dict[str, object]:
        return {
            "symbol": order.symbol,
            "orderId": order.id,
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "price": _fmt(order.price),
            "origQty": _fmt(order.orig_qty),
            "executedQty": _fmt(order.executed_qty),
            "cummulativeQuoteQty": _fmt(order.cummulative_quote_qty),
            "status": order.status,
            "timeInForce": order.time_in_force,
            "type": order.type,
            "side": order.side,
        }

    def _order_json(self, order: EmuOrder) -> dict[str, object]:
        """The ``GET /api/v3/order`` shape (no fills: ccxt's fetch_order has no fee, see the note §3)."""
        return {
            **self._order_core(order),
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": order.time,
            "updateTime": order.update_time,
            "isWorking": True,
            "workingTime": order.time,
            "origQuoteOrderQty": _fmt(order.orig_quote_order_qty),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }

    def _order_result(self, order: EmuOrder, resp_type: str, transact_time: int) -> dict[str, object]:
        """The ``POST /api/v3/order`` answer for ``newOrderRespType`` ACK, RESULT or FULL."""
        ack: dict[str, object] = {
            "symbol": order.symbol,
            "orderId": order.id,
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "transactTime": transact_time,
        }
        if resp_type == "ACK":
            return ack
        result = {
            **ack,
            **self._order_core(order),
            "origQuoteOrderQty": _fmt(order.orig_quote_order_qty),
            "workingTime": transact_time,
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }
        if resp_type == "FULL":
            result["fills"] = [
                {
                    "price": _fmt(f.price),
                    "qty": _fmt(f.qty),
                    "commission": _fmt(f.commission),
                    "commissionAsset": f.commission_asset,
                    "tradeId": f.trade_id,
                }
                for f in order.fills
            ]
        return result


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

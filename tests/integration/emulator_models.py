"""The Binance emulator's shared vocabulary: public dataclasses, default markets, parsed market rules, the
Binance error type and the number/JSON formatting every answer uses. No server and no state here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from aiohttp import web

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


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
        return self.status in OPEN_STATUSES

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
    # a stablecoin against the quote (the guards' depeg reference for a USDC portfolio)
    EmuMarket("USDCUSDT", "USDC", "USDT", step_size="1", min_qty="1", tick_size="0.0001", min_notional="5"),
    # cross pairs, with Binance's filters: notional minimums in their own quote asset
    EmuMarket(
        "ETHBTC",
        "ETH",
        "BTC",
        step_size="0.0001",
        min_qty="0.0001",
        tick_size="0.00001",
        min_notional="0.0001",
    ),
    EmuMarket(
        "BNBBTC",
        "BNB",
        "BTC",
        step_size="0.001",
        min_qty="0.001",
        tick_size="0.000001",
        min_notional="0.0001",
    ),
    EmuMarket(
        "SOLBTC",
        "SOL",
        "BTC",
        step_size="0.001",
        min_qty="0.001",
        tick_size="0.0000001",
        min_notional="0.0001",
    ),
    EmuMarket(
        "SOLETH", "SOL", "ETH", step_size="0.001", min_qty="0.001", tick_size="0.00001", min_notional="0.001"
    ),
    EmuMarket(
        "BNBETH", "BNB", "ETH", step_size="0.001", min_qty="0.001", tick_size="0.00001", min_notional="0.001"
    ),
)
#: The default markets quoted in USDT (the ones a USDT portfolio trades without routing).
USDT_MARKETS: tuple[EmuMarket, ...] = tuple(m for m in DEFAULT_MARKETS if m.quote == "USDT")
#: The default markets between two other assets (routing: cheapest).
CROSS_MARKETS: tuple[EmuMarket, ...] = tuple(m for m in DEFAULT_MARKETS if "USDT" not in (m.base, m.quote))
DEFAULT_PRICES: Mapping[str, str] = {
    "BTCUSDT": "60000",
    "ETHUSDT": "3000",
    "SOLUSDT": "150",
    "BNBUSDT": "600",
    "USDCUSDT": "1",
    # the cross prices agree with the USDT prices (3000 / 60000 = 0.05 BTC per ETH)
    "ETHBTC": "0.05",
    "BNBBTC": "0.01",
    "SOLBTC": "0.0025",
    "SOLETH": "0.05",
    "BNBETH": "0.2",
}
#: Binance's symbol statuses; any but TRADING refuses new orders ("Market is closed.").
SYMBOL_STATUSES = frozenset({"TRADING", "BREAK", "HALT", "END_OF_DAY", "PRE_TRADING", "POST_TRADING"})
DEFAULT_BALANCES: Mapping[str, str] = {"USDT": "10000", "BTC": "0.5"}


# --------------------------------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A Binance error answer: ``{"code": code, "msg": msg}`` with an HTTP status."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def bad_request(code: int, msg: str) -> ApiError:
    return ApiError(400, code, msg)


def mandatory(name: str) -> ApiError:
    return bad_request(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def filter_failure(name: str) -> ApiError:
    return bad_request(-1013, f"Filter failure: {name}")


# --------------------------------------------------------------------------------------------------- formatting


def fmt(value: Decimal, places: int = 8) -> str:
    """Binance's fixed 8-decimal strings, without losing digits when a value is finer than that."""
    quantum = Decimal(1).scaleb(-places)
    padded = value.quantize(quantum)
    return f"{padded:f}" if padded == value else f"{value.normalize():f}"


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value // step) * step


def unit_hash(*parts: object) -> Decimal:
    """A deterministic number in [0, 1) from ``parts`` (stable across runs, unlike ``hash()``)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return Decimal(int.from_bytes(digest[:6], "big")) / Decimal(2**48)


def json_response(
    payload: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(payload), status=status, content_type="application/json", headers=headers
    )


# --------------------------------------------------------------------------------------------------- internal types


@dataclass
class Balance:
    free: Decimal
    locked: Decimal = Decimal(0)


@dataclass(frozen=True)
class Rules:
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
    def of(cls, m: EmuMarket) -> Rules:
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


def lookup_rules(markets: Mapping[str, Rules], params: Mapping[str, str]) -> Rules:
    """The market a request's ``symbol`` names (-1102 when missing, -1121 when unknown)."""
    symbol = params.get("symbol")
    if not symbol:
        raise mandatory("symbol")
    rules = markets.get(symbol)
    if rules is None:
        raise bad_request(-1121, "Invalid symbol.")
    return rules


@dataclass(frozen=True)
class NewOrder:
    """A validated ``POST /api/v3/order`` request."""

    rules: Rules
    side: str
    type: str
    time_in_force: str
    price: Decimal
    qty: Decimal
    quote_order_qty: Decimal
    client_order_id: str | None
    resp_type: str

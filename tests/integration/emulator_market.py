"""The Binance emulator's public market data: exchangeInfo, tickers, depth and klines, all derived from the
book's markets and last prices (a synthetic one-tick spread and deterministic candles)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from emulator_book import Book
from emulator_models import Rules, bad_request, floor_to, fmt, lookup_rules, mandatory, unit_hash

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


class MarketData:
    """The market-data endpoints over ``book``; each takes the request params and returns the JSON payload."""

    def __init__(self, book: Book, clock: Callable[[], int]) -> None:
        self._book = book
        self._clock = clock
        #: Per symbol: the price 24 hours ago (the 24-hour ticker's open and change; default: the last
        #: price, no change) and how many milliseconds ago its last trade was (default: now).
        self.day_opens: dict[str, Decimal] = {}
        self.ticker_ages_ms: dict[str, int] = {}

    def _selected(self, params: dict[str, str]) -> list[Rules] | Rules:
        """``symbol=`` → one market; ``symbols=["A","B"]`` → those; neither → all (Binance's ticker rules)."""
        markets = self._book.markets
        if params.get("symbol"):
            return lookup_rules(markets, params)
        if params.get("symbols"):
            try:
                names = json.loads(params["symbols"])
            except ValueError:
                names = None
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise bad_request(-1100, "Illegal characters found in parameter 'symbols'.")
            return [lookup_rules(markets, {"symbol": n}) for n in names]
        return list(markets.values())

    def _each(self, params: dict[str, str], render: Callable[[Rules], dict[str, object]]) -> object:
        selected = self._selected(params)
        return render(selected) if isinstance(selected, Rules) else [render(r) for r in selected]

    def exchange_info(self, params: dict[str, str]) -> object:
        selected = self._selected(params)
        symbols = [selected] if isinstance(selected, Rules) else selected
        return {
            "timezone": "UTC",
            "serverTime": self._clock(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            ],
            "exchangeFilters": [],
            "symbols": [self._symbol_info(r, self._book.statuses[r.market.symbol]) for r in symbols],
        }

    @staticmethod
    def _symbol_info(r: Rules, status: str) -> dict[str, object]:
        m = r.market
        return {
            "symbol": m.symbol,
            "status": status,
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

    def _top(self, r: Rules) -> tuple[Decimal, Decimal, Decimal]:
        """(bid, ask, quantity per level): one tick either side of the last price, ~10k quote per level."""
        last = self._book.prices[r.market.symbol]
        level_qty = max(floor_to(Decimal(10_000) / last, r.step), r.min_qty)
        return max(last - r.tick, r.tick), last + r.tick, level_qty

    def ticker_24hr(self, params: dict[str, str]) -> object:
        def render(r: Rules) -> dict[str, object]:
            last = self._book.prices[r.market.symbol]
            bid, ask, qty = self._top(r)
            now = self._clock() - self.ticker_ages_ms.get(r.market.symbol, 0)
            opened = self.day_opens.get(r.market.symbol, last)
            volume = Decimal(1000)
            return {
                "symbol": r.market.symbol,
                "priceChange": fmt(last - opened),
                "priceChangePercent": fmt(((last - opened) * 100 / opened).quantize(Decimal("0.001"))),
                "weightedAvgPrice": fmt(last),
                "prevClosePrice": fmt(opened),
                "lastPrice": fmt(last),
                "lastQty": fmt(r.min_qty),
                "bidPrice": fmt(bid),
                "bidQty": fmt(qty),
                "askPrice": fmt(ask),
                "askQty": fmt(qty),
                "openPrice": fmt(opened),
                "highPrice": fmt(last),
                "lowPrice": fmt(last),
                "volume": fmt(volume),
                "quoteVolume": fmt(volume * last),
                "openTime": now - _DAY_MS,
                "closeTime": now,
                "firstId": 1,
                "lastId": 1000,
                "count": 1000,
            }

        return self._each(params, render)

    def ticker_price(self, params: dict[str, str]) -> object:
        return self._each(
            params, lambda r: {"symbol": r.market.symbol, "price": fmt(self._book.prices[r.market.symbol])}
        )

    def book_ticker(self, params: dict[str, str]) -> object:
        def render(r: Rules) -> dict[str, object]:
            bid, ask, qty = self._top(r)
            return {
                "symbol": r.market.symbol,
                "bidPrice": fmt(bid),
                "bidQty": fmt(qty),
                "askPrice": fmt(ask),
                "askQty": fmt(qty),
            }

        return self._each(params, render)

    def depth(self, params: dict[str, str]) -> object:
        r = lookup_rules(self._book.markets, params)
        limit = min(int(params.get("limit") or 100), 5000)
        last, (_, _, qty) = self._book.prices[r.market.symbol], self._top(r)
        bids = [last - i * r.tick for i in range(1, limit + 1) if last - i * r.tick > 0]
        asks = [last + i * r.tick for i in range(1, limit + 1)]
        return {
            "lastUpdateId": 1,
            "bids": [[fmt(p), fmt(qty)] for p in bids],
            "asks": [[fmt(p), fmt(qty)] for p in asks],
        }

    def klines(self, params: dict[str, str]) -> object:
        """Deterministic candles around the current price; the still-open candle closes at the last price."""
        r = lookup_rules(self._book.markets, params)
        interval = params.get("interval")
        if not interval:
            raise mandatory("interval")
        if interval not in _INTERVAL_MS:
            raise bad_request(-1120, "Invalid interval.")
        span = _INTERVAL_MS[interval]
        offset = (
            4 * _DAY_MS if interval == "1w" else 0
        )  # Binance weeks open on Monday; 1970-01-01 was a Thursday

        def align(ms: int) -> int:
            return (ms - offset) // span * span + offset

        limit = max(1, min(int(params.get("limit") or 500), 1000))
        current = align(self._clock())
        end = min(current, align(int(params["endTime"]))) if params.get("endTime") else current
        if params.get("startTime"):
            first = align(int(params["startTime"]))
            first += span if first < int(params["startTime"]) else 0
            opens = list(range(first, end + 1, span))[:limit]
        else:
            opens = [end - i * span for i in range(limit - 1, -1, -1)]
        return [self._candle(r, interval, t, span, current) for t in opens]

    def _close_at(self, r: Rules, interval: str, open_time: int, current: int) -> Decimal:
        last = self._book.prices[r.market.symbol]
        if open_time >= current:
            return last
        amplitude = Decimal("0.02") + unit_hash(r.market.symbol) * Decimal("0.04")  # ±2..6 % per symbol
        factor = 1 + (2 * unit_hash(r.market.symbol, interval, open_time) - 1) * amplitude
        return max((last * factor).quantize(r.tick), r.tick)

    def _candle(self, r: Rules, interval: str, open_time: int, span: int, current: int) -> list[object]:
        open_ = self._close_at(r, interval, open_time - span, current)
        close = self._close_at(r, interval, open_time, current)
        wick = 1 + Decimal("0.005")
        high = (max(open_, close) * wick).quantize(r.tick, rounding=ROUND_CEILING)
        low = (min(open_, close) / wick).quantize(r.tick, rounding=ROUND_FLOOR)
        volume = floor_to(Decimal(500) + unit_hash("vol", r.market.symbol, open_time) * 1000, r.step)
        return [
            open_time,
            fmt(open_),
            fmt(high),
            fmt(low),
            fmt(close),
            fmt(volume),
            open_time + span - 1,
            fmt(volume * close),
            1000,
            fmt(volume / 2),
            fmt(volume * close / 2),
            "0",
        ]

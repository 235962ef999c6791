"""The Binance emulator's account and order book: balances, last prices and orders; matching, fills, fees and
locks; the account and order endpoints. Each endpoint method takes the request params and returns the JSON
payload, raising ``ApiError`` for a Binance error.

All state changes happen synchronously inside one call (no ``await`` between check and update), so concurrent
requests never see half-applied orders. Money is ``Decimal`` end to end and exact: commissions are not rounded
to Binance's 8 decimals, so a test can compute the expected balance with plain Decimal arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from emulator_models import (
    SYMBOL_STATUSES,
    Balance,
    EmuFill,
    EmuOrder,
    NewOrder,
    Rules,
    bad_request,
    floor_to,
    fmt,
    lookup_rules,
)
from emulator_orders import cancel_json, order_json, order_result, trade_json, validate_new_order

_INSUFFICIENT = "Account has insufficient balance for requested action."


class Book:
    """One emulated spot account on ``markets``; ``clock`` gives the server time in ms."""

    def __init__(
        self,
        markets: Mapping[str, Rules],
        balances: Mapping[str, Decimal],
        prices: Mapping[str, Decimal],
        *,
        taker_fee: Decimal,
        maker_fee: Decimal,
        clock: Callable[[], int],
    ) -> None:
        self._listed = markets
        self.markets: Mapping[str, Rules] = markets
        self._initial_balances = balances
        self._initial_prices = prices
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Back to the initial balances, prices and markets: no orders, no partial fills. Fees are kept."""
        self.markets = self._listed
        self.balances = {a: Balance(v) for a, v in self._initial_balances.items()}
        for rules in self.markets.values():
            for asset in (rules.market.base, rules.market.quote):
                self.balances.setdefault(asset, Balance(Decimal(0)))
        self.prices = dict(self._initial_prices)
        #: Binance's status of each symbol (exchangeInfo ``status``); new orders need TRADING.
        self.statuses = dict.fromkeys(self.markets, "TRADING")
        self.orders: list[EmuOrder] = []
        self._next_order_id = 1000
        self._next_trade_id = 5000
        self.fill_ratio = Decimal(1)

    @property
    def fill_ratio(self) -> Decimal:
        return self._fill_ratio

    @fill_ratio.setter
    def fill_ratio(self, value: Decimal | str | int) -> None:
        ratio = Decimal(value)
        if not 0 <= ratio <= 1:
            raise ValueError(f"fill_ratio must be within [0, 1], got {value!r}")
        self._fill_ratio = ratio

    # ------------------------------------------------------------------------------------------ control plane

    def rules_or_raise(self, symbol: str) -> Rules:
        rules = self.markets.get(symbol)
        if rules is None:
            raise KeyError(f"unknown symbol {symbol!r}")
        return rules

    def set_price(self, symbol: str, price: str) -> None:
        """Move the last price; resting orders it crosses fill at their limit as maker (``fill_ratio`` applies)."""
        rules = self.rules_or_raise(symbol)
        last = Decimal(price)
        if last <= 0:
            raise ValueError(f"price must be positive, got {price!r}")
        self.prices[symbol] = last
        for order in self.orders:
            if order.symbol != symbol or not order.is_open:
                continue
            crossed = order.price >= last if order.side == "BUY" else order.price <= last
            if crossed:
                qty = self._fill_share(order, rules)
                if qty > 0:
                    self._execute(order, rules, order.price, qty, maker=True)
                    self._settle(order)

    def set_status(self, symbol: str, status: str) -> None:
        """Set the symbol's Binance status (``BREAK``, ``HALT``, ... ``TRADING``); resting orders stay."""
        self.rules_or_raise(symbol)
        if status not in SYMBOL_STATUSES:
            raise ValueError(f"status must be one of {sorted(SYMBOL_STATUSES)}, got {status!r}")
        self.statuses[symbol] = status

    def delist(self, symbol: str) -> None:
        """Take the symbol off the exchange: gone from exchangeInfo and the tickers, orders on it rejected as
        an unknown symbol; balances stay."""
        self.rules_or_raise(symbol)
        self.markets = {s: r for s, r in self.markets.items() if s != symbol}

    def _require_trading(self, new: NewOrder) -> None:
        if self.statuses[new.rules.market.symbol] != "TRADING":
            raise bad_request(-1013, "Market is closed.")

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """``(free, locked)`` of ``asset``; zeros for an asset never seen."""
        entry = self.balances.get(asset)
        return (entry.free, entry.locked) if entry else (Decimal(0), Decimal(0))

    def _bal(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance(Decimal(0)))

    # ------------------------------------------------------------------------------------------ account

    def account(self, params: dict[str, str]) -> object:
        omit_zero = params.get("omitZeroBalances") == "true"
        return {
            "makerCommission": int(self.maker_fee * 10_000),
            "takerCommission": int(self.taker_fee * 10_000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": fmt(self.maker_fee),
                "taker": fmt(self.taker_fee),
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self._clock(),
            "accountType": "SPOT",
            "balances": [
                {"asset": asset, "free": fmt(b.free), "locked": fmt(b.locked)}
                for asset, b in self.balances.items()
                if not (omit_zero and b.free == 0 and b.locked == 0)
            ],
            "permissions": ["SPOT"],
            "uid": 1,
        }

    # ------------------------------------------------------------------------------------------ matching

    def test_order(self, params: dict[str, str]) -> object:
        self._require_trading(validate_new_order(params, self.markets, self.prices))
        return {}

    def new_order(self, params: dict[str, str]) -> object:
        new = validate_new_order(params, self.markets, self.prices)
        self._require_trading(new)
        market = new.rules.market
        if new.client_order_id and any(
            o.client_order_id == new.client_order_id and o.is_open for o in self.orders
        ):
            raise bad_request(-2010, "Duplicate order sent.")
        last = self.prices[market.symbol]
        marketable = new.type == "MARKET" or (new.price >= last if new.side == "BUY" else new.price <= last)
        if new.type == "LIMIT_MAKER" and marketable:
            raise bad_request(-2010, "Order would immediately match and take.")
        if new.side == "BUY":
            lock_asset = market.quote
            lock = new.quote_order_qty or new.qty * (last if new.type == "MARKET" else new.price)
        else:
            lock_asset, lock = market.base, new.qty
        balance = self._bal(lock_asset)
        if balance.free < lock:
            raise bad_request(-2010, _INSUFFICIENT)
        balance.free -= lock
        balance.locked += lock
        now = self._clock()
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
        self.orders.append(order)
        if marketable:
            qty = self._fill_share(order, new.rules)
            if new.time_in_force == "FOK" and qty < order.orig_qty:
                qty = Decimal(0)
            if qty > 0:
                self._execute(order, new.rules, last, qty, maker=False)
        self._settle(order)
        return order_result(order, new.resp_type, now)

    def _fill_share(self, order: EmuOrder, rules: Rules) -> Decimal:
        """What one match fills: ``fill_ratio`` of the original quantity, in whole steps."""
        return min(order.remaining, floor_to(order.orig_qty * self.fill_ratio, rules.step))

    def _execute(self, order: EmuOrder, rules: Rules, price: Decimal, qty: Decimal, *, maker: bool) -> None:
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
        order.update_time = self._clock()
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

    # ------------------------------------------------------------------------------------------ order queries

    def _find_order(self, params: dict[str, str], code: int, msg: str) -> EmuOrder:
        symbol = lookup_rules(self.markets, params).market.symbol
        order_id, cid = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not cid:
            raise bad_request(
                -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
            )
        candidates = [
            o
            for o in self.orders
            if o.symbol == symbol and (str(o.id) == order_id if order_id else o.client_order_id == cid)
        ]
        if not candidates:
            raise bad_request(code, msg)
        # A client id may be reused once its order closed: prefer the open one, then the newest.
        return max(candidates, key=lambda o: (o.is_open, o.id))

    def query_order(self, params: dict[str, str]) -> object:
        return order_json(self._find_order(params, -2013, "Order does not exist."))

    def cancel_order(self, params: dict[str, str]) -> object:
        order = self._find_order(params, -2011, "Unknown order sent.")
        if not order.is_open:
            raise bad_request(-2011, "Unknown order sent.")
        order.status = "CANCELED"
        order.update_time = self._clock()
        self._release(order)
        return cancel_json(order, params.get("newClientOrderId") or f"emucancel{order.id}")

    def open_orders(self, params: dict[str, str]) -> object:
        symbol = lookup_rules(self.markets, params).market.symbol if params.get("symbol") else None
        return [order_json(o) for o in self.orders if o.is_open and symbol in (None, o.symbol)]

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

    def all_orders(self, params: dict[str, str]) -> object:
        symbol = lookup_rules(self.markets, params).market.symbol
        rows = [o for o in self.orders if o.symbol == symbol]
        if params.get("orderId"):
            rows = [o for o in rows if o.id >= int(params["orderId"])]
        picked = self._window(rows, params, lambda o: o.time, forward=bool(params.get("orderId")))
        return [order_json(o) for o in picked]

    def my_trades(self, params: dict[str, str]) -> object:
        symbol = lookup_rules(self.markets, params).market.symbol
        rows = [(o, f) for o in self.orders if o.symbol == symbol for f in o.fills]
        if params.get("orderId"):
            rows = [(o, f) for o, f in rows if str(o.id) == params["orderId"]]
        if params.get("fromId"):
            rows = [(o, f) for o, f in rows if f.trade_id >= int(params["fromId"])]
        rows.sort(key=lambda row: row[1].trade_id)
        picked = self._window(rows, params, lambda row: row[1].time, forward=bool(params.get("fromId")))
        return [trade_json(o, f) for o, f in picked]

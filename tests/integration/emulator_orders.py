"""The Binance emulator's order wire format: validating a ``POST /api/v3/order`` request (Binance's checks and
error codes, in Binance's order) and rendering orders and trades as Binance JSON. Pure functions, no state."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from emulator_models import (
    EmuFill,
    EmuOrder,
    NewOrder,
    Rules,
    bad_request,
    filter_failure,
    floor_to,
    fmt,
    lookup_rules,
    mandatory,
)

_DECIMAL_PARAM = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_CLIENT_ORDER_ID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")


# --------------------------------------------------------------------------------------------------- requests


def validate_new_order(
    params: dict[str, str], markets: Mapping[str, Rules], prices: Mapping[str, Decimal]
) -> NewOrder:
    """Check a new-order request against the market's filters at the current price; raise ``ApiError``."""
    for name in ("symbol", "side", "type"):
        if not params.get(name):
            raise mandatory(name)
    rules = lookup_rules(markets, params)
    side, type_ = params["side"], params["type"]
    if side not in ("BUY", "SELL"):
        raise bad_request(-1117, "Invalid side.")
    if type_ not in ("LIMIT", "MARKET", "LIMIT_MAKER"):
        raise bad_request(-1116, "Invalid orderType.")
    cid = params.get("newClientOrderId") or None
    if cid is not None and not _CLIENT_ORDER_ID.match(cid):
        raise bad_request(
            -1100,
            "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
        )
    price, qty, quote_qty = (_decimal(params, n) for n in ("price", "quantity", "quoteOrderQty"))
    tif = params.get("timeInForce") or ""
    if type_ == "MARKET":
        if tif:
            raise bad_request(-1106, "Parameter 'timeInForce' sent when not required.")
        if price is not None:
            raise bad_request(-1106, "Parameter 'price' sent when not required.")
        if qty is None and quote_qty is None:
            raise bad_request(
                -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        if qty is not None and quote_qty is not None:
            raise bad_request(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        tif = "GTC"
    else:
        if type_ == "LIMIT" and not tif:
            raise mandatory("timeInForce")
        if type_ == "LIMIT_MAKER" and tif:
            raise bad_request(-1106, "Parameter 'timeInForce' sent when not required.")
        tif = tif or "GTC"
        if tif not in ("GTC", "IOC", "FOK"):
            raise bad_request(-1115, "Invalid timeInForce.")
        if quote_qty is not None:
            raise bad_request(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        if price is None:
            raise mandatory("price")
        if qty is None:
            raise mandatory("quantity")
    for value in (price, qty, quote_qty):
        if value is not None and value.as_tuple().exponent < -8:  # type: ignore[operator]
            raise bad_request(-1111, "Precision is over the maximum defined for this asset.")
    last = prices[rules.market.symbol]
    if type_ == "MARKET":
        price = Decimal(0)
        if quote_qty is not None:
            # Binance sizes a quoteOrderQty order in whole steps at the current price.
            if not rules.min_notional <= quote_qty <= rules.max_notional:
                raise filter_failure("NOTIONAL")
            qty = floor_to(quote_qty / last, rules.step)
    else:
        assert price is not None
        if price < rules.tick or price > rules.max_price or price % rules.tick != 0:
            raise filter_failure("PRICE_FILTER")
    assert qty is not None
    if qty < rules.min_qty or qty > rules.max_qty or (qty - rules.min_qty) % rules.step != 0:
        raise filter_failure("LOT_SIZE")
    notional = qty * (last if type_ == "MARKET" else price)
    if notional < rules.min_notional or (type_ != "MARKET" and notional > rules.max_notional):
        raise filter_failure("NOTIONAL")
    resp_type = params.get("newOrderRespType") or "FULL"
    if resp_type not in ("ACK", "RESULT", "FULL"):
        raise bad_request(-1100, "Illegal characters found in parameter 'newOrderRespType'.")
    return NewOrder(rules, side, type_, tif, price, qty, quote_qty or Decimal(0), cid, resp_type)


def _decimal(params: dict[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if not raw:
        return None
    if not _DECIMAL_PARAM.match(raw):
        raise bad_request(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.",
        )
    return Decimal(raw)


# --------------------------------------------------------------------------------------------------- answers


def _order_core(order: EmuOrder) -> dict[str, object]:
    return {
        "symbol": order.symbol,
        "orderId": order.id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price),
        "origQty": fmt(order.orig_qty),
        "executedQty": fmt(order.executed_qty),
        "cummulativeQuoteQty": fmt(order.cummulative_quote_qty),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
    }


def order_json(order: EmuOrder) -> dict[str, object]:
    """The ``GET /api/v3/order`` shape (no fills: ccxt's fetch_order has no fee, see the note §3)."""
    return {
        **_order_core(order),
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": order.time,
        "updateTime": order.update_time,
        "isWorking": True,
        "workingTime": order.time,
        "origQuoteOrderQty": fmt(order.orig_quote_order_qty),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def cancel_json(order: EmuOrder, cancel_client_order_id: str) -> dict[str, object]:
    """The ``DELETE /api/v3/order`` answer for a just-canceled ``order``.

    As on Binance, "clientOrderId" is the *cancel request's* id; the order's own is "origClientOrderId"."""
    answer = order_json(order)
    answer.update(
        origClientOrderId=order.client_order_id,
        clientOrderId=cancel_client_order_id,
        transactTime=order.update_time,
    )
    for key in ("time", "updateTime", "isWorking", "workingTime", "stopPrice", "icebergQty"):
        answer.pop(key)
    return answer


def order_result(order: EmuOrder, resp_type: str, transact_time: int) -> dict[str, object]:
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
        **_order_core(order),
        "origQuoteOrderQty": fmt(order.orig_quote_order_qty),
        "workingTime": transact_time,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if resp_type == "FULL":
        result["fills"] = [
            {
                "price": fmt(f.price),
                "qty": fmt(f.qty),
                "commission": fmt(f.commission),
                "commissionAsset": f.commission_asset,
                "tradeId": f.trade_id,
            }
            for f in order.fills
        ]
    return result


def trade_json(order: EmuOrder, fill: EmuFill) -> dict[str, object]:
    """A ``GET /api/v3/myTrades`` row."""
    return {
        "symbol": order.symbol,
        "id": fill.trade_id,
        "orderId": order.id,
        "orderListId": -1,
        "price": fmt(fill.price),
        "qty": fmt(fill.qty),
        "quoteQty": fmt(fill.quote_qty),
        "commission": fmt(fill.commission),
        "commissionAsset": fill.commission_asset,
        "time": fill.time,
        "isBuyer": order.side == "BUY",
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }

"""What one exchange does differently under ccxt: a capability table, picked in one place.

ccxt unifies most of an exchange's API, but not everything the bot relies on: how an order is looked up by
its client order id, how long a signed request stays valid, what a real balance answer looks like, how the
exchange says a client order id is taken. :class:`ExchangeTraits` holds those facts; :func:`traits_for`
is the one place that picks them for a ccxt exchange id. Everything in :mod:`trimtab.venues.ccxt_factory`,
:mod:`trimtab.venues.ccxt_venue` and :mod:`trimtab.venues.ccxt_answers` that depends on the exchange asks
the traits instead of testing which exchange it is.

Exchanges derived from one in the table inherit its traits, as ccxt's classes do (``binanceus`` is a
``binance``). Any other exchange gets :data:`DEFAULT_TRAITS`: ccxt's unified parameters only.

Adding an exchange's quirks: one ``ExchangeTraits(...)`` value and one line in ``_BY_EXCHANGE``.

>>> traits_for("binanceus").name, traits_for("kraken").name
('binance', 'default')
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import ccxt.async_support as ccxt  # type: ignore[import-untyped]  # ccxt ships no type hints

__all__ = ["BINANCE_TRAITS", "DEFAULT_TRAITS", "ExchangeTraits", "traits_for"]


@dataclass(frozen=True)
class ExchangeTraits:
    """One exchange's ccxt quirks.

    ``options``: set on ``exchange.options`` when the exchange object is made; a dict value is merged into
    the option of that name (ccxt's other keys kept).
    ``client_id_param``: the ``params`` key that makes ``fetch_order``/``cancel_order`` find an order by
    its client order id (ccxt's unified ``clientOrderId`` unless the exchange wants its own name).
    ``request_window_option``: the option that bounds how long a signed request may still execute after
    signing (Binance's ``recvWindow``, in ms), set from the timeout within ``request_window_ms``; None when
    the exchange has no such window.
    ``balance_info_list``: the key of the raw balance answer (``info``) that must be a list, else the
    answer is not a balance (ccxt turns a garbled 200 into empty dicts); None: no such check.
    ``duplicate_client_id_text``: what the exchange's refusal says when a client order id is taken and
    ccxt raises only ``InvalidOrder`` for it (Binance's -2010 covers many refusals); ccxt's own
    ``DuplicateOrderId`` is recognised for every exchange.
    ``order_trades_param``: the ``fetch_my_trades`` params key that narrows the account's trades to one
    exchange order id; None: the trades of the symbol are read and filtered by order.
    ``dust_asset``: the asset the exchange converts small balances into (Binance: BNB, through
    :mod:`trimtab.venues.ccxt_dust`); None: no dust conversion.
    ``buy_fee_in_quote``: whether a buy's fee is charged in the quote on top of its cost (the planner then
    reserves it); False where it comes out of the asset received (Binance spot: the base, or BNB).
    """

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    client_id_param: str = "clientOrderId"
    request_window_option: str | None = None
    request_window_ms: tuple[int, int] = (1000, 10000)
    balance_info_list: str | None = None
    duplicate_client_id_text: str | None = None
    order_trades_param: str | None = None
    dust_asset: str | None = None
    buy_fee_in_quote: bool = True

    def configure(self, exchange: Any, *, timeout_ms: int) -> None:
        """Apply :attr:`options` and the request window to a freshly made ccxt ``exchange``."""
        options = exchange.options
        for key, value in self.options.items():
            if isinstance(value, Mapping):
                options[key] = {**(options.get(key) or {}), **copy.deepcopy(dict(value))}
            else:
                options[key] = copy.deepcopy(value)
        if self.request_window_option is not None:
            # Keeping the window close to the timeout bounds how long a request we gave up on can still
            # execute (the executor waits that long before it sends a lost order again).
            low, high = self.request_window_ms
            options[self.request_window_option] = min(high, max(low, timeout_ms))

    def request_lifetime(self, exchange: Any) -> float:
        """Seconds an unanswered order request may still execute: the request window (plus a second for
        clock offset); without one, twice the request timeout as a conservative guess."""
        options = exchange.options if isinstance(exchange.options, dict) else {}
        window = options.get(self.request_window_option) if self.request_window_option else None
        if isinstance(window, int | float) and window > 0:
            return float(window) / 1000 + 1.0
        return 2 * float(exchange.timeout) / 1000

    def client_id_params(self, client_order_id: str) -> dict[str, str]:
        """The ``params`` of a ``fetch_order``/``cancel_order`` by client order id."""
        return {self.client_id_param: client_order_id}

    def order_trades_params(self, order_id: str) -> dict[str, str]:
        """The ``params`` of a ``fetch_my_trades`` for the trades of exchange order ``order_id``."""
        return {self.order_trades_param: order_id} if self.order_trades_param else {}

    def looks_like_balance_info(self, info: Mapping[str, Any]) -> bool:
        """Whether the raw balance answer ``info`` has the shape this exchange's real answers have."""
        return self.balance_info_list is None or isinstance(info.get(self.balance_info_list), list)

    def is_duplicate_client_id(self, error: BaseException) -> bool:
        """Whether ccxt's ``error`` from ``create_order`` means the client order id is already taken."""
        if isinstance(error, ccxt.DuplicateOrderId):
            return True
        text = self.duplicate_client_id_text
        return text is not None and isinstance(error, ccxt.InvalidOrder) and text in str(error)


#: Any exchange not in the table: ccxt's unified parameters, no request window.
DEFAULT_TRAITS = ExchangeTraits(name="default")

#: Binance spot (and ``binanceus``): measured against ccxt 4.5.
BINANCE_TRAITS = ExchangeTraits(
    name="binance",
    options=MappingProxyType(
        {
            "defaultType": "spot",
            "fetchCurrencies": False,  # else, with keys: GET /sapi/v1/capital/config/getall on every load_markets
            "fetchMargins": False,  # else, with keys: GET /sapi/v1/margin/allPairs and isolated/allPairs
            # No GET /api/v3/time in load_markets; CcxtVenue resyncs the clock when the venue says InvalidNonce.
            "adjustForTimeDifference": False,
            # ccxt's default also GETs /fapi/v1/exchangeInfo and /dapi/v1/exchangeInfo
            "fetchMarkets": MappingProxyType({"types": ["spot"]}),
        }
    ),
    client_id_param="origClientOrderId",
    request_window_option="recvWindow",
    balance_info_list="balances",
    duplicate_client_id_text="Duplicate order sent",  # code -2010 NEW_ORDER_REJECTED, an InvalidOrder in ccxt
    order_trades_param="orderId",  # GET /api/v3/order has no fills: fees live in the account's trade list
    dust_asset="BNB",
    buy_fee_in_quote=False,  # taken from the asset received (or BNB with the discount on)  # POST /sapi/v1/asset/dust
)

# ccxt class name (= exchange id) -> traits; a derived exchange finds its base's entry.
_BY_EXCHANGE: dict[str, ExchangeTraits] = {"binance": BINANCE_TRAITS}


def traits_for(exchange_id: str) -> ExchangeTraits:
    """The traits of ccxt exchange ``exchange_id`` (or of the nearest exchange it derives from in
    ccxt), else :data:`DEFAULT_TRAITS`."""
    exchange_class = getattr(ccxt, exchange_id, None)
    lineage = exchange_class.__mro__ if isinstance(exchange_class, type) else ()
    for cls in lineage:
        traits = _BY_EXCHANGE.get(cls.__name__)
        if traits is not None:
            return traits
    return _BY_EXCHANGE.get(exchange_id, DEFAULT_TRAITS)

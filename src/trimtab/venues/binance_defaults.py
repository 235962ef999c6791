"""Default market rules for the paper venue: Binance-like spot filters.

The table approximates Binance's spot ``XXX/USDT`` filters as of 2025 (LOT_SIZE ``stepSize`` = ``minQty``,
PRICE_FILTER ``tickSize``, NOTIONAL ``minNotional`` 5) for the 19 assets of the bundled price history.
Binance changes filters now and then; the paper venue only needs them to be realistic, not current.
Any other asset gets a rule derived from its price, sized the way Binance sizes new listings.

>>> default_rules("BTC", "USDT", Decimal("60000")).amount_step
Decimal('0.00001')
>>> derived_rules("NEW", "USDT", Decimal("2.5")).amount_step
Decimal('0.01')
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from trimtab.model.assets import USD_QUOTES
from trimtab.model.markets import MarketRules

#: Binance's NOTIONAL filter minimum on USDT pairs, in the quote currency.
DEFAULT_MIN_NOTIONAL = Decimal(5)

#: The fields of a market's rules the paper config may give (``exchange.markets``); the rest are defaults.
OVERRIDABLE = ("amount_step", "min_amount", "min_notional", "price_tick")

#: A derived lot step is the largest power of ten worth at most this much quote (capped at 1 unit).
_MAX_STEP_VALUE = Decimal("0.1")
#: Derived ticks keep five significant digits of the price, like Binance's small-cap pairs …
_TICK_SIGNIFICANT_DIGITS = 5
#: … but never coarser than a cent: Binance quotes BTC, ETH, PAXG and co. in 0.01 steps.
_MAX_TICK = Decimal("0.01")

# asset -> (LOT_SIZE stepSize, PRICE_FILTER tickSize) of ASSET/USDT on Binance spot, 2025.
_TABLE: dict[str, tuple[str, str]] = {
    "BTC": ("0.00001", "0.01"),
    "ETH": ("0.0001", "0.01"),
    "SOL": ("0.001", "0.01"),
    "BNB": ("0.001", "0.01"),
    "XRP": ("0.1", "0.0001"),
    "ADA": ("0.1", "0.0001"),
    "DOGE": ("1", "0.00001"),
    "AVAX": ("0.01", "0.01"),
    "LINK": ("0.01", "0.01"),
    "DOT": ("0.01", "0.001"),
    "LTC": ("0.001", "0.01"),
    "TRX": ("0.1", "0.0001"),
    "BCH": ("0.001", "0.1"),
    "XLM": ("0.1", "0.0001"),
    "ETC": ("0.01", "0.01"),
    "ATOM": ("0.01", "0.001"),
    "UNI": ("0.01", "0.001"),
    "SHIB": ("1", "0.00000001"),
    "PAXG": ("0.0001", "0.01"),
}

#: ``(amount_step, price_tick)`` per asset, as Decimals; read-only.
BINANCE_SPOT_FILTERS: Mapping[str, tuple[Decimal, Decimal]] = MappingProxyType(
    {asset: (Decimal(step), Decimal(tick)) for asset, (step, tick) in _TABLE.items()}
)


def default_rules(asset: str, quote: str, price: Decimal) -> MarketRules:
    """The Binance-like rules of ``asset/quote``: the table for a known asset against a dollar quote,
    otherwise rules derived from ``price`` (see :func:`derived_rules`)."""
    filters = BINANCE_SPOT_FILTERS.get(asset) if quote in USD_QUOTES else None
    if filters is None:
        return derived_rules(asset, quote, price)
    return _spot_rules(asset, quote, *filters)


def derived_rules(asset: str, quote: str, price: Decimal) -> MarketRules:
    """Rules for an asset the table does not know, derived from its ``price`` (> 0).

    The step is the largest power of ten whose value is at most 0.1 quote (but at most 1 unit), so a
    rounding remainder is worth little; the tick keeps five significant digits of the price, at most
    0.01; the minimum notional is 5 and the minimum amount one step.
    """
    if price <= 0:
        raise ValueError(f"cannot derive market rules of {asset} from a price of {price}")
    # adjusted() is the exponent of the leading digit, so scaleb(adjusted) is the largest power of ten <= x.
    step = Decimal(1).scaleb(min(0, (_MAX_STEP_VALUE / price).adjusted()))
    tick = min(_MAX_TICK, Decimal(1).scaleb(price.adjusted() - (_TICK_SIGNIFICANT_DIGITS - 1)))
    return _spot_rules(asset, quote, step, tick)


def _spot_rules(
    asset: str, quote: str, step: Decimal, tick: Decimal, min_notional: Decimal = DEFAULT_MIN_NOTIONAL
) -> MarketRules:
    """Binance spot's shape: the minimum amount is one step, the minimum notional 5 quote unless given."""
    return MarketRules(
        base=asset,
        quote=quote,
        amount_step=step,
        min_amount=step,
        min_notional=min_notional,
        price_tick=tick,
    )


#: A cross market's minimum notional is worth about this much in dollars (Binance: 0.0001 BTC on BTC pairs).
_CROSS_MIN_NOTIONAL_USD = Decimal(5)
#: Cross prices are small numbers of the quote asset (0.05 BTC per ETH): ticks keep this many digits.
_CROSS_TICK_SIGNIFICANT_DIGITS = 4


def cross_rules(
    base: str, quote: str, pair_price: Decimal, base_step: Decimal, quote_worth: Decimal
) -> MarketRules:
    """The Binance-like rules of the cross market ``base/quote`` (ETH/BTC) at ``pair_price`` (in ``quote``).

    The lot step is the base's step on its dollar market (``base_step``: ETH/BTC trades ETH in 0.0001
    steps, like ETH/USDT); the tick keeps four significant digits of the price (0.05 -> 0.00001); the
    minimum notional, in ``quote``, is the power of ten nearest to 5 dollars' worth at ``quote_worth``
    (the quote asset's price in dollars): 0.0001 BTC at 60000, 0.001 ETH at 3000, 0.01 BNB at 600.

    >>> r = cross_rules("ETH", "BTC", Decimal("0.05"), Decimal("0.0001"), Decimal(60000))
    >>> r.symbol, r.amount_step, r.price_tick, r.min_notional
    ('ETH/BTC', Decimal('0.0001'), Decimal('0.00001'), Decimal('0.0001'))
    """
    if pair_price <= 0 or quote_worth <= 0:
        raise ValueError(f"cannot derive market rules of {base}/{quote} from a price of {pair_price}")
    tick = Decimal(10) ** (pair_price.adjusted() - (_CROSS_TICK_SIGNIFICANT_DIGITS - 1))
    worth = _CROSS_MIN_NOTIONAL_USD / quote_worth
    # the nearest power of ten on a log scale: round log10, here via the exponent of worth * sqrt(10)
    min_notional = Decimal(10) ** (worth * Decimal(10).sqrt()).adjusted()
    return _spot_rules(base, quote, base_step, tick, min_notional)

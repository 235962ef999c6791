"""The owner's choices about how a rebalance trades (config ``rebalancing:``), as the planner reads them."""

from __future__ import annotations

from enum import StrEnum


class Routing(StrEnum):
    """How value moves between assets.

    ``quote``: every trade is against the quote currency (sell BTC for USDT, buy ETH with USDT).
    ``cheapest``: a cross pair the exchange lists (ETH/BTC) is used when one trade on it costs less than
    two through the quote (fees plus the spread allowance), chosen by a linear program over the pairs.
    """

    QUOTE = "quote"
    CHEAPEST = "cheapest"


class RebalanceTo(StrEnum):
    """Where an asset past its band is traded to: all the way to its ``target``, to the ``band_edge``
    (target +/- the band), or ``halfway`` between the two. Assets inside their band are not traded."""

    TARGET = "target"
    BAND_EDGE = "band_edge"
    HALFWAY = "halfway"


class Sells(StrEnum):
    """Which sells a rebalance may make: any (``allowed``), only of assets past their band
    (``only_past_band``), or none (``never``: the contribution-only mode; cash is invested into the
    under-target assets and nothing is sold)."""

    ALLOWED = "allowed"
    ONLY_PAST_BAND = "only_past_band"
    NEVER = "never"

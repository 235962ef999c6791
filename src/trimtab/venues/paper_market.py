"""Where the paper venue's prices come from: a market it asks, never a branch inside it.

The paper venue (:mod:`trimtab.venues.paper`) keeps the account and fills orders; a :class:`PaperMarket`
tells it the last prices, the daily closes known so far and, when it has them, the markets' own lot rules.
Three markets exist:

- :class:`FrozenMarket` (here): the closes of one day of a price history, plus explicit prices. Nothing moves.
- :class:`trimtab.venues.replay.ReplayMarket`: a price history walked along by a replay clock.
- :class:`trimtab.venues.live_market.LiveMarket`: a real exchange's public market data through ccxt.

Every answer leaves out the assets the market has no price for, for the caller to report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from trimtab.model.markets import MarketRules
from trimtab.pricedata import PriceHistory


class PaperMarket(Protocol):
    """The market a paper venue trades on. ``assets`` never include the venue's quote currency."""

    async def last_prices(self, assets: Sequence[str]) -> dict[str, Decimal]:
        """The last price of each asset that has one now, in the venue's quote currency."""
        ...

    async def daily_closes(self, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        """Up to ``days`` daily closes of each asset, oldest first, each one known by now."""
        ...

    async def market_rules(self, assets: Sequence[str]) -> dict[str, MarketRules]:
        """The market's own lot rules of the assets it has them for (none: Binance-like defaults apply)."""
        ...

    async def close(self) -> None:
        """Release whatever the market holds (a network session)."""
        ...


class FrozenMarket:
    """The market standing still on ``day`` of ``history``: its closes, overridden by ``prices``."""

    def __init__(self, history: PriceHistory, day: date, prices: Mapping[str, Decimal], quote: str) -> None:
        self._history = history
        self._day = day
        # Resolved once: a bad date fails here, when the venue is built.
        resolved = {a: p for a, p in history.prices_on(day).items() if a != quote}
        resolved.update({a: p for a, p in prices.items() if a != quote})
        self._prices = resolved

    @property
    def day(self) -> date:
        return self._day

    async def last_prices(self, assets: Sequence[str]) -> dict[str, Decimal]:
        return {a: self._prices[a] for a in assets if a in self._prices}

    async def daily_closes(self, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        closes = {a: self._history.history(a, self._day, days) for a in assets}
        return {a: values for a, values in closes.items() if values}

    async def market_rules(self, assets: Sequence[str]) -> dict[str, MarketRules]:
        return {}

    async def close(self) -> None:
        return None

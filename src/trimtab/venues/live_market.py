"""Live prices for the paper venue: a real exchange's PUBLIC market data through ccxt, no keys.

``exchange: {name: paper, prices_from: binance}`` trades a paper account (balances in the state file, fills
by the paper fill model) at the exchange's last prices, as freqtrade's dry run does. Only public endpoints
are read, through the same :class:`~trimtab.venues.ccxt_venue.CcxtVenue` a real account uses (so errors
map and temporary failures retry the same way): ``load_markets`` for the lot rules, ``fetch_tickers`` for
the last prices, ``fetch_ohlcv`` for the daily closes dynamic weights need. Its clock is the real UTC time.

Example::

    market = LiveMarket(CcxtVenue(make_exchange("binance", api_key=None, secret=None, sandbox=False,
                                                api_url=None), quote="USDT"), quote="USDT")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.tickers import Ticker
from trimtab.venues.binance_defaults import OVERRIDABLE
from trimtab.venues.ccxt_venue import CcxtVenue

__all__ = ["OVERRIDABLE", "LiveMarket"]


class LiveMarket:
    """The :class:`~trimtab.venues.paper_market.PaperMarket` of a real exchange's public data.

    ``public`` is a CcxtVenue on a ccxt client without keys; only its reads are used. ``overrides``
    replace fields (:data:`OVERRIDABLE`) of an asset's rules read from the exchange, as the paper
    config's ``exchange.markets`` asks.
    """

    def __init__(
        self,
        public: CcxtVenue,
        *,
        quote: str,
        overrides: Mapping[str, Mapping[str, Decimal]] | None = None,
    ) -> None:
        self._public = public
        self._quote = quote
        self._overrides = dict(overrides or {})
        self.exchange = public.name

    async def last_prices(self, assets: Sequence[str]) -> dict[str, Decimal]:
        return await self._public.fetch_prices(self._quote, [a for a in assets if a != self._quote])

    async def tickers(self, assets: Sequence[str]) -> dict[str, Ticker]:
        """The exchange's tickers (last price, its time, the 24-hour change) for the guards."""
        return await self._public.fetch_tickers(self._quote, [a for a in assets if a != self._quote])

    async def daily_closes(self, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        return await self._public.fetch_daily_closes(
            self._quote, [a for a in assets if a != self._quote], days
        )

    async def market_rules(self, assets: Sequence[str]) -> dict[str, MarketRules]:
        rules = await self._public.fetch_markets(self._quote, [a for a in assets if a != self._quote])
        return {a: replace(r, **self._overrides.get(a, {})) for a, r in rules.items()}  # type: ignore[arg-type]

    async def close(self) -> None:
        await self._public.close()

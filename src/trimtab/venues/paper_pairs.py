"""The paper venue's cross markets: pairs between two non-quote assets, such as ``ETH/BTC``.

The paper config lists them under ``exchange.markets`` like any market (``ETH/BTC: {price: 0.05}``). A
cross market's price is the quotient of its two assets' prices in the portfolio's quote (ETH/USDT over
BTC/USDT), on the pair's price tick, so it moves with a moving market (a replay, live prices); a
``price`` given in the config fixes it instead. Its rules are the config's, completed by Binance-like
defaults (:func:`~trimtab.venues.binance_defaults.cross_rules`) at its first price and kept, like the
rules of every paper market. Orders on it fill by the same fill model as any market
(:mod:`trimtab.venues.paper_fills`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal

from trimtab.model.markets import TRADING, MarketRules, symbol_of
from trimtab.venues.binance_defaults import OVERRIDABLE, cross_rules
from trimtab.venues.paper_market import PaperMarket

#: The rules of the quote markets of some assets at their prices (the paper venue's own lookup).
QuoteRules = Callable[[Mapping[str, Decimal]], Awaitable[dict[str, MarketRules]]]


@dataclass(frozen=True)
class PaperPair:
    """One cross market of the paper venue: ``base/quote`` (neither the portfolio's quote), the rules the
    config gives (None: a Binance-like default), its fixed ``price`` in ``quote`` (None: derived from the
    two assets' prices) and its ``status`` (``trading``, or ``halted`` / ``break`` / ``delisted``: orders
    are refused, as a real exchange refuses them)."""

    base: str
    quote: str
    amount_step: Decimal | None = None
    min_amount: Decimal | None = None
    min_notional: Decimal | None = None
    price_tick: Decimal | None = None
    price: Decimal | None = None
    status: str = TRADING

    @property
    def symbol(self) -> str:
        return symbol_of(self.base, self.quote)

    def rules(self, pair_price: Decimal, base_step: Decimal, quote_worth: Decimal) -> MarketRules:
        """The pair's rules: the configured ones, the rest Binance-like defaults at ``pair_price``, with
        the base's lot step ``base_step`` and the quote asset worth ``quote_worth`` (portfolio quote)."""
        given = {f: v for f in OVERRIDABLE if (v := getattr(self, f)) is not None}
        default = cross_rules(self.base, self.quote, pair_price, base_step, quote_worth)
        return replace(default, status=self.status, **given)


def on_tick(price: Decimal, tick: Decimal) -> Decimal:
    """``price`` rounded to the nearest multiple of ``tick`` (0: no grid), never below one tick."""
    if tick <= 0:
        return price
    return max(tick, (price / tick).to_integral_value(ROUND_HALF_EVEN) * tick)


class PairBook:
    """The cross markets ``pairs`` (by symbol) of a paper venue trading against ``quote`` on ``market``.

    ``quote_rules`` is the venue's lookup of its quote markets' rules (a cross market trades its base in
    the same lot steps). A pair's rules are made once, at its first price, and kept: the rules a plan
    was made with are the rules its orders meet.
    """

    def __init__(
        self, pairs: Mapping[str, PaperPair], *, quote: str, market: PaperMarket, quote_rules: QuoteRules
    ) -> None:
        self._pairs = dict(pairs)
        self._quote = quote
        self._market = market
        self._quote_rules = quote_rules
        self._known: dict[str, MarketRules] = {}

    def listed(self, base: str, quote: str) -> PaperPair | None:
        """The pair ``base/quote`` when the venue lists it."""
        return self._pairs.get(symbol_of(base, quote))

    async def quoted_in(self, quote: str, assets: Sequence[str]) -> dict[str, tuple[MarketRules, Decimal]]:
        """Rules and last price of ``asset/quote`` for each of ``assets`` the venue lists it for, by asset."""
        pairs = [p for a in assets if (p := self.listed(a, quote)) is not None]
        return {
            pair.base: found for pair, found in zip(pairs, await self._markets(pairs), strict=True) if found
        }

    async def between(self, assets: Sequence[str]) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
        """The listed pairs whose base and quote are both in ``assets``: rules and last prices by symbol."""
        wanted = set(assets) - {self._quote}
        pairs = [p for p in self._pairs.values() if p.base in wanted and p.quote in wanted]
        rules: dict[str, MarketRules] = {}
        prices: dict[str, Decimal] = {}
        for pair, found in zip(pairs, await self._markets(pairs), strict=True):
            if found is not None:
                rules[pair.symbol], prices[pair.symbol] = found
        return rules, prices

    async def _markets(self, pairs: Iterable[PaperPair]) -> list[tuple[MarketRules, Decimal] | None]:
        """Rules and last price of each of ``pairs``; None for a pair one of whose assets has no price."""
        pairs = list(pairs)
        assets = sorted({a for p in pairs for a in (p.base, p.quote)})
        prices = await self._market.last_prices(assets) if assets else {}
        priced = [p for p in pairs if p.base in prices and p.quote in prices]
        if any(p.symbol not in self._known for p in priced):
            own = await self._quote_rules({a: prices[a] for p in priced for a in (p.base, p.quote)})
            for pair in priced:
                if pair.symbol not in self._known:
                    raw = pair.price or prices[pair.base] / prices[pair.quote]
                    self._known[pair.symbol] = pair.rules(raw, own[pair.base].amount_step, prices[pair.quote])
        found: list[tuple[MarketRules, Decimal] | None] = []
        for pair in pairs:
            if pair not in priced:
                found.append(None)
                continue
            rules = self._known[pair.symbol]
            price = pair.price or on_tick(prices[pair.base] / prices[pair.quote], rules.price_tick)
            found.append((rules, price))
        return found

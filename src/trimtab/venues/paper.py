"""The paper venue: a simulated exchange that behaves like Binance spot, for dry runs and tests.

Prices come from a :class:`~trimtab.venues.paper_market.PaperMarket`: by default frozen at one day of a
price history (or given explicitly), else a replayed history or a real exchange's live prices (the
moving markets of :mod:`trimtab.venues.replay` and :mod:`trimtab.venues.live_market`); orders are immediate-or-cancel
limit orders checked against Binance's filters in Binance's order, filled at the last price (± slippage,
never beyond the limit) and charged Binance's fee in the asset received. The account lives on in a JSON
state file between runs (see :mod:`trimtab.venues.paper_state`).

Example::

    venue = PaperVenue(PaperSettings(balances={"USDT": Decimal(10000)}, price_date=date(2024, 1, 1)),
                       quote="USDT", state_path=data_dir / STATE_FILE_NAME, history=bundled_history())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from trimtab.errors import ConfigError, DuplicateClientOrderId, OrderRejected
from trimtab.model.markets import DEFAULT_FEE_RATE, MarketRules
from trimtab.model.money import ONE, ZERO
from trimtab.model.orders import OrderRequest, OrderResult
from trimtab.model.portfolio import Balance
from trimtab.model.tickers import Ticker
from trimtab.pricedata import PriceHistory
from trimtab.venues.binance_defaults import default_rules
from trimtab.venues.paper_fills import IocMarket, check_filters, fill_price, match_order
from trimtab.venues.paper_market import FrozenMarket, PaperMarket
from trimtab.venues.paper_pairs import PairBook, PaperPair
from trimtab.venues.paper_state import PaperState, load_state, save_state

__all__ = [
    "IocMarket",
    "PaperPair",
    "PaperSettings",
    "PaperVenue",
    "answer_later",
    "check_filters",
    "fill_price",
    "match_order",
]

_SETTINGS = "paper venue settings"
_BPS = Decimal(10000)


@dataclass(frozen=True)
class PaperSettings:
    """How the paper venue behaves.

    ``balances`` are the starting balances, used only when no state file exists yet. ``prices`` are
    explicit last prices in the quote currency; every asset not in it is priced at its close on
    ``price_date`` in the price history (default: the history's last date). ``markets`` overrides the
    Binance-like default rules per asset. ``fill_ratio`` in (0, 1] is the fraction of each order that
    fills (floored to the lot step); ``slippage_bps`` moves the fill price against the taker, never
    beyond the order's limit. ``pairs`` are the cross markets the venue lists besides its quote markets,
    by symbol (``"ETH/BTC"``, see :mod:`trimtab.venues.paper_pairs`).
    """

    balances: Mapping[str, Decimal]
    prices: Mapping[str, Decimal] | None = None
    price_date: date | None = None
    fee_rate: Decimal = DEFAULT_FEE_RATE
    markets: Mapping[str, MarketRules] = field(default_factory=dict)
    fill_ratio: Decimal = ONE
    slippage_bps: Decimal = ZERO
    pairs: Mapping[str, PaperPair] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for asset, amount in self.balances.items():
            _require(amount.is_finite() and amount >= 0, f"balances.{asset}", f"must be >= 0, got {amount}")
        for asset, price in (self.prices or {}).items():
            _require(price.is_finite() and price > 0, f"prices.{asset}", f"must be > 0, got {price}")
        _require(ZERO <= self.fee_rate < ONE, "fee_rate", f"must be in [0, 1), got {self.fee_rate}")
        _require(ZERO < self.fill_ratio <= ONE, "fill_ratio", f"must be in (0, 1], got {self.fill_ratio}")
        _require(
            ZERO <= self.slippage_bps < _BPS,
            "slippage_bps",
            f"must be in [0, 10000), got {self.slippage_bps}",
        )
        for asset, rules in self.markets.items():
            _require(rules.base == asset, f"markets.{asset}", f"rules are for {rules.base}, not {asset}")
        for symbol, pair in self.pairs.items():
            _require(pair.symbol == symbol, f"markets.{symbol}", f"the pair is {pair.symbol}, not {symbol}")
            _require(pair.base != pair.quote, f"markets.{symbol}", "a pair needs two different assets")


async def answer_later() -> None:
    """Yield to the event loop once, as a real venue's network call does. Without it a paper rebalance
    never suspends, so a Ctrl-C (the task's cancellation) could only land after the whole run: here it
    lands before the next order, like on an exchange, and the run stays open for the next run to finish.

    asyncio is imported here: a backtest replays without an event loop and need not import it.
    """
    import asyncio

    await asyncio.sleep(0)


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ConfigError(_SETTINGS, key, message)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PaperVenue:
    """A simulated Binance-like spot exchange implementing :class:`trimtab.venues.port.Venue`.

    It trades ``ASSET/quote`` markets for every asset with a price, and the cross markets of
    ``settings.pairs`` (ETH/BTC) whose two assets have one. With a ``state_path`` the account
    (balances and orders) is loaded from that file if it exists, ignoring ``settings.balances``, and
    saved atomically after every order and on :meth:`close`; with ``None`` it lives in memory only.
    A corrupt state file raises ConfigError; ``trimtab reset`` archives it, with the ledger it belongs
    to, to start over (:mod:`trimtab.app.reset`).

    ``market`` is where prices come from (default: frozen on ``settings.price_date`` of ``history``, its
    last day if None, with ``settings.prices`` on top; one of ``history`` and ``market`` is needed). A market's lot rules are looked up once per asset and kept, so that the
    rules a plan was made with are the rules its orders meet.
    """

    name = "paper"
    buy_fee_in_quote = False  # the fee comes out of the asset received, as on Binance
    order_request_lifetime = 0.0  # in-process: a request that raised never reached the book

    def __init__(
        self,
        settings: PaperSettings,
        *,
        quote: str,
        state_path: Path | None,
        history: PriceHistory | None = None,
        clock: Callable[[], datetime] = _utc_now,
        market: PaperMarket | None = None,
    ) -> None:
        for asset, rules in settings.markets.items():
            _require(
                rules.quote == quote, f"markets.{asset}", f"rules are quoted in {rules.quote}, not {quote}"
            )
        self._settings = settings
        self._quote = quote
        self._state_path = state_path
        self._clock = clock
        if market is None:
            if history is None:
                raise ValueError("a paper venue needs a price history or a market")
            market = FrozenMarket(
                history, settings.price_date or history.last_date, settings.prices or {}, quote
            )
        self._market: PaperMarket = market
        self._known_rules: dict[str, MarketRules] = {}
        for symbol, pair in settings.pairs.items():
            _require(
                quote not in (pair.base, pair.quote),
                f"markets.{symbol}",
                f"a cross market is between two assets other than {quote}",
            )
        self._pairs = PairBook(settings.pairs, quote=quote, market=market, quote_rules=self._rules_of)
        loaded = load_state(state_path) if state_path is not None else None
        self._state = loaded if loaded is not None else PaperState.initial(settings.balances)

    @property
    def state_path(self) -> Path | None:
        """Where the account is persisted (None: in memory only)."""
        return self._state_path

    def executed_orders(self) -> dict[str, Decimal]:
        """The filled amount of every order the account holds (rejected orders are not kept), by client
        order id, to check the ledger against (:mod:`trimtab.execution.agreement`)."""
        return {cid: order.filled for cid, order in self._state.orders.items()}

    @property
    def price_date(self) -> date:
        """The day of the price history whose closes are the last prices (explicit prices aside); on a
        moving market, the day of the venue's clock."""
        if isinstance(self._market, FrozenMarket):
            return self._market.day
        return self._clock().date()

    async def fetch_markets(self, quote: str, assets: Sequence[str]) -> dict[str, MarketRules]:
        """Rules of each priced asset: the settings' override, else Binance-like defaults; against another
        ``quote`` than the venue's, the rules of the listed cross markets ``asset/quote``."""
        if quote != self._quote:
            return {a: rules for a, (rules, _) in (await self._pairs.quoted_in(quote, assets)).items()}
        return await self._rules_of(await self._market.last_prices([a for a in assets if a != quote]))

    async def fetch_balances(self) -> dict[str, Balance]:
        """Every asset with a non-zero balance. IOC orders never rest, so nothing is locked: free == total."""
        await answer_later()
        return {a: Balance(free=total, total=total) for a, total in self._state.balances.items() if total > 0}

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        """Last price of each asset that has one; the others are left out for the caller to report.
        Against another ``quote`` than the venue's: the price of each listed cross market ``asset/quote``."""
        if quote != self._quote:
            return {a: price for a, (_, price) in (await self._pairs.quoted_in(quote, assets)).items()}
        return await self._market.last_prices([a for a in assets if a != quote])

    async def fetch_cross_markets(
        self, assets: Sequence[str]
    ) -> tuple[dict[str, MarketRules], dict[str, Decimal]]:
        """The listed cross markets between ``assets`` (the config's ``exchange.markets`` such as
        ``ETH/BTC``) whose assets both have a price: rules and last prices by symbol."""
        return await self._pairs.between(assets)

    async def fetch_tickers(self, quote: str, assets: Sequence[str]) -> dict[str, Ticker]:
        """Ticker of each asset with a price: the market's own (a replay's bar, a live exchange's
        ticker) when it has them, else the last price at the venue's clock, its 24-hour change unknown."""
        if quote != self._quote:
            return {}
        wanted = [a for a in assets if a != quote]
        own = getattr(self._market, "tickers", None)
        if own is not None:
            tickers: dict[str, Ticker] = await own(wanted)
            return tickers
        now = self._clock()
        return {a: Ticker(p, now) for a, p in (await self._market.last_prices(wanted)).items()}

    async def fetch_fee_rate(self) -> Decimal:
        """The configured taker fee rate."""
        return self._settings.fee_rate

    async def fetch_daily_closes(
        self, quote: str, assets: Sequence[str], days: int
    ) -> dict[str, list[Decimal]]:
        """Up to ``days`` daily closes of each asset, oldest first: on a frozen market ending on
        :attr:`price_date`, on a moving one the last closes known at the venue's clock."""
        if days < 1:
            raise ValueError(f"days must be >= 1, got {days}")
        if quote != self._quote:
            return {}
        return await self._market.daily_closes([a for a in assets if a != quote], days)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Check ``request`` like Binance, fill it immediate-or-cancel and record it.

        Raises OrderRejected (invalid symbol, DuplicateClientOrderId, LOT_SIZE, PRICE_FILTER or
        NOTIONAL filter failure) or InsufficientFunds; a rejected order changes nothing. Raises
        FatalVenueError when the account cannot be saved (disk full): the order is then not placed.
        """
        await answer_later()
        rules, last = await self._market_of(request.symbol)
        if not rules.trading:
            raise OrderRejected(f"Market is closed. ({request.symbol} is {rules.status})")
        if request.client_order_id in self._state.orders:
            raise DuplicateClientOrderId(
                f"Duplicate order sent. (client order id {request.client_order_id!r} is already used)"
            )
        order, deltas = match_order(
            request,
            IocMarket(
                rules.base,
                rules.quote,
                rules,
                last,
                self._settings,
                self._clock(),
            ),
            self._state.balances,
            str(self._state.next_order_id),
        )
        state = self._state.with_order(order, deltas)
        # Saved before it becomes the venue's state: if the write fails, memory and disk still agree.
        if self._state_path is not None:
            save_state(self._state_path, state)
        self._state = state
        return order

    async def transfer_out(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` of ``asset`` out of the account, as the owner's withdrawal would (``trimtab
        withdraw``); InsufficientFunds when the account holds less. Saved like an order."""
        held = self._state.balances.get(asset, ZERO)
        if not ZERO < amount <= held:
            raise OrderRejected(f"cannot transfer {amount} {asset} out: the account holds {held}")
        state = self._state.with_transfer(asset, amount)
        if self._state_path is not None:
            save_state(self._state_path, state)
        self._state = state

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        """The order placed with ``client_order_id`` on ``symbol``, or None (rejected orders are not kept)."""
        order = self._state.orders.get(client_order_id)
        return order if order is not None and order.symbol == symbol else None

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        """Always None: paper orders are immediate-or-cancel and never rest, so none is open."""
        return None

    async def close(self) -> None:
        """Close the market (a live one's network session). Nothing to flush: every order already saved
        the state. Reading (``status``, ``plan``) writes no file, so the configured starting balances stay
        editable until the first order."""
        await self._market.close()

    async def _rules_of(self, prices: Mapping[str, Decimal]) -> dict[str, MarketRules]:
        """The rules of each asset of ``prices``: the settings' override, else the market's own rules,
        else Binance-like defaults at that price; looked up once per asset and kept."""
        new = [a for a in prices if a not in self._settings.markets and a not in self._known_rules]
        if new:
            own = await self._market.market_rules(new)
            for asset in new:
                found = own.get(asset)
                self._known_rules[asset] = (
                    found if found is not None else default_rules(asset, self._quote, prices[asset])
                )
        return {a: self._settings.markets.get(a) or self._known_rules[a] for a in prices}

    async def _market_of(self, symbol: str) -> tuple[MarketRules, Decimal]:
        """The rules of the market ``symbol`` (a quote market or a listed cross market) and its last
        price; OrderRejected when the venue has no such market."""
        base, _, quote = symbol.partition("/")
        if base and quote == self._quote and base != quote:
            price = (await self._market.last_prices([base])).get(base)
            if price is not None:
                return (await self._rules_of({base: price}))[base], price
        elif base and self._pairs.listed(base, quote) is not None:
            found = (await self._pairs.quoted_in(quote, [base])).get(base)
            if found is not None:
                return found
        raise OrderRejected(f"Invalid symbol. (the paper venue has no market {symbol!r})")

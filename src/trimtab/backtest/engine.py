"""The backtest engine: the live bot's policy, weights, planner and executor, replayed over price history.

Semantics (one documented model, tested):

- The portfolio starts as ``initial`` quote cash and is bought at the target weights at the first bar's
  close, fees paid (bar 0 of ``rebalance_bars``; the metrics do not count it as a rebalance).
- Every bar is marked to market at its close. Holdings only change at rebalances, so between them the
  equity curve is one vectorised product of the holdings and the closes.
- The policy decides at the close of the bars it asks to be checked at (``policy.next_check``): the first
  bar whose close is at or after the time it named. Its ``now`` is the bar's close time. Threshold and
  hybrid policies are asked only where :mod:`trimtab.backtest.screen` finds a drift near their band;
  everywhere else their answer is known to be no, so the decisions are the same (and tested to be).
- A rebalance is planned by the live planner and executed by the live executor against a venue priced
  at that close that fills with the paper venue's own fill model (:mod:`trimtab.backtest.venue`):
  marketable limit orders at close ± ``slippage_tolerance``, filled at the close moved by
  ``slippage_bps`` (never beyond the limit), ``fee_rate`` charged in the asset received, sells first and
  the buys re-planned from the cash the sells produced. No second implementation can drift.
- Amounts are fractional by default (a 1e-12 lot step and no minimums); ``market_rules=True`` applies
  the live market rules instead (Binance-like lot steps and the 5 USDT minimum notional).
- Dynamic weights (inverse volatility) are re-estimated at each rebalance from the look-back window of
  daily closes before it.
- With ``crash_percent`` the crash guard is replayed (:mod:`trimtab.backtest.crash_guard`): an asset
  that fell more than that over 24 hours of bars is held back, neither bought nor sold, until it has
  gone ``RESUME_DAYS`` days without such a fall (the stand-in for the owner's resume).

Floats live in the equity curve and weights arrays only; every trade is computed in Decimal.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from trimtab.backtest.bar_targets import BarTargets
from trimtab.backtest.capital import check_starting_capital
from trimtab.backtest.check_bars import drift_screen, policy_checks, screened_checks
from trimtab.backtest.crash_guard import CrashGuard
from trimtab.backtest.data import PriceFrame
from trimtab.backtest.journal import MemoryJournal
from trimtab.backtest.venue import ReplayVenue
from trimtab.collector import collector_paused
from trimtab.execution.executor import ExecutionSettings, Executor
from trimtab.model.markets import DEFAULT_FEE_RATE, MarketRules
from trimtab.model.money import HUNDRED, ONE, ZERO
from trimtab.model.orders import OrderResult, Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.policy.base import Policy
from trimtab.venues.binance_defaults import default_rules
from trimtab.venues.paper import PaperSettings
from trimtab.weights.base import TargetWeights

FRACTIONAL_STEP = Decimal("1e-12")


@dataclass(frozen=True)
class BacktestSettings:
    """``initial`` quote cash; ``fee_rate`` as a fraction; ``slippage_bps`` moves every fill against the
    trader; ``market_rules`` applies lot steps and minimums instead of fractional amounts;
    ``crash_percent`` replays the crash guard (None: off)."""

    initial: Decimal = Decimal(10000)
    fee_rate: Decimal = DEFAULT_FEE_RATE
    slippage_bps: Decimal = ZERO
    market_rules: bool = False
    quote: str = "USDT"
    crash_percent: Decimal | None = None


@dataclass(frozen=True)
class Trade:
    """One fill of the backtest."""

    time: datetime
    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str

    @property
    def value(self) -> Decimal:
        return self.amount * self.price


@dataclass(frozen=True)
class BacktestRun:
    """What happened: the equity curve and weights per bar, every rebalance and every fill."""

    times: NDArray[np.datetime64]
    assets: tuple[str, ...]  # the weight columns: the frame's assets, then the quote
    equity: NDArray[np.float64]
    weights: NDArray[np.float64]  # fractions per bar, shape (bars, len(assets))
    rebalance_bars: tuple[int, ...]
    trades: tuple[Trade, ...] = field(default_factory=tuple)
    fees_value: float = 0.0  # every fee valued in the quote at its fill price

    @property
    def traded_value(self) -> float:
        return float(sum((t.value for t in self.trades), ZERO))


class SellDeferral(Protocol):
    """Tax-aware deferral of sells (:class:`trimtab.backtest.tax_aware.TaxAwareReplay`): one per run,
    fed the run's fills, asked at each rebalance which targets to plan with."""

    def targets(
        self, snapshot: Snapshot, weights: Mapping[str, Decimal], targets: Mapping[str, Decimal], plan: Plan
    ) -> tuple[dict[str, Decimal], tuple[object, ...]]: ...

    def record(self, trades: Iterable[Trade], prices: Mapping[str, Decimal]) -> None: ...


def run_backtest(
    frame: PriceFrame,
    *,
    policy: Policy,
    weights: TargetWeights,
    planner: PlannerSettings,
    settings: BacktestSettings,
    history: PriceFrame | None = None,
    screen: bool = True,
    deferral: SellDeferral | None = None,
) -> BacktestRun:
    """Replay ``policy`` over ``frame``; see the module docstring for the semantics.

    ``history`` is a longer frame of the same assets (e.g. the whole file) that dynamic weights may look
    back into before ``frame`` starts; by default they only see ``frame`` itself. ``screen=False`` asks
    the policy at every check instead of only where :mod:`trimtab.backtest.screen` says it may fire
    (same decisions, slower; the reference the screen is tested against). ``deferral`` makes the run
    tax-aware like the live bot with a ``tax:`` section: a sell it defers is left out and the asset
    keeps its weight (the rebalance still counts as one, as a live run that deferred everything does).
    """
    replay = _Replay(frame, weights, planner, settings, history, screen=screen, deferral=deferral)
    return _complete(replay.run(policy))


def buy_and_hold(
    frame: PriceFrame,
    *,
    weights: TargetWeights,
    planner: PlannerSettings,
    settings: BacktestSettings,
    history: PriceFrame | None = None,
) -> BacktestRun:
    """The benchmark: bought at the targets at the first close like the strategy, then never traded."""
    return _complete(_Replay(frame, weights, planner, settings, history).run(None))


def _complete(replay: Coroutine[None, None, BacktestRun]) -> BacktestRun:
    """Run the replay to its end without an event loop: nothing in a replay waits (its venue answers at
    once), so the coroutine is stepped by hand. That spares the loop's set-up and the import of asyncio
    (~20 ms of a backtest command's start), and, unlike ``asyncio.run``, installs no SIGINT handler.
    A replay that did wait (it yields a future) would be a bug: it fails loudly, it cannot hang.

    The cyclic garbage collector is paused meanwhile (and resumed if it ran before): a replay makes
    hundreds of thousands of short-lived objects that reference counting frees, and the collector's
    passes over them cost ~7 % of a run. The few cycles a replay might leave are collected afterwards.
    """
    with collector_paused():
        try:
            while True:
                waited = replay.send(None)  # None: a bare yield (``asyncio.sleep(0)``), just go on
                if waited is not None:
                    replay.close()
                    raise RuntimeError(
                        f"a backtest replay waited for {waited!r}; nothing in a replay may wait"
                    )
        except StopIteration as finished:
            result: BacktestRun = finished.value
            return result


class _Replay:
    def __init__(
        self,
        frame: PriceFrame,
        weights: TargetWeights,
        planner: PlannerSettings,
        settings: BacktestSettings,
        history: PriceFrame | None = None,
        *,
        screen: bool = True,
        deferral: SellDeferral | None = None,
    ) -> None:
        self.frame = frame
        self.deferral = deferral
        self.planner = planner
        self.settings = settings
        self.quote = settings.quote
        self.assets = tuple(a for a in frame.assets if a != self.quote)
        self.columns = [frame.assets.index(a) for a in self.assets]
        self.targets = BarTargets(weights, frame.times, history or frame, self.assets)
        self.journal = MemoryJournal()
        # The executor re-plans the buys from the sells' real proceeds; nothing shows the first plan's.
        self.first_plan = replace(planner, buys_with_sells=False)
        self.execution = ExecutionSettings(max_price_move_percent=HUNDRED)
        self.trades: list[Trade] = []
        self.fees_value = ZERO
        self.use_screen = screen
        paper = PaperSettings(
            balances={self.quote: settings.initial},
            fee_rate=settings.fee_rate,
            slippage_bps=settings.slippage_bps,
        )
        self.venue = ReplayVenue(paper, quote=self.quote)
        self.held: tuple[NDArray[np.float64], float] | None = None  # see _holdings
        self.seconds = frame.times.astype("datetime64[s]").astype(np.int64)  # bar close times, Unix
        self.crash_guard = (
            None
            if settings.crash_percent is None
            else CrashGuard(self.assets, self.seconds, frame.closes[:, self.columns], settings.crash_percent)
        )
        self.fractional = {
            a: MarketRules(a, self.quote, FRACTIONAL_STEP, ZERO, ZERO, ZERO) for a in self.assets
        }

    async def run(self, policy: Policy | None) -> BacktestRun:
        frame = self.frame
        bars = len(frame.times)
        everything = list(range(len(frame.assets)))
        closes = frame.closes if self.columns == everything else frame.closes[:, self.columns]
        # The value of each asset, then the cash, per bar: filled segment by segment between rebalances.
        values = np.empty((bars, len(self.assets) + 1), dtype=np.float64)
        rebalances = [0]
        await self._rebalance(0, run_id=0)
        self._check_capital()
        if policy is not None:
            names = (*self.assets, self.quote)
            screen = drift_screen(policy, frame, closes, names, self.targets) if self.use_screen else None
            if screen:
                checks = screened_checks(screen, self._holdings)
            else:
                checks = policy_checks(policy, frame.times, self._time)
            for check in checks:
                await self._check(policy, check, closes, values, rebalances)
        self._fill(closes, values, rebalances[-1], bars)
        equity = values.sum(axis=1)
        weights = np.divide(values, equity[:, None], out=values)
        return BacktestRun(
            times=frame.times,
            assets=(*self.assets, self.quote),
            equity=equity,
            weights=weights,
            rebalance_bars=tuple(rebalances),
            trades=tuple(self.trades),
            fees_value=float(self.fees_value),
        )

    # -- checks -----------------------------------------------------------------------------------

    async def _check(
        self,
        policy: Policy,
        bar: int,
        closes: NDArray[np.float64],
        values: NDArray[np.float64],
        rebalances: list[int],
    ) -> None:
        """Ask the policy at ``bar``; if it says so, rebalance and append ``bar`` to ``rebalances``."""
        now, prices, targets = self._time(bar), self._prices(bar), self.targets.at(bar)
        last_rebalance = self._time(rebalances[-1])
        weights = self._weights(prices)
        if policy.decide(now, weights, targets, last_rebalance).rebalance:
            self._fill(closes, values, rebalances[-1], bar)
            await self._rebalance(
                bar, run_id=len(rebalances), now=now, prices=prices, targets=targets, weights=weights
            )
            rebalances.append(bar)

    # -- time and state ---------------------------------------------------------------------------

    @property
    def balances(self) -> Mapping[str, Decimal]:
        return self.venue.balances

    def _time(self, bar: int) -> datetime:
        return datetime.fromtimestamp(int(self.seconds[bar]), tz=UTC)

    def _prices(self, bar: int) -> dict[str, Decimal]:
        row = self.frame.closes[bar]
        return {a: Decimal(repr(float(row[c]))) for a, c in zip(self.assets, self.columns, strict=True)}

    def _check_capital(self) -> None:
        """Refuse a starting capital that bought nothing of a targeted asset (see :mod:`.capital`)."""
        prices = self._prices(0)
        check_starting_capital(
            self.targets.at(0),
            self.balances,
            prices,
            self._markets(prices),
            initial=self.settings.initial,
            quote=self.quote,
            min_trade_value=self.planner.min_trade_value,
            fee_rate=self.settings.fee_rate,
        )

    def _holdings(self) -> tuple[NDArray[np.float64], float]:
        """The amount of each asset and the cash, as floats for the vectorised parts (worked out once
        per rebalance: the screen and the equity curve both need them)."""
        if self.held is None:
            held = np.array([float(self.balances.get(a, ZERO)) for a in self.assets])
            self.held = held, float(self.balances.get(self.quote, ZERO))
        return self.held

    def _weights(self, prices: Mapping[str, Decimal]) -> dict[str, Decimal]:
        values = {a: self.balances.get(a, ZERO) * prices[a] for a in self.assets}
        values[self.quote] = self.balances.get(self.quote, ZERO)
        total = sum(values.values(), ZERO)
        return {a: v / total * HUNDRED if total else ZERO for a, v in values.items()}

    def _fill(self, closes: NDArray[np.float64], values: NDArray[np.float64], start: int, stop: int) -> None:
        """Mark bars ``start`` .. ``stop - 1`` to market with the holdings they had."""
        held, cash = self._holdings()
        np.multiply(closes[start:stop], held, out=values[start:stop, :-1])
        values[start:stop, -1] = cash

    # -- one rebalance, through the live planner and executor ---------------------------------------

    async def _rebalance(
        self,
        bar: int,
        *,
        run_id: int,
        now: datetime | None = None,
        prices: Mapping[str, Decimal] | None = None,
        targets: Mapping[str, Decimal] | None = None,
        weights: Mapping[str, Decimal] | None = None,
    ) -> None:
        now = now if now is not None else self._time(bar)
        prices = prices if prices is not None else self._prices(bar)
        targets = targets if targets is not None else self.targets.at(bar)
        venue = self.venue
        venue.move_to(now, prices, self._markets(prices))
        snapshot = Snapshot(
            self.quote,
            await venue.fetch_balances(),
            prices,
            await venue.fetch_markets(self.quote, self.assets),
            self.settings.fee_rate,
            now,
            frozen={} if self.crash_guard is None else self.crash_guard.frozen(bar),
            buy_fee_in_quote=venue.buy_fee_in_quote,
        )
        plan = plan_rebalance(snapshot, targets, self.first_plan)
        if self.deferral is not None and plan.sells:
            weights = weights if weights is not None else self._weights(prices)
            targets, deferred = self.deferral.targets(snapshot, weights, targets, plan)
            if deferred:
                plan = plan_rebalance(snapshot, targets, self.first_plan)
        if plan.orders:
            self.held = None  # the orders change the balances
            executor = Executor(venue, self.journal, lambda: now, self.execution)
            execution = await executor.execute(
                run_id=run_id,
                run_started=now,
                plan=plan,
                snapshot=snapshot,
                targets=targets,
                settings=self.planner,
            )
            first = len(self.trades)
            for result in execution.results:
                self._record(result, now, prices)
            if self.deferral is not None:
                self.deferral.record(self.trades[first:], prices)

    def _record(self, result: OrderResult, now: datetime, prices: Mapping[str, Decimal]) -> None:
        for fill in result.fills:
            self.trades.append(
                Trade(now, result.symbol, result.side, fill.amount, fill.price, fill.fee, fill.fee_asset)
            )
            self.fees_value += fill.fee * (ONE if fill.fee_asset == self.quote else prices[fill.fee_asset])

    def _markets(self, prices: Mapping[str, Decimal]) -> Mapping[str, MarketRules]:
        if self.settings.market_rules:
            return {a: default_rules(a, self.quote, prices[a]) for a in self.assets}
        return self.fractional

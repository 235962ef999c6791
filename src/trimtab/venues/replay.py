"""A replayed market: a price history walked along at a chosen speed, and the clock that walks it.

The market's clock is the portfolio's clock: ``market_time = start + (wall_now - wall_at_start) * speed``
(:class:`ReplayClock`), so at ``speed`` 86400 a replayed day passes each wall-clock second and a monthly
calendar policy fires as the replayed months pass. The wall clock is injected: a test passes a fake one and
runs a year in no time.

No look-ahead: a bar's close is known from the moment the bar closes (the backtester's convention, see
:mod:`trimtab.backtest.data`: the daily row dated D is the price at D+1 00:00 UTC). At market time T the
price is the close of the last bar that closed at or before T; on daily data, at 2024-03-05 10:00 that is
the close of 2024-03-04. Daily closes (for dynamic weights) are the closes of the bars ending at midnight
UTC, again only those closed by T. Once T reaches the close the bar after the last one would have had,
the data has run out: every price read raises :class:`ReplayEnded`.

A run happens at one instant of market time: :meth:`ReplayClock.held` stops the clock while a run plans
and trades (at a day per second a run of 50 ms would otherwise span more than an hour of market prices),
and lets it catch up afterwards.

Example::

    clock = ReplayClock(datetime(2024, 1, 1, tzinfo=UTC), speed=86400)
    market = ReplayMarket(track, clock, quote="USDT")
    venue = PaperVenue(settings, quote="USDT", state_path=path, history=history, clock=clock, market=market)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from trimtab.errors import ConfigError
from trimtab.model.markets import MarketRules
from trimtab.model.tickers import Ticker, change_percent

_DAY = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Where a replay that ran off the calendar stands (a clock may not raise; the market then has ended).
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


def _wall_now() -> datetime:
    return datetime.now(UTC)


class ReplayEnded(ConfigError):
    """The replay reached the end of its price data: no price is known at the market's time.

    Not the venue failing: the ``run`` loop ends cleanly and the run is closed as skipped, not counted
    by the kill switch. A ConfigError (exit code 2, bad input): going on needs a longer price file
    (``exchange.replay.prices``), or ``trimtab reset`` to replay again.
    """

    def __init__(self, at: datetime, source: str, last_close: datetime) -> None:
        self.at = at
        self.last_close = last_close
        super().__init__(
            source,
            "",
            f"the replay reached the end of its price data at {_moment(at)} (the last close is at "
            f"{_moment(last_close)}); give a longer file as exchange.replay.prices, or `trimtab reset` to "
            "replay again",
        )


def replay_start(start: datetime, last_recorded: datetime | None) -> datetime:
    """Where a replay (re)starts: at ``start``, or at the ledger's last recorded run when that is later,
    so a restarted service goes on from where it stopped instead of replaying months twice."""
    return start if last_recorded is None or last_recorded <= start else last_recorded


class ReplayClock:
    """Market time running ``speed`` times as fast as ``wall`` from ``start`` (aware UTC).

    Callable like any clock of trimtab. :meth:`wall_seconds_until` converts a wait in market time to the
    wall time a scheduler sleeps. The market time at which the clock is first read is ``start``: the
    market starts moving at the first check, not while the process starts (at a day per second, loading
    the prices and the ledger would otherwise skip hours of market time before the first run).
    """

    def __init__(self, start: datetime, speed: float, wall: Callable[[], datetime] = _wall_now) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        if start.tzinfo is None:
            raise ValueError("start must be an aware time")
        self.start = start.astimezone(UTC)
        self.speed = float(speed)
        self._wall = wall
        self._wall_at_start: datetime | None = None  # read at the first reading of the clock
        self._held: datetime | None = None
        self._holders = 0

    def __call__(self) -> datetime:
        if self._held is not None:
            return self._held
        return self._running()

    def _running(self) -> datetime:
        now = self._wall()
        if self._wall_at_start is None:
            self._wall_at_start = now
        elapsed = (now - self._wall_at_start).total_seconds()
        try:
            return self.start + timedelta(seconds=elapsed * self.speed)
        except OverflowError:
            return _END_OF_TIME

    def wall_seconds_until(self, when: datetime) -> float:
        """Wall-clock seconds until the market reaches ``when`` (0 when it already has)."""
        return max(0.0, (when - self()).total_seconds() / self.speed)

    @contextlib.contextmanager
    def held(self) -> Iterator[datetime]:
        """Stop the market at its current time while the block runs (one run happens at one market
        instant); on leaving, the clock catches up with the wall clock. Holds nest."""
        if self._holders == 0:
            self._held = self._running()
        self._holders += 1
        try:
            assert self._held is not None
            yield self._held
        finally:
            self._holders -= 1
            if self._holders == 0:
                self._held = None


class PriceTrack:
    """Closes of ``assets`` at evenly spaced bar close times: ``closes[i, j]`` is the close of
    ``assets[j]`` at ``close_times[i]`` (Unix seconds, UTC, increasing), NaN before the asset listed.

    The closes are the floats the backtester reads (:class:`trimtab.backtest.data.PriceFrame`); each
    crosses into trimtab's money as ``Decimal(repr(x))``, the shortest decimal of the float, which is the
    number as the file wrote it. The arrays are shared, never written.
    """

    def __init__(
        self,
        source: str,
        close_times: NDArray[np.int64],
        bar_seconds: int,
        assets: Sequence[str],
        closes: NDArray[np.float64],
    ) -> None:
        if len(close_times) == 0:
            raise ValueError("a price track needs at least one bar")
        if closes.shape != (len(close_times), len(assets)):
            raise ValueError(f"closes has shape {closes.shape}, expected one column per asset")
        self.source = source
        self.close_times = close_times
        self.bar_seconds = bar_seconds
        self.assets = tuple(assets)
        self.closes = closes
        self._column = {a: j for j, a in enumerate(self.assets)}
        self._midnights = np.flatnonzero(close_times % _DAY == 0)

    @property
    def first_close(self) -> datetime:
        return _at(int(self.close_times[0]))

    @property
    def last_close(self) -> datetime:
        return _at(int(self.close_times[-1]))

    @property
    def end(self) -> datetime:
        """When the bar after the last one would have closed: from then on the data has run out."""
        return _at(int(self.close_times[-1]) + self.bar_seconds)

    def bar_at(self, moment: datetime) -> int:
        """The index of the last bar closed at or before ``moment`` (-1 before the first one); raises
        ReplayEnded from :attr:`end` on."""
        if moment >= self.end:
            raise ReplayEnded(moment, self.source, self.last_close)
        seconds = int((moment - _EPOCH).total_seconds() // 1)
        return int(np.searchsorted(self.close_times, seconds, side="right")) - 1

    def prices_at(self, moment: datetime, assets: Sequence[str]) -> dict[str, Decimal]:
        """The close of the last bar closed by ``moment`` of each asset that has one."""
        row = self.bar_at(moment)
        if row < 0:
            return {}
        column = self._column
        prices = {a: _money(self.closes[row, column[a]]) for a in assets if a in column}
        return {a: p for a, p in prices.items() if p is not None}

    def tickers_at(self, moment: datetime, assets: Sequence[str]) -> dict[str, Ticker]:
        """The ticker at ``moment`` of each asset with a price: the last closed bar's close, timed at
        ``moment`` (the newest price there is until the next bar closes, so a replay's prices are never
        stale), and its change from the close of the bar closed 24 hours earlier (None before that)."""
        row = self.bar_at(moment)
        if row < 0:
            return {}
        before = self.bar_at(moment - timedelta(days=1))
        tickers: dict[str, Ticker] = {}
        for asset in assets:
            j = self._column.get(asset)
            last = None if j is None else _money(self.closes[row, j])
            if j is None or last is None:
                continue
            earlier = _money(self.closes[before, j]) if before >= 0 else None
            change = change_percent(last, earlier) if earlier is not None else None
            tickers[asset] = Ticker(last, moment, change)
        return tickers

    def daily_closes_at(self, moment: datetime, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        """Up to ``days`` closes at midnight UTC (daily closes) of each asset, oldest first, all closed by
        ``moment``."""
        row = self.bar_at(moment)
        midnights = self._midnights
        known = midnights[: int(np.searchsorted(midnights, row, side="right"))][-days:]
        column = self._column
        closes: dict[str, list[Decimal]] = {}
        for asset in assets:
            if asset in column:
                values = [_money(self.closes[i, column[asset]]) for i in known]
                found = [v for v in values if v is not None]
                if found:
                    closes[asset] = found
        return closes


class ReplayMarket:
    """The :class:`~trimtab.venues.paper_market.PaperMarket` of a :class:`PriceTrack` read at ``clock``'s
    time (the market's time; a :class:`ReplayClock`). The quote itself is never priced."""

    def __init__(self, track: PriceTrack, clock: Callable[[], datetime], quote: str) -> None:
        self.track = track
        self._clock = clock
        self._quote = quote

    async def last_prices(self, assets: Sequence[str]) -> dict[str, Decimal]:
        return self.track.prices_at(self._clock(), [a for a in assets if a != self._quote])

    async def tickers(self, assets: Sequence[str]) -> dict[str, Ticker]:
        return self.track.tickers_at(self._clock(), [a for a in assets if a != self._quote])

    async def daily_closes(self, assets: Sequence[str], days: int) -> dict[str, list[Decimal]]:
        return self.track.daily_closes_at(self._clock(), [a for a in assets if a != self._quote], days)

    async def market_rules(self, assets: Sequence[str]) -> dict[str, MarketRules]:
        return {}  # a price file has no lot rules: Binance-like defaults apply

    async def close(self) -> None:
        return None


def _money(value: np.float64) -> Decimal | None:
    number = float(value)
    return None if math.isnan(number) else Decimal(repr(number))  # NaN: not listed yet


def _at(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")

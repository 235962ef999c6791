"""Close prices for the vectorised backtest: a wide CSV turned into one float matrix on a complete time grid.

The file (read by :mod:`trimtab.backtest.price_csv`): a time column first, named like one (``date``,
``datetime_utc``, ``timestamp``, ...), in any of the formats of :mod:`trimtab.backtest.time_column`
(``YYYY-MM-DD``; ISO 8601 date and time, ``T`` or space, with or without seconds and zone; epoch seconds
or milliseconds). Dates make daily bars; times make daily or hourly bars, whichever spacing most rows have.

A row's time is when its candle OPENS (Binance's klines, ccxt's OHLCV and pandas' resample all label a
candle so) and its value is the candle's close, so the bar's close time is one bar later: the row dated
2020-08-11 is the price at 2020-08-12 00:00 UTC, the row ``2024-03-01 05:00`` the price at 06:00.

Every other column is an asset; a cell is empty before the asset listed. In the loaded
:class:`PriceFrame` time is always the bar CLOSE time (the moment the price is known and a trade at it
could happen). Missing bars (exchange outages) and missing cells after listing are forward-filled: nobody
could trade then, so the last known price is the only one a bot could have seen.

Dates given to :meth:`PriceFrame.select` refer to the UTC date of the bar close time, the same clock as
``times``: ``start=2020-08-12`` on the daily file starts at the close of the candle labelled 2020-08-11.

Example::

    frame = load_price_frame().select(["BTC", "ETH"], date(2021, 1, 1), date(2021, 12, 31))
    frame.closes.shape  # (365, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from trimtab.backtest.price_csv import PriceTable, read_price_table
from trimtab.backtest.time_column import column_label
from trimtab.errors import ConfigError, Mention, Wording
from trimtab.suggest import did_you_mean

BUNDLED_NAME = "daily_close_usd.csv"

Bar = Literal["1d", "1h"]

_STEP_SECONDS: dict[Bar, int] = {"1d": 86_400, "1h": 3_600}
_BARS_PER_YEAR: dict[Bar, float] = {"1d": 365.0, "1h": 8_760.0}
# Real outages are hours long (the longest in the bundled data is 33 h). A gap of weeks is far more likely a
# typo in a time stamp, and forward-filling it would invent a flat price for the whole gap.
_MAX_GAP_SECONDS = 7 * 86_400
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)  # eq=False: element-wise array comparison has no single truth value
class PriceFrame:
    """Closes of several assets on a complete, evenly spaced grid of bar close times (UTC).

    ``closes[i, j]`` is the close of ``assets[j]`` at ``times[i]``: NaN before the asset's first close,
    forward-filled over any later gap. ``times`` is ``datetime64[s]``, strictly increasing by exactly one
    bar. The arrays are read-only, so a frame (including the cached bundled one) can be shared safely.
    """

    source: str
    times: NDArray[np.datetime64]
    assets: tuple[str, ...]
    closes: NDArray[np.float64]
    bar: Bar

    def __post_init__(self) -> None:
        times = np.asarray(self.times)
        closes = np.asarray(self.closes, dtype=np.float64)
        if times.dtype.kind != "M" or times.ndim != 1:
            raise ValueError(f"times must be a 1-D datetime64 array, got {times.dtype} {times.shape}")
        if closes.shape != (len(times), len(self.assets)):
            raise ValueError(f"closes has shape {closes.shape}, expected {(len(times), len(self.assets))}")
        # Read-only views: the caller's arrays stay as they were, the frame's cannot be written through.
        for name, array in (("times", times.astype("datetime64[s]", copy=False)), ("closes", closes)):
            view = array.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)

    @property
    def bars_per_year(self) -> float:
        """365.0 for daily bars (crypto trades every day of the year), 8760.0 for hourly bars."""
        return _BARS_PER_YEAR[self.bar]

    @property
    def spacing(self) -> timedelta:
        """The time between two bars: one day or one hour."""
        return timedelta(seconds=_STEP_SECONDS[self.bar])

    def select(self, assets: Sequence[str], start: date | None = None, end: date | None = None) -> PriceFrame:
        """The given assets (in that order) on the bars whose close date lies in ``[start, end]`` (inclusive).

        ``end=None`` runs to the last bar; ``start=None`` starts at the first bar at which every selected
        asset has a price. A given start must have a price of every selected asset at its first bar,
        otherwise ConfigError says the earliest start date that works. Unknown or repeated assets and an empty
        selection are ConfigErrors too.
        """
        if isinstance(assets, str):
            raise TypeError("assets must be a sequence of asset names, not one string")
        columns = self._columns(assets)
        days = self.times.astype("datetime64[D]")
        if start is None:
            firsts = {a: self._first_close(c) for a, c in zip(assets, columns, strict=True)}
            if max(firsts.values()) == len(self.times):
                self._raise_not_listed(max(firsts, key=lambda a: firsts[a]), firsts)
            lo = max(firsts.values())
        else:
            lo = int(np.searchsorted(days, np.datetime64(start, "D"), side="left"))
        hi = len(days) if end is None else int(np.searchsorted(days, np.datetime64(end, "D"), side="right"))
        if lo >= hi:
            raise ConfigError(
                self.source,
                "start" if start is not None else "end",
                f"no bars between {start or 'the start'} and {end or 'the end'}; "
                f"the file covers bar close dates {_day(self.times[0])} .. {_day(self.times[-1])}"
                + (
                    f", and every selected asset has a price from {_day(self.times[lo])}"
                    if start is None and 0 < lo < len(self.times)
                    else ""
                ),
            )
        closes = self.closes[lo:hi, columns]
        missing = [j for j in range(len(columns)) if np.isnan(closes[0, j])]
        if missing:
            # name the asset that lists last: a start that suits it suits all of them
            firsts = {assets[j]: self._first_close(columns[j]) for j in missing}
            self._raise_not_listed(max(firsts, key=lambda a: firsts[a]), firsts)
        return PriceFrame(
            source=self.source,
            times=self.times[lo:hi].copy(),
            assets=tuple(assets),
            closes=closes.copy(),
            bar=self.bar,
        )

    def clamped(self, start: date | None, end: date | None) -> list[Wording]:
        """A note for each of ``start`` and ``end`` that lies outside the file and so is moved to its edge."""
        first, last = _day(self.times[0]), _day(self.times[-1])
        notes = []
        if start is not None and start < first:
            notes.append(
                Wording.of(
                    Mention("start", str(start)),
                    f" is before the prices in {self.source}, whose first bar closes on {first}: "
                    f"the run starts on {first}",
                )
            )
        if end is not None and end > last:
            notes.append(
                Wording.of(
                    Mention("end", str(end)),
                    f" is after the prices in {self.source}, whose last bar closes on {last}: "
                    f"the run ends on {last}",
                )
            )
        return notes

    def _columns(self, assets: Sequence[str]) -> list[int]:
        if not assets:
            raise ConfigError(self.source, "assets", "select at least one asset")
        index = {name: j for j, name in enumerate(self.assets)}
        unknown = [a for a in assets if a not in index]
        if unknown:
            raise ConfigError(
                self.source,
                "assets",
                f"unknown asset {', '.join(unknown)}{did_you_mean(unknown[0], self.assets)}; "
                f"available: {', '.join(self.assets)}",
            )
        repeated = sorted({a for a in assets if list(assets).count(a) > 1})
        if repeated:
            raise ConfigError(self.source, "assets", f"{', '.join(repeated)} selected more than once")
        return [index[a] for a in assets]

    def _first_close(self, column: int) -> int:
        """Index of the first bar at which ``column`` has a price (len(times) if it never has one)."""
        listed = np.flatnonzero(~np.isnan(self.closes[:, column]))
        return int(listed[0]) if len(listed) else len(self.times)

    def _raise_not_listed(self, asset: str, firsts: dict[str, int]) -> None:
        k = firsts[asset]
        if k == len(self.times):
            raise ConfigError(self.source, "assets", f"{asset} has no price anywhere in the file")
        close = self.times[k]
        opened = close - np.timedelta64(_STEP_SECONDS[self.bar], "s")
        # A run starting on date D begins at the first bar closing on D. That bar must be bar k or later:
        # D = close date of bar k if bar k is the first bar of its date, else the next date.
        first_of_day = k == 0 or _day(self.times[k - 1]) < _day(close)
        start = _day(close) if first_of_day else date.fromordinal(_day(close).toordinal() + 1)
        others = sorted(a for a in firsts if a != asset)
        also = (
            f" (that also suits {', '.join(others)}, which list earlier but after the start you chose)"
            if others
            else ""
        )
        candle = (
            "daily candle, opened " + str(_day(opened))
            if self.bar == "1d"
            else "hourly candle, opened " + _hm(opened)
        )
        raise ConfigError(
            self.source,
            "start",
            f"{asset} has no price before {_hm(close)} UTC (the close of its first {candle}); "
            f"start on or after {start}{also}",
        )


def load_price_frame(
    path: Path | None = None,
    only: Sequence[str] | None = None,
    rows: tuple[date | None, date | None] = (None, None),
) -> PriceFrame:
    """Load a wide close-price CSV (daily or hourly, see the module docstring) into a :class:`PriceFrame`.

    ``None`` loads the bundled daily Binance closes (``trimtab.data/daily_close_usd.csv``), parsed once per
    process and cached. ``only`` reads just those assets' columns of a file, ``rows`` (first and last
    date, both included; None: no bound) just the rows stamped on those days, when the file allows (see
    :func:`~trimtab.backtest.price_csv.read_price_table`); the bundled file is read whole. Both are
    faster on a file with many columns or years. Every problem with the file is one ConfigError line
    naming the file (and the line).
    """
    if path is None:
        return _bundled_frame()
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read the file ({error.strerror or error})") from None
    return parse_price_frame(data, str(path), only, _seconds_between(*rows))


def _seconds_between(first: date | None, last: date | None) -> tuple[int, int] | None:
    """The Unix seconds from ``first``'s midnight to ``last``'s last second (UTC); None: every row."""
    if first is None and last is None:
        return None
    day = 86_400
    since = -(2**62) if first is None else (first - _EPOCH_DAY).days * day
    until = 2**62 if last is None else (last - _EPOCH_DAY).days * day + day - 1
    return since, until


@cache
def _bundled_frame() -> PriceFrame:
    data = resources.files("trimtab.data").joinpath(BUNDLED_NAME).read_bytes()
    return parse_price_frame(data, f"bundled {BUNDLED_NAME}")


def parse_price_frame(
    data: str | bytes,
    source: str,
    only: Sequence[str] | None = None,
    between: tuple[int, int] | None = None,
) -> PriceFrame:
    """Parse the text of a wide CSV; ``source`` names it in errors. See :func:`load_price_frame`."""
    table = read_price_table(data, source, only, between)
    values = table.values
    bad = np.argwhere((~(values > 0) & ~np.isnan(values)) | np.isinf(values))
    if len(bad):
        i, j = (int(k) for k in bad[0])
        raise ConfigError(
            source,
            f"line {table.lines[i]}",
            f"{table.assets[j]}: prices must be positive and finite, got {values[i, j]:g}",
        )
    if len(table.seconds) > 1 and (np.diff(table.seconds) < 0).all():  # newest first (CryptoDataDownload)
        table = table.reversed()
        values = table.values
    opens = table.seconds
    backwards = np.flatnonzero(np.diff(opens) <= 0)
    if len(backwards):
        i = int(backwards[0]) + 1
        raise ConfigError(
            source,
            f"line {table.lines[i]}",
            f"{column_label(table.time_column)}: times must increase, "
            f"{table.stamp(i)} follows {table.stamp(i - 1)}",
        )
    bar = _bar_of(table, source)
    step = _STEP_SECONDS[bar]
    _check_grid(table, bar, source)
    offsets = opens - opens[0]
    gaps = np.diff(offsets)
    if len(gaps) and gaps.max() > _MAX_GAP_SECONDS:
        i = int(np.argmax(gaps)) + 1
        raise ConfigError(
            source,
            f"line {table.lines[i]}",
            f"{column_label(table.time_column)}: {table.stamp(i)} follows {table.stamp(i - 1)}: "
            "a gap of more than 7 days looks like a wrong date",
        )
    # Reindex onto the complete grid: rows missing from the file are outages, filled from the bar before.
    grid = _on_grid(values, offsets // step, int(offsets[-1]) // step + 1)
    closes_at = (opens[0] + step * (np.arange(len(grid), dtype=np.int64) + 1)).astype("datetime64[s]")
    return PriceFrame(source=source, times=closes_at, assets=table.assets, closes=grid, bar=bar)


def _on_grid(values: NDArray[np.float64], rows: NDArray[np.int64], length: int) -> NDArray[np.float64]:
    """``values[i]`` at grid row ``rows[i]`` (increasing, from 0), a grid row without one taking the row
    before it, then each empty cell after its asset listed taking the cell above: the last known price."""
    source = np.full(length, -1, dtype=np.int64)
    source[rows] = np.arange(len(rows))
    np.maximum.accumulate(source, out=source)
    grid = values[source]
    missing = np.isnan(grid)
    # Only columns with a gap after their first price need filling (leading NaNs stay: not listed yet).
    gapped = np.flatnonzero(missing.sum(axis=0) > np.argmax(~missing, axis=0))
    if len(gapped):
        grid[:, gapped] = _forward_fill(grid[:, gapped])
    return grid


def _bar_of(table: PriceTable, source: str) -> Bar:
    """Daily or hourly: dates are days; times are as far apart as most neighbouring rows are."""
    if table.time_format.kind == "date":
        return "1d"
    gaps = np.diff(table.seconds)
    if not len(gaps):  # one row: midnight reads as a day
        return "1d" if table.seconds[0] % 86_400 == 0 else "1h"
    steps, counts = np.unique(gaps, return_counts=True)
    step = int(steps[np.argmax(counts)])
    for bar, seconds in _STEP_SECONDS.items():
        if step == seconds:
            return bar
    i = int(np.flatnonzero(gaps == step)[0]) + 1
    raise ConfigError(
        source,
        f"line {table.lines[i]}",
        f"most rows are {_duration(step)} apart ({table.stamp(i - 1)}, {table.stamp(i)}); "
        "expected one row a day or one an hour",
    )


def _check_grid(table: PriceTable, bar: Bar, source: str) -> None:
    """Hourly rows on whole UTC hours; daily rows all at the time of day of the first."""
    seconds = table.seconds
    if bar == "1h":
        off = np.flatnonzero(seconds % 3_600)
        expected = "a whole hour"
    else:
        off = np.flatnonzero((seconds - seconds[0]) % 86_400)
        clock = str(np.datetime64(int(seconds[0]), "s"))[11:]
        expected = f"one row a day at {clock} UTC like line {table.lines[0]}"
    if len(off):
        i = int(off[0])
        raise ConfigError(
            source,
            f"line {table.lines[i]}",
            f"{column_label(table.time_column)}: expected {expected}, got {table.stamp(i)!r}",
        )


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _forward_fill(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Carry the last non-NaN value of each column down; leading NaNs (before listing) stay NaN."""
    rows = np.arange(len(values))[:, None]
    source_row = np.where(np.isnan(values), 0, rows)
    np.maximum.accumulate(source_row, axis=0, out=source_row)
    return np.take_along_axis(values, source_row, axis=0)


def _day(moment: np.datetime64) -> date:
    """UTC date of a datetime64 value."""
    value = moment.astype("datetime64[s]").item()
    assert isinstance(value, datetime)
    return value.date()


def _hm(moment: np.datetime64) -> str:
    return str(moment.astype("datetime64[m]")).replace("T", " ")

"""Close prices for the vectorised backtest: a wide CSV turned into one float matrix on a complete time grid.

Two CSV formats are read (see ``trimtab/data/SOURCES.md``); the first header cell says which:

``date`` (daily, ``YYYY-MM-DD``)
    The UTC day on which the candle OPENS; the value is its close at 24:00 UTC, so the bar's close time is
    ``date + 1 day`` (the row dated 2020-08-11 is the price at 2020-08-12 00:00 UTC).
``datetime_utc`` (hourly, ``YYYY-MM-DD HH:MM``)
    The UTC hour on which the candle opens; its close time is one hour later.

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

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from trimtab.errors import ConfigError

BUNDLED_NAME = "daily_close_usd.csv"

Bar = Literal["1d", "1h"]

# first header cell -> bar length and the exact width of its time stamps
_FORMATS: dict[str, tuple[Bar, int, str]] = {
    "date": ("1d", 10, "YYYY-MM-DD"),
    "datetime_utc": ("1h", 16, "YYYY-MM-DD HH:MM"),
}
_STEP_SECONDS: dict[Bar, int] = {"1d": 86_400, "1h": 3_600}
_BARS_PER_YEAR: dict[Bar, float] = {"1d": 365.0, "1h": 8_760.0}
# Real outages are hours long (the longest in the bundled data is 33 h). A gap of weeks is far more likely a
# typo in a time stamp, and forward-filling it would invent a flat price for the whole gap.
_MAX_GAP_SECONDS = 7 * 86_400


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

        ``None`` leaves that side open. Every selected asset must have a price at the first selected bar,
        otherwise ConfigError says the earliest start date that works. Unknown or repeated assets and an empty
        selection are ConfigErrors too.
        """
        if isinstance(assets, str):
            raise TypeError("assets must be a sequence of asset names, not one string")
        columns = self._columns(assets)
        days = self.times.astype("datetime64[D]")
        lo = 0 if start is None else int(np.searchsorted(days, np.datetime64(start, "D"), side="left"))
        hi = len(days) if end is None else int(np.searchsorted(days, np.datetime64(end, "D"), side="right"))
        if lo >= hi:
            raise ConfigError(
                self.source,
                "start" if start is not None else "end",
                f"no bars between {start or 'the start'} and {end or 'the end'}; "
                f"the file covers bar close dates {_day(self.times[0])} .. {_day(self.times[-1])}",
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

    def _columns(self, assets: Sequence[str]) -> list[int]:
        if not assets:
            raise ConfigError(self.source, "assets", "select at least one asset")
        index = {name: j for j, name in enumerate(self.assets)}
        unknown = [a for a in assets if a not in index]
        if unknown:
            raise ConfigError(
                self.source,
                "assets",
                f"unknown asset {', '.join(unknown)}; available: {', '.join(self.assets)}",
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


def load_price_frame(path: Path | None = None) -> PriceFrame:
    """Load a wide close-price CSV (daily or hourly, see the module docstring) into a :class:`PriceFrame`.

    ``None`` loads the bundled daily Binance closes (``trimtab.data/daily_close_usd.csv``), parsed once per
    process and cached. Every problem with the file is one ConfigError line naming the file (and the line).
    """
    if path is None:
        return _bundled_frame()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read the file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "", "not a UTF-8 text file") from None
    return parse_price_frame(text, str(path))


@cache
def _bundled_frame() -> PriceFrame:
    text = resources.files("trimtab.data").joinpath(BUNDLED_NAME).read_text(encoding="utf-8")
    return parse_price_frame(text, f"bundled {BUNDLED_NAME}")


def parse_price_frame(text: str, source: str) -> PriceFrame:
    """Parse the text of a wide CSV; ``source`` names it in errors. See :func:`load_price_frame`."""
    header_line, _, body = text.partition("\n")
    header = next(csv.reader([header_line]), [])
    kind = header[0].strip().lower() if header else ""
    if kind not in _FORMATS:
        raise ConfigError(
            source,
            "line 1",
            "expected a header whose first column is 'date' (daily, YYYY-MM-DD) or 'datetime_utc' "
            f"(hourly, YYYY-MM-DD HH:MM), got {header[0] if header else 'an empty line'!r}",
        )
    bar, stamp_width, stamp_format = _FORMATS[kind]
    assets = tuple(name.strip() for name in header[1:])
    _check_assets(assets, source)
    table = _read_fast(body, len(assets)) or _read_slowly(text, assets, source)
    if not table.lines:
        raise ConfigError(source, "", "the file has a header but no rows")
    bad = np.argwhere((~(table.values > 0) & ~np.isnan(table.values)) | np.isinf(table.values))
    if len(bad):
        i, j = (int(k) for k in bad[0])
        raise ConfigError(
            source,
            f"line {table.lines[i]}",
            f"{assets[j]}: prices must be positive and finite, got {table.values[i, j]:g}",
        )
    opens = _parse_times(table, source, width=stamp_width, fmt=stamp_format, bar=bar)
    step = _STEP_SECONDS[bar]
    offsets = (opens - opens[0]).astype(np.int64)
    gaps = np.diff(offsets)
    if len(gaps) and gaps.max() > _MAX_GAP_SECONDS:
        i = int(np.argmax(gaps)) + 1
        raise ConfigError(
            source,
            f"line {table.lines[i]}",
            f"{table.stamps[i]} follows {table.stamps[i - 1]}: "
            "a gap of more than 7 days looks like a wrong date",
        )
    # Reindex onto the complete grid: rows missing from the file are outages, filled from the bar before.
    grid = np.full((int(offsets[-1]) // step + 1, len(assets)), np.nan)
    grid[offsets // step] = table.values
    closes_at = opens[0] + np.timedelta64(step, "s") * (np.arange(len(grid)) + 1)
    return PriceFrame(source=source, times=closes_at, assets=assets, closes=_forward_fill(grid), bar=bar)


@dataclass(frozen=True, eq=False)
class _Table:
    stamps: list[str]  # the time cell of each data row, stripped
    values: NDArray[np.float64]  # (rows, assets); NaN where the cell is empty
    lines: list[int]  # the file line of each data row, for error messages


# Only digits, number punctuation and time-stamp punctuation: no quotes, no text such as "nan" or "inf".
_PLAIN = re.compile(r"[^0-9.,eE+\- :\n]")


def _read_fast(body: str, assets: int) -> _Table | None:
    """numpy's C reader for the common, plain file; None sends anything unusual to :func:`_read_slowly`.

    The csv module plus float() per cell takes ~0.5 s for the 72k x 19 hourly file; this takes ~0.15 s.
    """
    rows = body.splitlines()
    plain = "\n".join(rows)
    # a row with an extra cell would pass unnoticed through usecols; one with a missing cell makes loadtxt fail
    if not rows or _PLAIN.search(plain) or plain.count(",") != len(rows) * assets:
        return None
    # Empty cells become "nan" (the file has no text of its own, checked above); ",,," needs two passes.
    filled = plain.replace(",,", ",nan,").replace(",,", ",nan,").replace(",\n", ",nan\n")
    if filled.endswith(","):
        filled += "nan"
    try:
        values = np.loadtxt(
            io.StringIO(filled), delimiter=",", comments=None, usecols=range(1, assets + 1), ndmin=2
        )
    except ValueError:  # a ragged row or an unparsable number: the slow reader names the line
        return None
    if values.shape != (len(rows), assets):  # loadtxt skipped a blank line: line numbers would be off
        return None
    return _Table([row.partition(",")[0].strip() for row in rows], values, list(range(2, len(rows) + 2)))


def _read_slowly(text: str, assets: tuple[str, ...], source: str) -> _Table:
    """The csv module and float() per cell: handles quoting and blank lines, and finds the bad line."""
    reader = csv.reader(io.StringIO(text))
    next(reader)  # the header, already checked
    stamps: list[str] = []
    values: list[list[float]] = []
    lines: list[int] = []
    for row in reader:
        if not "".join(row).strip():  # a blank line
            continue
        if len(row) != len(assets) + 1:
            raise ConfigError(
                source, f"line {reader.line_num}", f"expected {len(assets) + 1} columns, got {len(row)}"
            )
        stamps.append(row[0].strip())
        values.append(
            [
                _price(cell.strip(), asset, reader.line_num, source)
                for cell, asset in zip(row[1:], assets, strict=True)
            ]
        )
        lines.append(reader.line_num)
    return _Table(stamps, np.array(values, dtype=np.float64).reshape(len(lines), len(assets)), lines)


def _price(cell: str, asset: str, line: int, source: str) -> float:
    if not cell:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise ConfigError(source, f"line {line}", f"{asset}: expected a price, got {cell!r}") from None
    if not math.isfinite(value):
        raise ConfigError(source, f"line {line}", f"{asset}: expected a price, got {cell!r}")
    return value


def _check_assets(assets: tuple[str, ...], source: str) -> None:
    if not assets:
        raise ConfigError(source, "line 1", "expected at least one asset column after the time column")
    if "" in assets:
        raise ConfigError(source, "line 1", f"asset column {assets.index('') + 2} has no name")
    repeated = sorted({a for a in assets if assets.count(a) > 1})
    if repeated:
        raise ConfigError(source, "line 1", f"asset column {', '.join(repeated)} appears more than once")


def _parse_times(table: _Table, source: str, *, width: int, fmt: str, bar: Bar) -> NDArray[np.datetime64]:
    """Bar OPEN times as datetime64[s], checked: exact format, whole units, strictly increasing."""
    stamps = table.stamps
    bad = [i for i, stamp in enumerate(stamps) if len(stamp) != width]
    try:
        if bad:
            raise ValueError
        opens = np.array(stamps, dtype="datetime64[m]").astype("datetime64[s]")
    except ValueError:
        i = bad[0] if bad else _first_bad_time(stamps)
        raise ConfigError(
            source, f"line {table.lines[i]}", f"expected a time {fmt}, got {stamps[i]!r}"
        ) from None
    off_grid = np.flatnonzero(opens.astype(np.int64) % _STEP_SECONDS[bar])
    if len(off_grid):  # only possible for hourly stamps: minutes other than :00
        i = int(off_grid[0])
        raise ConfigError(source, f"line {table.lines[i]}", f"expected a whole hour, got {stamps[i]!r}")
    backwards = np.flatnonzero(np.diff(opens) <= np.timedelta64(0, "s"))
    if len(backwards):
        i = int(backwards[0]) + 1
        raise ConfigError(
            source, f"line {table.lines[i]}", f"times must increase, {stamps[i]} follows {stamps[i - 1]}"
        )
    return opens


def _first_bad_time(stamps: list[str]) -> int:
    for i, stamp in enumerate(stamps):
        try:
            np.datetime64(stamp, "m")
        except ValueError:
            return i
    return 0  # not reached: numpy failed on the whole list, so one stamp fails on its own


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

"""Reading a wide close-price CSV: a time column, then one column of closes per asset.

This module reads cells; :mod:`trimtab.backtest.data` makes bars of them. The first column holds the times
and must be named like one (``date``, ``datetime``, ``time``, ``timestamp``, ``datetime_utc``, ``Date``,
``open_time``, ...; an empty name, as pandas writes for an unnamed index, also counts); its format is
detected from the first row (:mod:`trimtab.backtest.time_column`). Every other column is an asset, a cell
is a close or empty.

Speed: a plain file (ASCII, no quotes, no blank lines, every row with every cell) goes through numpy's C
reader for the closes and whole-column parsing for the times, each a few passes over the bytes in C: 10
assets x 5 years of hourly rows (~44k rows, 3.9 MB) in ~30-70 ms on 2 shared cores, 1.6-2x faster than
the reader before it (``bench/bench_price_csv.py``). A caller that needs only some assets reads only
their columns. Anything else, or a file the fast path cannot read, is read again by the csv module cell
by cell, which accepts quotes and blank lines and names the line of any bad cell.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from trimtab.backtest.time_column import StampFormat, parse_stamps
from trimtab.errors import ConfigError
from trimtab.suggest import did_you_mean

_BOM = b"\xef\xbb\xbf"
# Words that make a header cell the name of a time column, after splitting it into lower-case words
# ("Open time", "openTime" and "open_time" all give {"open", "time"}).
_TIME_WORDS = frozenset(
    {"date", "datetime", "time", "timestamp", "ts", "day", "hour", "epoch", "unix", "utc"}
)
_FEW_EMPTY = 10_000  # empty cells filled in one by one; more are filled in bulk
_OHLCV = frozenset({"open", "high", "low", "close", "volume"})
# Every byte of a plain file: numbers, stamps, separators. Anything else (quotes, text such as "nan" or
# "inf" that numpy's reader would take for a number, non-ASCII) goes to the careful reader.
_PLAIN = b"0123456789.,-+eE:TZ \n"


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value
class PriceTable:
    """The cells of a price file: ``seconds[i]`` (Unix, UTC) and ``values[i]`` (NaN: empty) of line ``lines[i]``."""

    time_column: str
    time_format: StampFormat
    assets: tuple[str, ...]
    seconds: NDArray[np.int64]
    values: NDArray[np.float64]
    lines: NDArray[np.int64]
    stamps: NDArray[np.bytes_]  # the time cells as written, for messages

    def reversed(self) -> PriceTable:
        """The same rows, last first (for a file written newest first)."""
        return replace(
            self,
            seconds=self.seconds[::-1],
            values=self.values[::-1],
            lines=self.lines[::-1],
            stamps=self.stamps[::-1],
        )

    def stamp(self, row: int) -> str:
        """The time cell of ``row`` as written in the file."""
        return bytes(self.stamps[row]).decode("utf-8", "replace").strip()


def read_price_table(
    data: bytes | str,
    source: str,
    only: Sequence[str] | None = None,
    between: tuple[int, int] | None = None,
) -> PriceTable:
    """The header, times and closes of a wide price CSV; every problem is one ConfigError naming the line.

    ``only`` reads just those asset columns (in the file's order), when a caller knows which it needs:
    the closes are most of the work. A cell of another column is not looked at. ``between`` (Unix
    seconds, both included) reads the closes of just the rows stamped in that span, when the file is
    plain and in time order (else every row): a backtest of part of a long file parses part of it. The
    times of every row are still read and checked.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    raw = raw.removeprefix(_BOM)
    head, _, body = raw.partition(b"\n")
    try:
        header_line = head.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise ConfigError(source, "", "not a UTF-8 text file") from None
    header = next(csv.reader([header_line]), [])
    time_column = header[0].strip() if header else ""
    if not header or not _names_a_time(time_column):
        raise ConfigError(
            source,
            "line 1",
            "expected a header whose first column holds the times, named like date, datetime, time or "
            f"timestamp, then one column per asset; got {header_line[:80]!r}",
        )
    assets = tuple(name.strip() for name in header[1:])
    _check_assets(assets, source)
    columns = _columns(assets, only, source)
    chosen = tuple(assets[c] for c in columns)
    layout = _plain_layout(body, len(assets))
    if layout is not None:
        table = _read_fast(layout, len(assets), columns, between, (source, time_column, chosen))
        if table is not None:
            return table
    stamps, values, lines = _read_slowly(body, assets, columns, source)
    if not len(lines):
        raise ConfigError(source, "", "the file has a header but no rows")
    seconds, fmt = parse_stamps(stamps, lines, source, time_column)
    return PriceTable(time_column, fmt, chosen, seconds, values, lines, stamps)


def _columns(assets: tuple[str, ...], only: Sequence[str] | None, source: str) -> list[int]:
    """The indexes (among ``assets``) of the columns to read: all, or those of ``only``."""
    if only is None:
        return list(range(len(assets)))
    unknown = [a for a in only if a not in assets]
    if unknown:
        raise ConfigError(
            source,
            "assets",
            f"unknown asset {', '.join(unknown)}{did_you_mean(unknown[0], assets)}; "
            f"available: {', '.join(assets)}",
        )
    return sorted({assets.index(a) for a in only})


def _names_a_time(name: str) -> bool:
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()
    return name == "" or bool(_TIME_WORDS.intersection(re.split(r"[^a-z]+", words)))


def _check_assets(assets: tuple[str, ...], source: str) -> None:
    if not assets:
        raise ConfigError(source, "line 1", "expected at least one asset column after the time column")
    if "" in assets:
        raise ConfigError(source, "line 1", f"asset column {assets.index('') + 2} has no name")
    repeated = sorted({a for a in assets if assets.count(a) > 1})
    if repeated:
        raise ConfigError(source, "line 1", f"asset column {', '.join(repeated)} appears more than once")
    if {a.lower() for a in assets} <= _OHLCV and len(assets) > 1:
        raise ConfigError(
            source,
            "line 1",
            f"columns {', '.join(assets)} look like the candles of one market; expected one column of "
            "closes per asset, named by the asset (e.g. timestamp,BTC,ETH)",
        )


_Cells = tuple[NDArray[np.bytes_], NDArray[np.float64], NDArray[np.int64]]


class _Layout(NamedTuple):
    """A plain file's body (ending with a newline) and where its newlines and commas are."""

    body: bytes
    buffer: NDArray[np.uint8]
    newlines: NDArray[np.intp]
    commas: NDArray[np.intp]


def _plain_layout(body: bytes, assets: int) -> _Layout | None:
    """The layout of a plain file (every row with every cell); None sends anything else to the careful
    reader. Each step is one pass over the bytes in C."""
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
    if not body.endswith(b"\n"):
        body += b"\n"
    buffer = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == ord("\n"))
    if body.translate(None, _PLAIN) or newlines[0] == 0 or (np.diff(newlines) == 1).any():
        return None  # text that is no number or time, or a blank line (line numbers would be off)
    commas = np.flatnonzero(buffer == ord(","))
    # Every row must have every cell: usecols would not notice a row one cell short or long.
    if (
        len(commas) != len(newlines) * assets
        or (np.diff(np.searchsorted(commas, newlines), prepend=0) != assets).any()
    ):
        return None
    return _Layout(body, buffer, newlines, commas)


def _read_fast(
    layout: _Layout,
    assets: int,
    columns: list[int],
    between: tuple[int, int] | None,
    names: tuple[str, str, tuple[str, ...]],
) -> PriceTable | None:
    """numpy's C reader for a plain file, the closes of the rows ``between`` only; None sends a file whose
    numbers it cannot read to :func:`_read_slowly`, which names the bad line. The closes' float parsing
    in loadtxt is most of the time."""
    source, time_column, chosen = names
    rows = len(layout.newlines)
    lines = np.arange(2, rows + 2, dtype=np.int64)
    stamps = _stamps(layout.buffer, layout.newlines)
    seconds, fmt = parse_stamps(stamps, lines, source, time_column)
    first, last = _rows_between(seconds, between)
    begin = 0 if first == 0 else int(layout.newlines[first - 1]) + 1
    stop = int(layout.newlines[last - 1]) + 1
    commas = layout.commas[first * assets : last * assets] - begin  # every row has `assets` commas
    values = _closes(layout.body[begin:stop], layout.buffer[begin:stop], commas, assets, columns)
    if values is None or values.shape != (last - first, len(columns)):
        return None
    cut = slice(first, last)
    return PriceTable(time_column, fmt, chosen, seconds[cut], values, lines[cut], stamps[cut])


def _rows_between(seconds: NDArray[np.int64], between: tuple[int, int] | None) -> tuple[int, int]:
    """The rows ``[first, last)`` stamped within ``between``: all of them unless the times increase and
    at least two rows fall inside (a span that misses the file is answered from the whole file)."""
    if between is None or not (np.diff(seconds) > 0).all():
        return 0, len(seconds)
    since, until = between
    first = int(np.searchsorted(seconds, since, side="left"))
    last = int(np.searchsorted(seconds, until, side="right"))
    return (first, last) if last - first >= 2 else (0, len(seconds))


def _closes(
    body: bytes, buffer: NDArray[np.uint8], commas: NDArray[np.intp], assets: int, columns: list[int]
) -> NDArray[np.float64] | None:
    """The closes of ``columns``, NaN where a cell is empty (numpy's reader reads no empty cell)."""
    after = buffer[commas + 1]  # the body ends with a newline: no comma is the last byte
    empty = np.flatnonzero((after == ord(",")) | (after == ord("\n")))  # by comma: row * assets + asset
    usecols = [c + 1 for c in columns]
    if len(empty) <= _FEW_EMPTY:  # "nan" in each, a few cuts ("nan" is no text of the file, checked)
        cuts = [0, *(commas[empty] + 1).tolist(), len(body)]
        return _loadtxt(b"nan".join(body[start:stop] for start, stop in itertools.pairwise(cuts)), usecols)
    # Many (assets that list late): a "0" before every cell keeps each number's value and makes an empty
    # cell 0, which no price is; those zeros become NaN. A zero written in the file goes to the careful
    # reader, which names its line. One pass in C, where filling in "nan" everywhere took three.
    values = _loadtxt(body.replace(b",", b",0"), usecols)
    if values is None or len(values) * assets != len(commas):
        return None
    empty_row, empty_column = np.divmod(empty, assets)
    position = np.full(assets, -1)
    position[columns] = np.arange(len(columns))
    read = position[empty_column] >= 0
    is_empty = np.zeros(values.shape, dtype=bool)
    is_empty[empty_row[read], position[empty_column[read]]] = True
    if (~is_empty & (values == 0)).any():
        return None
    values[is_empty] = np.nan
    return values


def _loadtxt(body: bytes, usecols: list[int]) -> NDArray[np.float64] | None:
    try:
        return np.loadtxt(
            io.BytesIO(body),  # ASCII, checked: latin1 reads it without a decoded copy
            encoding="latin1",
            delimiter=",",
            comments=None,
            usecols=usecols,
            ndmin=2,
            dtype=np.float64,
        )
    except ValueError:  # a ragged row or an unparsable number: the slow reader names the line
        return None


def _stamps(buffer: NDArray[np.uint8], newlines: NDArray[np.intp]) -> NDArray[np.bytes_]:
    """The first cell of each row: cut as one block when all have the first one's width."""
    starts = np.empty(len(newlines), dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    width = int(np.argmax(buffer == ord(","))) if len(buffer) else 0
    ends = starts + width
    # ends grow with starts: the last is the largest
    if ends[-1] < len(buffer) and (buffer[ends] == ord(",")).all():
        block = buffer[starts[:, None] + np.arange(width)]
        if not (block == ord(",")).any():
            return block.view(f"S{max(width, 1)}").ravel() if width else np.zeros(len(starts), "S1")
    cells = bytes(buffer).split(b"\n")[: len(starts)]
    return np.array([cell.partition(b",")[0] for cell in cells], dtype=np.bytes_)


def _read_slowly(body: bytes, assets: tuple[str, ...], columns: list[int], source: str) -> _Cells:
    """The csv module and float() per cell: handles quoting and blank lines, and finds the bad line."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 2
        raise ConfigError(source, f"line {line}", "not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text))
    stamps: list[bytes] = []
    values: list[list[float]] = []
    lines: list[int] = []
    for row in reader:
        line = reader.line_num + 1  # the header was line 1
        if not "".join(row).strip():  # a blank line
            continue
        if len(row) != len(assets) + 1:
            raise ConfigError(source, f"line {line}", f"expected {len(assets) + 1} columns, got {len(row)}")
        stamps.append(row[0].strip().encode("utf-8"))
        values.append([_price(row[c + 1].strip(), assets[c], line, source) for c in columns])
        lines.append(line)
    return (
        np.array(stamps, dtype=np.bytes_),
        np.array(values, dtype=np.float64).reshape(len(lines), len(columns)),
        np.array(lines, dtype=np.int64),
    )


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

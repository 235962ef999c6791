"""The time column of a price CSV: which format its stamps are written in, and each stamp in UTC seconds.

The format is detected once, from the first row, and every other row must be written the same way:

- a date, ``YYYY-MM-DD`` (00:00 UTC that day);
- an ISO 8601 date and time, ``YYYY-MM-DD HH:MM``, with ``T`` or a space between them, with or without
  ``:SS`` (and a fraction of zeros, ``.000``), with or without a zone: ``Z``, ``+HH:MM``, ``+HHMM`` or
  ``+HH``. No zone means UTC; any other zone is converted to UTC;
- epoch time, a whole number of seconds, milliseconds (ccxt's OHLCV), micro- or nanoseconds since
  1970-01-01 UTC, told apart by size: up to 11 digits seconds, 12-14 milliseconds, and so on.

The common case, every stamp laid out exactly like the first (what pandas, ccxt and exchange exports
write), is parsed as whole columns of bytes with numpy: ~2 ms for 44k stamps. Anything else (a stamp that
differs, an impossible date) is parsed row by row, which names the first bad line.

>>> import numpy as np
>>> seconds, fmt = parse_stamps(np.array([b"2019-01-01T01:00:00+01:00"]), np.array([2]), "p.csv", "date")
>>> int(seconds[0]), fmt.text
(1546300800, 'YYYY-MM-DDTHH:MM:SS+HH:MM')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from trimtab.errors import ConfigError

EXPECTED = (
    "YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] ('T' or a space; a zone Z or +HH:MM, else UTC), "
    "or epoch seconds or milliseconds"
)

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:(?P<sep>[T ])(?P<hm>\d{2}:\d{2})(?P<sec>:\d{2}(?P<frac>\.\d{1,9})?)?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_EPOCH = re.compile(r"\d{1,19}")
_UNITS = {1: "seconds", 1_000: "milliseconds", 1_000_000: "microseconds", 1_000_000_000: "nanoseconds"}
_ZONES = {1: "Z", 3: "+HH", 5: "+HHMM", 6: "+HH:MM"}  # a zone's layout by its length
# Epoch values by size: 10^11 seconds is the year 5138, so 12 digits and more are a finer unit.
_EPOCH_RANGES = {
    1: (0, 10**11),
    1_000: (10**11, 10**14),
    1_000_000: (10**14, 10**17),
    1_000_000_000: (10**17, 2**63),
}
_DIGIT_LOW, _DIGIT_HIGH = ord("0"), ord("9")


@dataclass(frozen=True)
class StampFormat:
    """How the first stamp is written: ``kind``, a description for messages (``text``) and its layout."""

    kind: Literal["date", "datetime", "epoch"]
    text: str
    first: bytes
    unit: int = 1  # epoch: units per second
    clock: int = 0  # datetime: length of the "YYYY-MM-DD HH:MM[:SS]" part
    zone: int = 0  # datetime: where the zone starts (0: no zone)


def detect(first: str) -> StampFormat | None:
    """The format of ``first`` (a stamp without surrounding spaces), or None when it is none of them."""
    raw = first.encode("utf-8", "replace")
    if _EPOCH.fullmatch(first):
        unit = _epoch_unit(int(first))
        return StampFormat("epoch", f"epoch {_UNITS[unit]}", raw, unit=unit)
    match = _ISO.fullmatch(first)
    if match is None:
        return None
    if match["sep"] is None:
        return StampFormat("date", "YYYY-MM-DD", raw, clock=len(first))
    text = f"YYYY-MM-DD{match['sep']}HH:MM"
    clock = match.end("hm")
    if match["sec"]:
        text += ":SS" + ("." + "f" * (len(match["frac"]) - 1) if match["frac"] else "")
        clock = match.start("frac") if match["frac"] else match.end("sec")
    zone = match["zone"] or ""
    if zone:
        text += _ZONES[len(zone)]
    return StampFormat("datetime", text, raw, clock=clock, zone=match.start("zone") if zone else 0)


def parse_stamps(
    stamps: NDArray[np.bytes_], lines: NDArray[np.int64], source: str, column: str
) -> tuple[NDArray[np.int64], StampFormat]:
    """Each stamp as Unix seconds (UTC) and the format they share; ConfigError naming the first bad line.

    ``stamps`` are the time cells as written (numpy bytes), ``lines`` their file lines, ``column`` the
    header of the time column (all three for the message).
    """
    first = _text(stamps[0]).strip()
    fmt = detect(first)
    if fmt is None:
        raise ConfigError(
            source,
            f"line {lines[0]}",
            f"{column_label(column)}: expected a time as {EXPECTED}, got {first!r}",
        )
    seconds = _whole_columns(stamps, fmt)
    if seconds is None:
        seconds = _row_by_row(stamps, lines, fmt, source, column)
    return seconds, fmt


# -- the fast path: every stamp laid out like the first ------------------------------------------------


def _whole_columns(stamps: NDArray[np.bytes_], fmt: StampFormat) -> NDArray[np.int64] | None:
    """Parse all stamps column by column when each has the first stamp's layout; None otherwise."""
    width = stamps.dtype.itemsize
    if len(fmt.first) != width:  # some stamp is longer than the first one
        return None
    chars = np.ascontiguousarray(stamps).view(np.uint8).reshape(len(stamps), width)
    layout = np.frombuffer(fmt.first, dtype=np.uint8)
    is_digit = (layout >= _DIGIT_LOW) & (layout <= _DIGIT_HIGH)
    digits = chars[:, is_digit] - np.uint8(_DIGIT_LOW)  # wraps around below '0': still >= 10
    if not (digits < 10).all():
        return None
    fixed = ~is_digit
    if fmt.zone and fmt.first[fmt.zone : fmt.zone + 1] in (b"+", b"-"):
        fixed[fmt.zone] = False  # the zone's sign may differ from row to row
        if not np.isin(chars[:, fmt.zone], (ord("+"), ord("-"))).all():
            return None
    if not (chars[:, fixed] == layout[fixed]).all():
        return None
    if fmt.kind == "epoch":
        return _epoch_columns(digits, fmt.unit)
    end = fmt.clock
    fraction = chars[:, end + 1 : fmt.zone or width]  # the digits after the ".", if there is one
    if fmt.kind == "datetime" and not (fraction == _DIGIT_LOW).all():  # not .000: the slow path says so
        return None
    seconds = _clock_columns(chars[:, :end].astype(np.int64) - _DIGIT_LOW)
    if seconds is None:  # an impossible date or time: the slow path names its line
        return None
    if fmt.kind == "datetime" and fmt.zone and fmt.first[fmt.zone : fmt.zone + 1] != b"Z":
        offsets = _offset_columns(chars[:, fmt.zone :])
        if offsets is None:
            return None
        seconds -= offsets
    return seconds


def _clock_columns(digits: NDArray[np.int64]) -> NDArray[np.int64] | None:
    """Unix seconds of ``YYYY-MM-DD[ HH:MM[:SS]]`` cells given as digit values at their positions; None
    when one is no real date or time. (Computed, not cast from text: numpy 2.4 crashes when a cast of a
    long array of byte strings to datetime64 fails.)"""

    def number(at: int, width: int) -> NDArray[np.int64]:
        value = np.zeros(len(digits), dtype=np.int64)
        for column in range(at, at + width):
            value = value * 10 + digits[:, column]
        return value

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    width = digits.shape[1]
    hour = number(11, 2) if width >= 16 else 0
    minute = number(14, 2) if width >= 16 else 0
    second = number(17, 2) if width >= 19 else 0
    months = (year - 1970) * 12 + month - 1
    if ((month < 1) | (month > 12)).any():
        return None
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - first
    if ((day < 1) | (day > length) | (hour > 23) | (minute > 59) | (second > 59)).any():
        return None
    return (first + day - 1) * 86_400 + hour * 3_600 + minute * 60 + second


def _epoch_columns(digits: NDArray[np.uint8], unit: int) -> NDArray[np.int64] | None:
    values = np.zeros(len(digits), dtype=np.uint64)  # 19 digits fit in 64 bits unsigned
    for column in digits.T:
        values = values * np.uint64(10) + column
    low, high = _EPOCH_RANGES[unit]
    if not ((values >= low) & (values < high)).all() or (values % np.uint64(unit)).any():
        return None  # another unit, or a fraction of a second: the slow path says which line
    return (values // np.uint64(unit)).astype(np.int64)


def _offset_columns(zone: NDArray[np.uint8]) -> NDArray[np.int64] | None:
    """Seconds east of UTC from zone cells ``+HH``, ``+HHMM`` or ``+HH:MM`` (all of one layout)."""
    digits = (zone[:, 1:] - np.uint8(_DIGIT_LOW)).astype(np.int64)
    hours = digits[:, 0] * 10 + digits[:, 1]
    minutes = digits[:, -2] * 10 + digits[:, -1] if zone.shape[1] > 3 else np.zeros_like(hours)
    if (hours > 23).any() or (minutes > 59).any():
        return None
    sign = np.where(zone[:, 0] == ord("-"), -1, 1)
    return sign * (hours * 3600 + minutes * 60)


# -- the slow path: one row at a time, naming the first bad one ----------------------------------------


def _row_by_row(
    stamps: NDArray[np.bytes_], lines: NDArray[np.int64], fmt: StampFormat, source: str, column: str
) -> NDArray[np.int64]:
    seconds = np.empty(len(stamps), dtype=np.int64)
    for i, raw in enumerate(stamps):
        text = _text(raw).strip()
        value = _one(text, fmt)
        if value is None:
            like = f"like line {lines[0]}" if i else ""
            why = " (not a whole second)" if _is_fraction_of_second(text, fmt) else ""
            raise ConfigError(
                source,
                f"line {lines[i]}",
                f"{column_label(column)}: expected a time {fmt.text} {like}".rstrip()
                + f" (the formats read: {EXPECTED}), got {text!r}{why}",
            )
        seconds[i] = value
    return seconds


def _one(text: str, fmt: StampFormat) -> int | None:
    """Unix seconds of one stamp of the kind of ``fmt``, or None when it is not one."""
    if fmt.kind == "epoch":
        if not _EPOCH.fullmatch(text) or _epoch_unit(int(text)) != fmt.unit or int(text) % fmt.unit:
            return None
        return int(text) // fmt.unit
    match = _ISO.fullmatch(text)
    if match is None or (match["sep"] is None) != (fmt.kind == "date") or _is_fraction_of_second(text, fmt):
        return None
    zone = match["zone"] or "Z"
    clock = text[: match.end("sec") if match["sec"] else match.end("hm")] if match["sep"] else text
    try:
        hours, minutes = (0, 0) if zone == "Z" else (int(zone[1:3]), int(zone[-2:]) if len(zone) > 3 else 0)
        east = timezone(timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1))
        moment = datetime.fromisoformat(clock).replace(tzinfo=east)
    except ValueError:  # an impossible date, time or zone
        return None
    return int(moment.astimezone(UTC).timestamp())


def _is_fraction_of_second(text: str, fmt: StampFormat) -> bool:
    if fmt.kind == "epoch":
        return (
            bool(_EPOCH.fullmatch(text)) and _epoch_unit(int(text)) == fmt.unit and int(text) % fmt.unit != 0
        )
    match = _ISO.fullmatch(text)
    return match is not None and bool(match["frac"]) and int(match["frac"][1:]) != 0


def _epoch_unit(value: int) -> int:
    """Units per second of an epoch value, from its size."""
    return next((unit for unit, (low, high) in _EPOCH_RANGES.items() if low <= value < high), 1)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def column_label(column: str) -> str:
    """How messages name the time column: ``column date``, or ``the first column`` when it has no name."""
    return f"column {column}" if column else "the first column"

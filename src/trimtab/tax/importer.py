"""Read the trade history CSV a tax report is computed from, refusing anything ambiguous.

The file has the columns ``timestamp,wallet,type,asset,amount,price,fee,fee_asset`` (a header is
required; the order is free). One row is one :class:`~trimtab.tax.model.TaxEvent`; a swap is a ``sell``
and a ``buy`` with the same timestamp. ``price`` is in the report currency per unit; ``fee`` is paid in
``fee_asset``, which must be the report currency or the row's own asset (the only two the row can value).

A tax report is only as good as its input, so the import is strict and all-or-nothing: the first bad
cell stops it with a one-line :class:`~trimtab.errors.ConfigError` naming the file, the line and the
column (``history.csv:7: amount: expected a number above 0, got '-1'``), and no event is returned.
Numbers are parsed as exact Decimals; times are converted to UTC. A time without a zone is UTC; a
bare date (``2024-03-01``, an export that keeps no time of day) is the start of that day, 00:00, in
the taxpayer's time zone (``day_zone``): the same-day and anniversary rules count in that zone's
dates, so the row keeps its date there, and it sorts before the timed rows of the same local day.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from trimtab.errors import ConfigError, Mention, Wording
from trimtab.model.money import ZERO
from trimtab.tax.model import EventType, TaxEvent, make_event

COLUMNS = ("timestamp", "wallet", "type", "asset", "amount", "price", "fee", "fee_asset")

# Plain decimal notation only: Decimal() alone would also accept "NaN", "Infinity", "1e5" and "1_000".
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(?:[Zz]|([+-])(\d{2}):?([0-5]\d))?"
)
_TIME_FORMS = (
    "e.g. 2024-03-01T14:05:00Z, 2024-03-01 14:05+01:00, 2024-03-01 14:05 (read as UTC) "
    "or 2024-03-01 (00:00 in the tax time zone)"
)
# Where a bare date starts when the caller names no zone: the zone of the currency's jurisdiction.
DAY_ZONES = {"USD": "America/New_York", "EUR": "Europe/Berlin", "GBP": "Europe/London"}


def day_zone_of(currency: str) -> ZoneInfo:
    """The time zone a bare date of a history priced in ``currency`` starts in (UTC for others)."""
    return ZoneInfo(DAY_ZONES.get(currency.strip().upper(), "UTC"))


def read_events(path: Path, *, report_currency: str, day_zone: tzinfo | None = None) -> list[TaxEvent]:
    """The events of the history CSV at ``path``, in file order, each with its 1-based file ``line``.

    ``report_currency`` (e.g. ``"USD"``) is the currency of ``price`` and the one fee asset, besides the
    row's own asset, that a row can value. A bare date starts at 00:00 in ``day_zone`` (default: the
    currency's, :func:`day_zone_of`). Raises :class:`ConfigError` on the first problem (a missing
    or unreadable file, a bad header, no rows, a bad cell); nothing is returned then.
    """
    return list(iter_events(path, report_currency=report_currency, day_zone=day_zone))


def iter_events(path: Path, *, report_currency: str, day_zone: tzinfo | None = None) -> Iterator[TaxEvent]:
    """:func:`read_events` one event at a time, reading the file as it goes (see :func:`iter_table`)."""
    currency = report_currency.strip().upper()
    zone = day_zone if day_zone is not None else day_zone_of(currency)
    seen = _Seen()
    source = str(path)
    for line, row in iter_table(path, COLUMNS):
        yield _event(row, source, line, currency, zone, seen)


class _Seen:
    """What a file's rows have in common, read once and shared: numbers by their text, names.

    Prices and fees repeat (a day's price, a round fee); amounts mostly do not, so they have their
    own cache and do not push the prices and fees out of theirs (a report keeps every event: a
    shared Decimal is ~100 bytes an event saved)."""

    def __init__(self) -> None:
        self.numbers: dict[str, Decimal] = {}
        self.amounts: dict[str, Decimal] = {}
        self._names: dict[str, str] = {}

    def name(self, text: str) -> str:
        return self._names.setdefault(text, text) if len(self._names) < _SEEN_LIMIT else text


def read_table(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of the CSV at ``path`` as ``(line, {column: stripped cell})``, blank lines skipped.

    The header must name exactly ``columns`` (in any order, case and spaces ignored). The file is read
    as UTF-8 with an optional byte-order mark (spreadsheets write one). Shared with
    :mod:`trimtab.tax.rates` so every tax input fails the same, one-line way.
    """
    return list(iter_table(path, columns))


def iter_table(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """:func:`read_table` row by row, reading the file as it goes (memory stays bounded at any size).

    The first problem raises, in file order; a file without rows raises once it is read through."""
    no_rows = f"no rows (expected a header {','.join(columns)} and rows below it)"
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read the file ({error.strerror or error})") from None
    header: list[str] | None = None
    blank_header: ConfigError | None = None  # a blank first line: an error if anything follows it
    rows = 0
    with handle:
        reader = csv.reader(handle, strict=True)
        line = 1  # where the next record starts (a quoted cell may span lines)
        try:
            for cells in reader:
                start, line = line, reader.line_num + 1
                if header is None:
                    if blank_header is None and any(cell.strip() for cell in cells):
                        header = _header(cells, columns, f"{path}:{start}")
                    elif blank_header is None:
                        blank_header = _blank_header(columns, f"{path}:{start}")
                    elif "".join(cells).strip() or len(cells) > 1:
                        raise blank_header
                elif "".join(cells).strip():
                    if len(cells) != len(header):
                        raise ConfigError(
                            f"{path}:{start}", "", f"expected {len(header)} cells, got {len(cells)}"
                        )
                    rows += 1
                    yield start, dict(zip(header, map(str.strip, cells), strict=True))
        except csv.Error as error:
            raise ConfigError(f"{path}:{reader.line_num}", "", f"not a valid CSV line ({error})") from None
        except UnicodeDecodeError:
            raise ConfigError(str(path), "", "not a UTF-8 text file") from None
        except OSError as error:
            raise ConfigError(str(path), "", f"cannot read the file ({error.strerror or error})") from None
    if not rows:
        raise ConfigError(str(path), "", no_rows)


def _blank_header(columns: tuple[str, ...], where: str) -> ConfigError:
    return ConfigError(where, "header", f"expected the columns {','.join(columns)}, got an empty line")


def _header(cells: list[str], columns: tuple[str, ...], where: str) -> list[str]:
    """The header's column names, lower-cased; ConfigError unless they are exactly ``columns``."""
    names = [cell.strip().lower() for cell in cells]
    if not any(names):  # a blank first line above the rows
        raise _blank_header(columns, where)
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in columns if name not in names]
    unexpected = [name or "(no name)" for name in names if name not in columns]
    if repeated or missing or unexpected:
        found = [
            f"{what} {', '.join(items)}"
            for what, items in (("missing", missing), ("unexpected", unexpected), ("repeated", repeated))
            if items
        ]
        raise ConfigError(
            where, "header", f"expected the columns {','.join(columns)} (any order), {'; '.join(found)}"
        )
    return names


def parse_decimal(
    cell: str, where: str, key: str, *, allow_zero: bool = False, seen: dict[str, Decimal] | None = None
) -> Decimal:
    """``cell`` as an exact Decimal above 0 (or 0 and above with ``allow_zero``), else ConfigError.

    ``seen`` keeps the numbers read so far by their text: a cell read before is not parsed again,
    and equal cells share one Decimal (a history repeats its prices and fees many times)."""
    value = seen.get(cell) if seen is not None else None
    if value is None:
        if not _NUMBER.fullmatch(cell):
            expected = "a number of 0 or more" if allow_zero else "a number above 0"
            raise ConfigError(where, key, f"expected {expected} in plain digits (e.g. 0.25), got {cell!r}")
        value = Decimal(cell)
        if seen is not None:
            if len(seen) >= _SEEN_LIMIT:
                seen.clear()  # bounded, and keeps the recent numbers: those that repeat next
            seen[cell] = value
    if value <= 0 and (value < 0 or not allow_zero):
        expected = "a number of 0 or more" if allow_zero else "a number above 0"
        raise ConfigError(where, key, f"expected {expected}, got {cell!r}")
    return value if value else ZERO  # "-0" reads as 0


_SEEN_LIMIT = 1 << 12  # bounded: a file of any size keeps at most this many numbers and names


def parse_timestamp(cell: str, where: str, key: str = "timestamp", day_zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 time with ``Z`` or an offset, or a naive one meaning UTC, as an aware UTC datetime;
    a bare date ``YYYY-MM-DD`` is 00:00 of that day in ``day_zone``."""
    match = _TIME.fullmatch(cell)
    if match is None:
        if _DATE_ONLY.fullmatch(cell):
            try:
                start = datetime.fromisoformat(cell).replace(tzinfo=day_zone)
            except ValueError:  # 2024-02-30
                raise ConfigError(where, key, f"expected a real date ({_TIME_FORMS}), got {cell!r}") from None
            return start.astimezone(UTC)
        raise ConfigError(where, key, f"expected an ISO 8601 time ({_TIME_FORMS}), got {cell!r}")
    try:  # the fast way for the forms matched above; anything it declines is read by hand below
        fast = datetime.fromisoformat(cell)
    except ValueError:
        pass
    else:
        if fast.tzinfo is None:
            return fast.replace(tzinfo=UTC)
        return fast if fast.tzinfo is UTC else fast.astimezone(UTC)
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    try:
        zone: tzinfo = UTC
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            zone = timezone(-offset if sign == "-" else offset)
        micro = int(fraction.ljust(6, "0")) if fraction else 0
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo=zone
        )
    except ValueError:  # 2024-02-30, 25:00, an offset of a day or more
        raise ConfigError(
            where, key, f"expected a real date and time ({_TIME_FORMS}), got {cell!r}"
        ) from None
    return moment if zone is UTC else moment.astimezone(UTC)


def _event(  # noqa: PLR0917 (a row and where it is from)
    row: dict[str, str], source: str, line: int, currency: str, day_zone: tzinfo, seen: _Seen
) -> TaxEvent:
    """Row ``line`` of file ``source`` as a TaxEvent. Cells are checked in column order."""
    where = f"{source}:{line}"
    timestamp = parse_timestamp(row["timestamp"], where, day_zone=day_zone)
    wallet = seen.name(row["wallet"])
    if not wallet:
        raise ConfigError(where, "wallet", "expected the wallet (account) the row happened in, got ''")
    kind = _TYPES.get(row["type"].lower())
    if kind is None:
        raise ConfigError(where, "type", f"expected buy, sell or fee, got {row['type']!r}")
    asset = seen.name(row["asset"].upper())
    if not asset:
        raise ConfigError(where, "asset", "expected an asset symbol (e.g. BTC), got ''")
    # A number read before and above 0 is good for every column (parse_decimal checks the rest).
    cell = row["amount"]
    amount = seen.amounts.get(cell)
    if amount is None or amount <= ZERO:
        amount = parse_decimal(cell, where, "amount", seen=seen.amounts)
    # A fee row may be worth nothing (a dust token); a trade at price 0 is a typo.
    cell = row["price"]
    price = seen.numbers.get(cell)
    if price is None or price <= ZERO:
        price = parse_decimal(cell, where, "price", allow_zero=kind is EventType.FEE, seen=seen.numbers)
    cell = row["fee"]
    fee = seen.numbers.get(cell) if cell else ZERO
    if fee is None or (cell and fee <= ZERO):
        fee = parse_decimal(cell, where, "fee", allow_zero=True, seen=seen.numbers)
    fee_asset = seen.name(row["fee_asset"].upper()) if fee else ""
    if fee and kind is EventType.FEE:
        # normalize() would ignore it: the units a fee row spends are its amount.
        raise ConfigError(
            where, "fee", f"expected no fee on a 'fee' row (its amount is the fee), got {row['fee']!r}"
        )
    if fee and not fee_asset:
        raise ConfigError(
            where, "fee_asset", f"expected the asset the fee of {row['fee']} was paid in, got ''"
        )
    if fee and fee_asset not in (currency, asset):
        # The rule normalize() applies (fee_value: only these two can be valued), checked here.
        if fee_asset in DAY_ZONES:  # a fee in another money: the whole file is likely priced in it
            raise ConfigError(
                where,
                "fee_asset",
                Wording.of(
                    f"a fee in {fee_asset}, but the prices of this file are read as {currency} (",
                    Mention("currency", currency),
                    f"); if the file is priced in {fee_asset}, give ",
                    Mention("currency", fee_asset),
                ),
            )
        raise ConfigError(
            where,
            "fee_asset",
            f"expected {currency} or {asset} (the fee assets this row can value), "
            f"got {row['fee_asset']!r}: write the fee as its own 'fee' row of {fee_asset} with its price",
        )
    return make_event(timestamp, wallet, kind, asset, amount, price, fee, fee_asset, line)  # TaxEvent(...)


_TYPES = {str(kind): kind for kind in EventType}

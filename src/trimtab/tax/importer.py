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
import io
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from trimtab.errors import ConfigError
from trimtab.money import ZERO
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.normalize import fee_value

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
    currency = report_currency.strip().upper()
    zone = day_zone if day_zone is not None else day_zone_of(currency)
    return [_event(row, str(path), line, currency, zone) for line, row in read_table(path, COLUMNS)]


def read_table(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows of the CSV at ``path`` as ``(line, {column: stripped cell})``, blank lines skipped.

    The header must name exactly ``columns`` (in any order, case and spaces ignored). The file is read
    as UTF-8 with an optional byte-order mark (spreadsheets write one). Shared with
    :mod:`trimtab.tax.rates` so every tax input fails the same, one-line way.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read the file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "", "not a UTF-8 text file") from None
    no_rows = f"no rows (expected a header {','.join(columns)} and rows below it)"
    if not text.strip():
        raise ConfigError(str(path), "", no_rows)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    line = 1  # where the next record starts (a quoted cell may span lines)
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                header = _header(cells, columns, f"{path}:{start}")
            elif "".join(cells).strip():
                if len(cells) != len(header):
                    raise ConfigError(
                        f"{path}:{start}", "", f"expected {len(header)} cells, got {len(cells)}"
                    )
                rows.append((start, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}))
    except csv.Error as error:
        raise ConfigError(f"{path}:{reader.line_num}", "", f"not a valid CSV line ({error})") from None
    if not rows:
        raise ConfigError(str(path), "", no_rows)
    return rows


def _header(cells: list[str], columns: tuple[str, ...], where: str) -> list[str]:
    """The header's column names, lower-cased; ConfigError unless they are exactly ``columns``."""
    names = [cell.strip().lower() for cell in cells]
    if not any(names):  # a blank first line above the rows
        raise ConfigError(where, "header", f"expected the columns {','.join(columns)}, got an empty line")
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


def parse_decimal(cell: str, where: str, key: str, *, allow_zero: bool = False) -> Decimal:
    """``cell`` as an exact Decimal above 0 (or 0 and above with ``allow_zero``), else ConfigError."""
    expected = "a number of 0 or more" if allow_zero else "a number above 0"
    if not _NUMBER.fullmatch(cell):
        raise ConfigError(where, key, f"expected {expected} in plain digits (e.g. 0.25), got {cell!r}")
    value = Decimal(cell)
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(where, key, f"expected {expected}, got {cell!r}")
    return value if value else ZERO  # "-0" reads as 0


def parse_timestamp(cell: str, where: str, key: str = "timestamp", day_zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 time with ``Z`` or an offset, or a naive one meaning UTC, as an aware UTC datetime;
    a bare date ``YYYY-MM-DD`` is 00:00 of that day in ``day_zone``."""
    if _DATE_ONLY.fullmatch(cell):
        try:
            start = datetime.fromisoformat(cell).replace(tzinfo=day_zone)
        except ValueError:  # 2024-02-30
            raise ConfigError(where, key, f"expected a real date ({_TIME_FORMS}), got {cell!r}") from None
        return start.astimezone(UTC)
    match = _TIME.fullmatch(cell)
    if match is None:
        raise ConfigError(where, key, f"expected an ISO 8601 time ({_TIME_FORMS}), got {cell!r}")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    try:
        zone = UTC
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            zone = timezone(-offset if sign == "-" else offset)
        micro = (fraction or "0").ljust(6, "0")
        naive = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}.{micro}")
        moment = naive.replace(tzinfo=zone)
    except ValueError:  # 2024-02-30, 25:00, an offset of a day or more
        raise ConfigError(
            where, key, f"expected a real date and time ({_TIME_FORMS}), got {cell!r}"
        ) from None
    return moment.astimezone(UTC)


def _event(row: dict[str, str], source: str, line: int, currency: str, day_zone: tzinfo) -> TaxEvent:
    """Row ``line`` of file ``source`` as a TaxEvent. Cells are checked in column order."""
    where = f"{source}:{line}"
    timestamp = parse_timestamp(row["timestamp"], where, day_zone=day_zone)
    wallet = row["wallet"]
    if not wallet:
        raise ConfigError(where, "wallet", "expected the wallet (account) the row happened in, got ''")
    try:
        kind = EventType(row["type"].lower())
    except ValueError:
        raise ConfigError(where, "type", f"expected buy, sell or fee, got {row['type']!r}") from None
    asset = row["asset"].upper()
    if not asset:
        raise ConfigError(where, "asset", "expected an asset symbol (e.g. BTC), got ''")
    amount = parse_decimal(row["amount"], where, "amount")
    # A fee row may be worth nothing (a dust token); a trade at price 0 is a typo.
    price = parse_decimal(row["price"], where, "price", allow_zero=kind is EventType.FEE)
    fee = parse_decimal(row["fee"], where, "fee", allow_zero=True) if row["fee"] else ZERO
    fee_asset = row["fee_asset"].upper() if fee else ""
    if fee and kind is EventType.FEE:
        # normalize() would ignore it: the units a fee row spends are its amount.
        raise ConfigError(
            where, "fee", f"expected no fee on a 'fee' row (its amount is the fee), got {row['fee']!r}"
        )
    if fee and not fee_asset:
        raise ConfigError(
            where, "fee_asset", f"expected the asset the fee of {row['fee']} was paid in, got ''"
        )
    event = TaxEvent(timestamp, wallet, kind, asset, amount, price, fee, fee_asset, line)
    try:
        fee_value(event, currency)  # the rule normalize() applies, checked here rather than mid-report
    except ValueError:
        if fee_asset in DAY_ZONES:  # a fee in another money: the whole file is likely priced in it
            raise ConfigError(
                where,
                "fee_asset",
                f"a fee in {fee_asset}, but the prices of this file are read as {currency} "
                f"(--currency {currency}); if the file is priced in {fee_asset}, give --currency {fee_asset}",
            ) from None
        raise ConfigError(
            where,
            "fee_asset",
            f"expected {currency} or {asset} (the fee assets this row can value), "
            f"got {row['fee_asset']!r}: write the fee as its own 'fee' row of {fee_asset} with its price",
        ) from None
    return event

"""Rows of a history CSV that parse but are most likely mistakes: times in the future, repeated rows.

A history can only hold what has happened, so a row dated after now is a wrong date, a wrong time
zone or a typed-in plan; and a row repeated exactly (same time, wallet, type, asset, amount, price
and fee, numbers compared as numbers) is far more often a copy-paste or an overlapping export than
two real fills. Either one changes every gain after it, so :func:`check_history` refuses the file
with one line naming the lines, unless the caller allows them (``--allow-future``,
``--allow-duplicates``: two equal fills in one second do happen).

The check streams: it keeps one 64-bit hash and one line number per row, never the rows themselves.

>>> from dataclasses import replace
>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> from trimtab.tax.model import EventType, TaxEvent
>>> row = TaxEvent(datetime(2024, 1, 2, tzinfo=UTC), "w", EventType.BUY, "BTC", Decimal(1), Decimal(5), line=2)
>>> check_history([row, replace(row, line=3)], "h.csv", now=datetime(2025, 1, 1, tzinfo=UTC))
Traceback (most recent call last):
...
trimtab.errors.ConfigError: h.csv: 1 row repeats an earlier row exactly: line 3 (= line 2); if these are real, equal trades, import with allow_duplicates
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from trimtab.errors import ConfigError, Mention, Wording
from trimtab.tax.importer import iter_events
from trimtab.tax.model import TaxEvent

SHOWN = 5  # lines named in the message; the rest are counted


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def _lines(lines: list[str], count: int) -> str:
    listed = ", ".join(lines)
    more = count - len(lines)
    return f"line{'' if count == 1 else 's'} {listed}" + (f" and {more} more" if more > 0 else "")


@dataclass
class HistoryCheck:
    """Streaming check of one file's events: :meth:`see` each event, then :meth:`verdict`.

    It keeps 16 bytes per row (the hash of the row's identity and its line, in two typed arrays),
    never the rows; repeats are found by sorting the hashes once, in :meth:`verdict`."""

    source: str
    now: datetime
    allow_future: bool = False
    allow_duplicates: bool = False
    _hashes: array[int] = field(default_factory=lambda: array("q"))
    _lines: array[int] = field(default_factory=lambda: array("q"))
    _future: list[str] = field(default_factory=list)
    _future_count: int = 0

    def see(self, event: TaxEvent) -> TaxEvent:
        """Note what is wrong with ``event`` (if anything) and hand it back."""
        if not self.allow_future and event.timestamp > self.now:
            self._future_count += 1
            if len(self._future) < SHOWN:
                self._future.append(str(event.line))
        if not self.allow_duplicates:
            # The hash of the event's identity (the ledger's: numbers as numbers, file line aside).
            # Two different rows sharing a 64-bit hash is ~1e-8 likely in a million rows; the message
            # names both lines, so a reader can see it.
            self._hashes.append(hash((event.timestamp, event.wallet, event.type, event.asset, event.amount,
                                      event.price, event.fee, event.fee_asset)))  # fmt: skip
            self._lines.append(event.line)
        return event

    def _repeats(self) -> tuple[int, list[str]]:
        """How many rows repeat an earlier one, and the first :data:`SHOWN` of them in file order."""
        import numpy as np

        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        if len(hashes) < 2:
            return 0, []
        order = np.argsort(hashes, kind="stable")  # equal hashes keep file order: the first comes first
        ordered = hashes[order]
        repeat = np.empty(len(ordered), dtype=bool)
        repeat[0] = False
        np.equal(ordered[1:], ordered[:-1], out=repeat[1:])
        count = int(repeat.sum())
        if not count:
            return 0, []
        positions = np.arange(len(ordered))
        run_start = np.maximum.accumulate(np.where(repeat, 0, positions))  # where each run of equals starts
        rows = order[repeat]  # the repeating rows' indices in the file
        firsts = order[run_start[repeat]]
        shown = np.argsort(rows, kind="stable")[:SHOWN]
        lines = np.frombuffer(self._lines, dtype=np.int64)
        return count, [f"{lines[rows[i]]} (= line {lines[firsts[i]]})" for i in shown]

    def verdict(self) -> None:
        """ConfigError naming the future and repeated rows seen, if any (both in one line)."""
        problems: list[Wording] = []
        if self._future_count:
            problems.append(
                Wording.of(
                    f"{_rows(self._future_count)} dated in the future (after "
                    f"{self.now.astimezone(UTC):%Y-%m-%d %H:%M} UTC): {_lines(self._future, self._future_count)}; "
                    "check the dates and their time zone, or import with ",
                    Mention("allow_future"),
                )
            )
        repeat_count, repeats = self._repeats()
        if repeat_count:
            problems.append(
                Wording.of(
                    f"{_rows(repeat_count)} repeat{'s' if repeat_count == 1 else ''} an earlier row "
                    f"exactly: {_lines(repeats, repeat_count)}; if these are real, equal trades, import with ",
                    Mention("allow_duplicates"),
                )
            )
        if problems:
            joined = [part for problem in problems for part in ("; ", problem)][1:]
            raise ConfigError(self.source, "", Wording.of(*joined))


def check_history(
    events: Iterable[TaxEvent],
    source: str,
    *,
    now: datetime,
    allow_future: bool = False,
    allow_duplicates: bool = False,
) -> None:
    """ConfigError (one line, exit 2) when ``events`` of file ``source`` hold rows dated after ``now``
    or rows repeating an earlier one exactly, unless allowed."""
    check = HistoryCheck(source, now, allow_future, allow_duplicates)
    for event in events:
        check.see(event)
    check.verdict()


@dataclass(frozen=True)
class CheckedFile:
    """A history CSV read through once and found sound (:func:`check_file`): its size, its span, and
    :meth:`events` to read it again, row by row, for the ledger."""

    path: Path
    report_currency: str
    day_zone: tzinfo | None
    rows: int
    first: datetime
    last: datetime
    _stamp: tuple[int, int]

    def events(self) -> Iterator[TaxEvent]:
        """The file's events again, in file order; ConfigError if the file changed since it was checked
        (then the caller's transaction is rolled back: nothing unchecked is kept)."""
        rows = 0
        for event in iter_events(self.path, report_currency=self.report_currency, day_zone=self.day_zone):
            rows += 1
            yield event
        if rows != self.rows or _stamp(self.path) != self._stamp:
            raise ConfigError(str(self.path), "", "the file changed while it was imported; import it again")


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read the file ({error.strerror or error})") from None
    return status.st_size, status.st_mtime_ns


def check_file(
    path: Path,
    *,
    report_currency: str,
    day_zone: tzinfo | None,
    now: datetime,
    allow_future: bool = False,
    allow_duplicates: bool = False,
) -> CheckedFile:
    """Read the history CSV at ``path`` through once, keeping no row: ConfigError on the first bad cell
    (:mod:`trimtab.tax.importer`), then on rows in the future or repeated (:class:`HistoryCheck`)."""
    stamp = _stamp(path)
    check = HistoryCheck(str(path), now, allow_future, allow_duplicates)
    rows = 0
    first = last = None
    for event in iter_events(path, report_currency=report_currency, day_zone=day_zone):
        check.see(event)
        rows += 1
        moment = event.timestamp
        first = moment if first is None or moment < first else first
        last = moment if last is None or moment > last else last
    check.verdict()
    assert first is not None  # iter_events raises on a file without rows
    assert last is not None
    return CheckedFile(path, report_currency, day_zone, rows, first, last, stamp)

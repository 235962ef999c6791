"""Rows of a history CSV that parse but are most likely mistakes: times in the future, repeated rows.

A history can only hold what has happened, so a row dated after now is a wrong date, a wrong time
zone or a typed-in plan; and a row repeated exactly (same time, wallet, type, asset, amount, price
and fee, numbers compared as numbers) is far more often a copy-paste or an overlapping export than
two real fills. Either one changes every gain after it, so :func:`check_history` refuses the file
with one line naming the lines, unless the caller allows them (``--allow-future``,
``--allow-duplicates``: two equal fills in one second do happen).

The check streams: it keeps one integer per row, never the rows themselves.

>>> from dataclasses import replace
>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> from trimtab.tax.model import EventType, TaxEvent
>>> row = TaxEvent(datetime(2024, 1, 2, tzinfo=UTC), "w", EventType.BUY, "BTC", Decimal(1), Decimal(5), line=2)
>>> check_history([row, replace(row, line=3)], "h.csv", now=datetime(2025, 1, 1, tzinfo=UTC))
Traceback (most recent call last):
...
trimtab.errors.ConfigError: h.csv: 1 row repeats an earlier row exactly: line 3 (= line 2); if these are real, equal trades, import with --allow-duplicates
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trimtab.errors import ConfigError
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
    """Streaming check of one file's events: :meth:`see` each event, then :meth:`verdict`."""

    source: str
    now: datetime
    allow_future: bool = False
    allow_duplicates: bool = False
    _first_line: dict[int, int] = field(default_factory=dict)
    _future: list[str] = field(default_factory=list)
    _future_count: int = 0
    _repeats: list[str] = field(default_factory=list)
    _repeat_count: int = 0

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
            key = hash((event.timestamp, event.wallet, event.type, event.asset, event.amount, event.price,
                        event.fee, event.fee_asset))  # fmt: skip
            first = self._first_line.setdefault(key, event.line)
            if first != event.line:
                self._repeat_count += 1
                if len(self._repeats) < SHOWN:
                    self._repeats.append(f"{event.line} (= line {first})")
        return event

    def verdict(self) -> None:
        """ConfigError naming the future and repeated rows seen, if any (both in one line)."""
        problems = []
        if self._future_count:
            problems.append(
                f"{_rows(self._future_count)} dated in the future (after "
                f"{self.now.astimezone(UTC):%Y-%m-%d %H:%M} UTC): {_lines(self._future, self._future_count)}; "
                "check the dates and their time zone, or import with --allow-future"
            )
        if self._repeat_count:
            problems.append(
                f"{_rows(self._repeat_count)} repeat{'s' if self._repeat_count == 1 else ''} an earlier row "
                f"exactly: {_lines(self._repeats, self._repeat_count)}; if these are real, equal trades, "
                "import with --allow-duplicates"
            )
        if problems:
            raise ConfigError(self.source, "", "; ".join(problems))


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

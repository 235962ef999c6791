"""Streamed imports into a real SQLite ledger, several insert batches long: a failure late in the
stream keeps nothing, and the counted dedupe against stored rows holds across batches and orders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trimtab.errors import ConfigError
from trimtab.ledger import LedgerStore
from trimtab.tax.model import EventType, TaxEvent

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ROWS = 12_000  # more than two insert batches


def history(rows: int, *, start_line: int = 2) -> list[TaxEvent]:
    """``rows`` distinct buys, not in time order (every third one a minute earlier than its neighbours)."""
    return [
        TaxEvent(
            T0 + timedelta(seconds=i * 7 - (60 if i % 3 == 0 else 0)),
            "w",
            EventType.BUY,
            "BTC",
            Decimal(i + 1) / 1000,
            Decimal(40000),
            line=start_line + i,
        )
        for i in range(rows)
    ]


def store(ledger: LedgerStore, events: Iterator[TaxEvent] | list[TaxEvent], source: str = "h.csv") -> int:
    return ledger.record_tax_events(events, source=source, report_currency="USD", imported_at=NOW)


def test_a_stream_failing_at_its_last_row_keeps_nothing(ledger: LedgerStore) -> None:
    kept = history(3)
    assert store(ledger, kept) == 3

    def failing() -> Iterator[TaxEvent]:
        yield from history(ROWS, start_line=10)  # written to the database in batches before the failure
        raise ConfigError(f"h.csv:{ROWS + 10}", "amount", "expected a number above 0, got '-1'")

    with pytest.raises(ConfigError, match=r"amount: expected a number above 0"):
        store(ledger, failing())
    assert ledger.tax_events("USD") == sorted(kept, key=lambda event: event.timestamp)


def test_a_streamed_reimport_adds_nothing_and_a_longer_one_only_the_new_rows(ledger: LedgerStore) -> None:
    events = history(ROWS)
    assert store(ledger, iter(events)) == ROWS
    assert store(ledger, iter(reversed(events)), source="again.csv") == 0
    longer = [*events, *history(ROWS + 5)[ROWS:]]
    assert store(ledger, iter(longer), source="longer.csv") == 5
    assert len(ledger.tax_events("USD")) == ROWS + 5


def test_equal_rows_are_counted_against_the_stored_ones(ledger: LedgerStore) -> None:
    buy = history(1)[0]
    twice = [buy, replace(buy, line=3)]
    assert store(ledger, twice) == 2  # two equal fills in one second: both are history
    # The same two and a third equal one, spread over several batches: only the third is new.
    filler = history(ROWS, start_line=100)[1:]
    thrice = [replace(buy, line=2), *filler, replace(buy, line=ROWS + 200), replace(buy, line=ROWS + 300)]
    assert store(ledger, thrice, source="more.csv") == ROWS - 1 + 1
    stored = [event for event in ledger.tax_events("USD") if event.timestamp == buy.timestamp]
    assert [event.line for event in stored] == [2, 3, ROWS + 300]  # the last equal row is the new one


def test_numbers_are_matched_as_numbers_and_other_currencies_apart(ledger: LedgerStore) -> None:
    buy = replace(history(1)[0], amount=Decimal("1.50"))
    assert store(ledger, [buy]) == 1
    assert store(ledger, [replace(buy, amount=Decimal("1.5"))]) == 0
    assert ledger.record_tax_events([buy], source="h.csv", report_currency="EUR", imported_at=NOW) == 1

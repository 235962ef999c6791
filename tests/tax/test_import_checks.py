"""Rows that parse but are most likely mistakes: dated in the future, or repeating an earlier row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trimtab.errors import ConfigError
from trimtab.tax.import_checks import check_history
from trimtab.tax.model import EventType, TaxEvent

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
BUY = TaxEvent(datetime(2024, 1, 2, 10, tzinfo=UTC), "w", EventType.BUY, "BTC", Decimal(1), Decimal(40000))


def rows(*events: TaxEvent) -> list[TaxEvent]:
    """``events`` numbered as file lines 2, 3, … (line 1 is the header)."""
    return [replace(event, line=number) for number, event in enumerate(events, start=2)]


def message(events: list[TaxEvent], **allowed: bool) -> str:
    with pytest.raises(ConfigError) as caught:
        check_history(events, "h.csv", now=NOW, **allowed)
    assert caught.value.exit_code == 2
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_a_clean_history_passes() -> None:
    sell = replace(BUY, type=EventType.SELL, timestamp=NOW)  # now itself is not the future
    check_history(rows(BUY, sell), "h.csv", now=NOW)


def test_rows_dated_in_the_future_are_named_by_line() -> None:
    later = replace(BUY, timestamp=NOW + timedelta(seconds=1))
    events = rows(BUY, later, BUY, replace(later, asset="ETH"))
    assert message(events, allow_duplicates=True) == (
        "h.csv: 2 rows dated in the future (after 2026-05-01 12:00 UTC): lines 3, 5; "
        "check the dates and their time zone, or import with allow_future"
    )  # the command line says --allow-future (tests/cli/test_tax_inputs.py)
    check_history(events, "h.csv", now=NOW, allow_future=True, allow_duplicates=True)


def test_exact_repeats_name_the_line_they_repeat() -> None:
    sell = replace(BUY, type=EventType.SELL)
    # 1.0 and 1 are the same number: the ledger counts them as the same event too.
    events = rows(BUY, sell, replace(BUY, amount=Decimal("1.0")), sell, replace(BUY, wallet="other"))
    assert message(events) == (
        "h.csv: 2 rows repeat an earlier row exactly: lines 4 (= line 2), 5 (= line 3); "
        "if these are real, equal trades, import with allow_duplicates"
    )  # the command line says --allow-duplicates (tests/cli/test_tax_inputs.py)
    check_history(events, "h.csv", now=NOW, allow_duplicates=True)


@pytest.mark.parametrize(
    "change",
    [
        {"timestamp": BUY.timestamp + timedelta(microseconds=1)},
        {"wallet": "w2"},
        {"type": EventType.SELL},
        {"asset": "ETH"},
        {"amount": Decimal("1.00000001")},
        {"price": Decimal(40001)},
        {"fee": Decimal(1), "fee_asset": "USD"},
    ],
)
def test_a_row_differing_in_any_cell_is_no_repeat(change: dict[str, object]) -> None:
    check_history(rows(BUY, replace(BUY, **change)), "h.csv", now=NOW)  # type: ignore[arg-type]


def test_many_problems_are_one_line_with_the_first_lines_and_a_count() -> None:
    future = replace(BUY, timestamp=NOW + timedelta(days=1))
    events = rows(BUY, *([BUY] * 8), *([future] * 3))
    text = message(events)
    assert text.startswith(
        "h.csv: 3 rows dated in the future (after 2026-05-01 12:00 UTC): lines 11, 12, 13; "
    )
    # The first future row (line 11) is new; lines 12 and 13 repeat it, lines 3-10 repeat line 2.
    assert (
        "10 rows repeat an earlier row exactly: lines 3 (= line 2), 4 (= line 2), 5 (= line 2), "
        "6 (= line 2), 7 (= line 2) and 5 more; if these are real, equal trades, import with "
        "allow_duplicates"
    ) in text

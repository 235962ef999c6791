"""What the kill switch counts in a real SQLite ledger: failed runs in a row, newest first; a run failed
by temporary exchange trouble (error marked ``temporary: ``) and a run skipped for bad input neither count
nor break the row; an old ledger's unmarked failures count as they always did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trimtab.errors import TEMPORARY_MARK
from trimtab.ledger import LedgerStore, RunMode, RunStatus

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def record(ledger: LedgerStore, *endings: tuple[RunStatus, str | None]) -> None:
    """One live run per ending, a minute apart, oldest first."""
    for n, (status, error) in enumerate(endings):
        at = T0 + timedelta(minutes=n)
        run = ledger.start_run(
            command="run", venue="binance", mode=RunMode.LIVE, forced=False, started_at=at, config_digest="x"
        )
        ledger.finish_run(run, status, at, error=error)


AUTH = (RunStatus.FAILED, "AuthenticationError: binance -2015 Invalid API-key, IP, or permissions")
TEMPORARY = (RunStatus.FAILED, TEMPORARY_MARK + "connection to api.binance.com failed: connection refused")
BAD_INPUT = (RunStatus.SKIPPED, "prices.csv: no such file")
DONE = (RunStatus.COMPLETED, None)


def test_temporary_failures_are_not_counted(ledger: LedgerStore) -> None:
    record(ledger, DONE, TEMPORARY, TEMPORARY, TEMPORARY)
    assert ledger.consecutive_failures() == (0, None)


def test_temporary_failures_do_not_break_a_row_of_counted_ones(ledger: LedgerStore) -> None:
    record(ledger, DONE, AUTH, TEMPORARY, BAD_INPUT, AUTH, TEMPORARY)
    assert ledger.consecutive_failures() == (2, AUTH[1])


def test_a_success_ends_the_row(ledger: LedgerStore) -> None:
    record(ledger, AUTH, AUTH, DONE, TEMPORARY)
    assert ledger.consecutive_failures() == (0, None)


def test_an_unmarked_failure_of_an_old_ledger_still_counts(ledger: LedgerStore) -> None:
    record(ledger, (RunStatus.FAILED, "OperationFailed: binance 503 Internal error"), TEMPORARY)
    assert ledger.consecutive_failures() == (1, "OperationFailed: binance 503 Internal error")

"""The failure policy (:func:`trimtab.errors.failure_of`): which failed runs count towards the kill switch,
and how a failed run is closed in the ledger (:func:`trimtab.app.run_endings.ending`)."""

from __future__ import annotations

import asyncio

import pytest

from trimtab.app.run_endings import ending
from trimtab.errors import (
    TEMPORARY_MARK,
    AccountMismatch,
    ConfigError,
    DuplicateClientOrderId,
    Failure,
    FatalVenueError,
    GuardTripped,
    InsufficientFunds,
    LedgerError,
    OrderRejected,
    PlanningError,
    TaxError,
    TemporaryVenueError,
    failure_of,
    marked_temporary,
)
from trimtab.ledger.records import RunStatus

TEMPORARY = TemporaryVenueError(
    "connection to api.binance.com failed during fetch_balance: connection refused"
)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TEMPORARY, Failure.TEMPORARY),
        (TemporaryVenueError("OperationFailed: binance 503", retry_after=30), Failure.TEMPORARY),
        (OrderRejected("Filter failure: NOTIONAL"), Failure.COUNTED),
        (InsufficientFunds("Account has insufficient balance"), Failure.COUNTED),
        (DuplicateClientOrderId("Duplicate order sent."), Failure.COUNTED),
        (FatalVenueError("AuthenticationError: -2015"), Failure.COUNTED),
        (AccountMismatch("the paper account is missing"), Failure.COUNTED),
        (GuardTripped("ETH moved 5%"), Failure.COUNTED),
        (LedgerError("database is locked"), Failure.COUNTED),
        (PlanningError("BTC has no price"), Failure.COUNTED),
        (RuntimeError("a bug"), Failure.COUNTED),
        (ConfigError("trimtab.yaml", "portfolio", "bad"), Failure.BAD_INPUT),
        (TaxError("sold more than held"), Failure.BAD_INPUT),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, BaseException) else str(x),
)
def test_each_error_has_its_place_in_the_policy(error: BaseException, kind: Failure) -> None:
    assert failure_of(error) is kind


def test_temporary_trouble_before_any_order_fails_the_run_marked_temporary() -> None:
    assert ending(TEMPORARY, in_flight=False) == (RunStatus.FAILED, TEMPORARY_MARK + str(TEMPORARY))
    assert marked_temporary(TEMPORARY_MARK + str(TEMPORARY))


def test_temporary_trouble_in_flight_leaves_the_run_open() -> None:
    assert ending(TEMPORARY, in_flight=True) is None


@pytest.mark.parametrize("in_flight", [False, True])
def test_counted_failures_fail_the_run_unmarked(in_flight: bool) -> None:
    for error in (FatalVenueError("AuthenticationError: -2015"), InsufficientFunds("insufficient balance")):
        status, reason = ending(error, in_flight=in_flight) or (None, "")
        assert status is RunStatus.FAILED
        assert reason == str(error)
        assert not marked_temporary(reason)


def test_bad_input_and_interruptions_before_any_order_are_skipped() -> None:
    bad = ConfigError("prices.csv", "", "no such file")
    assert ending(bad, in_flight=False) == (RunStatus.SKIPPED, str(bad))
    assert ending(asyncio.CancelledError(), in_flight=False) == (
        RunStatus.SKIPPED,
        "interrupted before any order was placed",
    )


def test_nothing_else_is_marked_temporary() -> None:
    assert not marked_temporary(None)
    assert not marked_temporary("AuthenticationError: binance -2015 temporary: no")

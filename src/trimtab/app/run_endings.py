"""How a run that raised is recorded: left open for the next run to reconcile, or closed with a status.

A run whose orders may be on the venue (``in_flight``) and that stopped for a temporary reason (the
venue went away, the ledger could not be written, Ctrl-C, cancellation) stays ``running``: the next
run reconciles it with the venue; marking it failed would lose its orders for good. Any other error
closes the run with its one-line reason, as ``skipped`` when the kill switch should not count it (bad
input found before any order, an interruption before any order) and ``failed`` otherwise; a run failed
by temporary exchange trouble (:func:`trimtab.errors.failure_of`) has its reason marked
``temporary: ...``, and the kill switch does not count it.
"""

from __future__ import annotations

import asyncio

from trimtab.errors import TEMPORARY_MARK, Failure, LedgerError, failure_of
from trimtab.ledger.records import RunStatus


def ending(error: BaseException, *, in_flight: bool) -> tuple[RunStatus, str] | None:
    """The status and reason a run that raised ``error`` is closed with, or None when it stays open."""
    interrupted = isinstance(error, KeyboardInterrupt | asyncio.CancelledError)
    kind = failure_of(error)
    if in_flight and (interrupted or kind is Failure.TEMPORARY or isinstance(error, LedgerError)):
        return None
    if interrupted:  # Ctrl-C before any order is the user's choice, not the venue failing
        return RunStatus.SKIPPED, "interrupted before any order was placed"
    if kind in (Failure.BAD_INPUT, Failure.MARKET) and not in_flight:
        # An unsafe market (a guard) is nobody's failure either: skipped with its reason, never counted.
        # Bad input (a config, a data file) found before any order is fixed by the user, not by waiting.
        return RunStatus.SKIPPED, one_line(error)
    mark = TEMPORARY_MARK if kind is Failure.TEMPORARY else ""
    return RunStatus.FAILED, mark + one_line(error)


def stays_open(error: LedgerError) -> LedgerError:
    """``error`` saying that its run stays open and who finishes it."""
    return LedgerError(
        f"{error}; the run stays open: the next `trimtab rebalance` or `run` reconciles it with the "
        "exchange and records every order the ledger missed"
    )


def one_line(error: BaseException) -> str:
    """The first line of ``error``'s message (its type when it has none), at most 500 characters."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:500]

"""trimtab's error tree, grouped by what the caller should do about an error.

::

    TrimtabError                  base of everything trimtab raises on purpose
    ├── ConfigError               bad input: fix the file or the flags (exit code 2)
    ├── TaxError                  a history that cannot be taxed as given, e.g. an oversold wallet (exit code 2)
    ├── LedgerError               the ledger cannot be opened or written (exit code 1)
    ├── PortfolioBusy             another process drives this portfolio: try again later (exit code 75)
    ├── PlanningError             no valid plan can be made from this snapshot (exit code 1)
    ├── GuardTripped              a safety guard stopped the run: a price moved too far (exit code 1)
    │   ├── KillSwitchTripped     too many runs failed in a row: the bot refuses to trade
    │   └── AccountMismatch       the paper account and the ledger disagree: the bot refuses to trade
    └── VenueError                the venue (exchange) failed
        ├── TemporaryVenueError   retry later: network, rate limit, exchange busy
        ├── OrderRejected         re-plan or skip this order: invalid order, funds, minimum notional
        └── FatalVenueError       stop and tell a human: authentication, permissions

Every user-facing failure is one line: ``str(error)`` names the file, key and what was expected.
"""

from __future__ import annotations


class TrimtabError(Exception):
    """Base of every error trimtab raises on purpose."""

    exit_code = 1


class ConfigError(TrimtabError):
    """Bad input: a config file, a flag or a data file the user gave us. Exit code 2."""

    exit_code = 2

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(f"{where}{message}")


class TaxError(TrimtabError, ValueError):
    """The history cannot be taxed as given: e.g. a sale of more units than the wallet holds. Exit code 2."""

    exit_code = 2  # bad input, like a ConfigError: the history is incomplete or wrong


class LedgerError(TrimtabError):
    """The ledger could not be opened, migrated or written."""


class PortfolioBusy(TrimtabError):
    """Another process drives this portfolio (``rebalance``, ``run``, ``tax harvest --execute``): nothing
    was done. Exit code 75, sysexits' EX_TEMPFAIL: a scheduler may simply try again later."""

    exit_code = 75


class PlanningError(TrimtabError):
    """No valid plan can be made (e.g. a held asset has no price)."""


class GuardTripped(TrimtabError):
    """A safety guard stopped the run: a price moved too far since planning, or the kill switch is on."""


class KillSwitchTripped(GuardTripped):
    """Too many runs failed in a row: the bot refuses to trade until a human looks."""


class AccountMismatch(GuardTripped):
    """The paper account and the ledger disagree (one was deleted, emptied or replaced): the bot refuses to
    trade until a human restores the missing file or starts both over (``trimtab reset``)."""


class VenueError(TrimtabError):
    """The venue failed to answer or refused a request."""


class TemporaryVenueError(VenueError):
    """Retry later: network trouble, rate limits, an exchange that is busy or in maintenance."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrderRejected(VenueError):
    """The venue refused one order (invalid, insufficient funds, below minimums): re-plan or skip it."""


class InsufficientFunds(OrderRejected):
    """The venue does not hold enough free balance for the order."""


class FatalVenueError(VenueError):
    """Stop and tell a human: authentication failed, permissions are missing, the account is locked."""

"""trimtab's error tree, grouped by what the caller should do about an error.

::

    TrimtabError                  base of everything trimtab raises on purpose
    ├── ConfigError               bad input: fix the file or the flags (exit code 2)
    │   ├── ParameterError        a value the caller passed in (a period's start, a capital) is wrong
    │   └── MissingRates          a report needs currency rates that were not given
    ├── TaxError                  a history that cannot be taxed as given, e.g. an oversold wallet (exit code 2)
    ├── LedgerError               the ledger cannot be opened or written (exit code 1)
    ├── PortfolioBusy             another process drives this portfolio: try again later (exit code 75)
    ├── PlanningError             no valid plan can be made from this snapshot (exit code 1)
    │   └── NotEnoughHistory      dynamic weights lack the look-back of daily closes they need
    ├── GuardTripped              a safety guard stopped the run: a price moved too far (exit code 1)
    │   ├── MarketUnsafe          the market is unsafe now (a depegged quote, stale prices): not counted
    │   ├── KillSwitchTripped     too many runs failed in a row: the bot refuses to trade
    │   └── AccountMismatch       the paper account and the ledger disagree: the bot refuses to trade
    └── VenueError                the venue (exchange) failed
        ├── TemporaryVenueError   retry later: network, rate limit, exchange busy
        ├── OrderRejected         re-plan or skip this order: invalid order, funds, minimum notional
        │   ├── InsufficientFunds         the free balance does not cover the order
        │   └── DuplicateClientOrderId    the venue already has an order with this client order id
        └── FatalVenueError       stop and tell a human: authentication, permissions

What a failed run means for the kill switch and the next check is :func:`failure_of` (the table
:data:`FAILURE_POLICY`): temporary exchange trouble is retried sooner and never counted, bad input is
never counted, an unsafe market (:class:`MarketUnsafe`) is retried sooner and never counted,
everything else counts.

Every user-facing failure is one line: ``str(error)`` names the file, key and what was expected.

Errors below the front ends never name a front end's spelling of a parameter (a command-line flag, a
web form's field): a message that mentions one holds a :class:`Mention` of it, in the domain's words
(``start``, ``allow_duplicates``), inside a :class:`Wording`. ``str(error)`` spells each mention as
its name; a front end spells it its own way with ``error.line(spell)`` (the command line's table of
flags is :mod:`trimtab.cli.flag_hints`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


@dataclass(frozen=True)
class Mention:
    """A parameter the caller passed in, named in the domain's words (``start``, ``initial``,
    ``allow_duplicates``); ``value`` when the text names its value too. ``leads``: the mention heads an
    error line as what was wrong, where a front end may first say where the value came from."""

    parameter: str
    value: str = ""
    leads: bool = False

    def __str__(self) -> str:
        return f"{self.parameter} {self.value}" if self.value else self.parameter


@dataclass(frozen=True)
class Wording:
    """A message in parts: text and the :class:`Mention` of parameters a front end spells its own way.

    >>> text = Wording(("import with ", Mention("allow_duplicates")))
    >>> str(text), text.spelled(lambda m: "--" + m.parameter.replace("_", "-"))
    ('import with allow_duplicates', 'import with --allow-duplicates')
    """

    parts: tuple[str | Mention, ...]

    @classmethod
    def of(cls, *parts: str | Mention | Wording) -> Wording:
        """The parts (a wording's own parts inlined) as one wording."""
        flat: list[str | Mention] = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, Wording) else (part,))
        return cls(tuple(flat))

    def spelled(self, spell: Callable[[Mention], str] = str) -> str:
        return "".join(part if isinstance(part, str) else spell(part) for part in self.parts)

    def __str__(self) -> str:
        return self.spelled()


class TrimtabError(Exception):
    """Base of every error trimtab raises on purpose. Given a :class:`Wording`, ``str(error)`` is its
    domain spelling and :meth:`line` spells it a front end's way."""

    exit_code = 1
    wording: Wording | None = None

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], Wording):
            self.wording = args[0]
            args = (str(args[0]),)
        super().__init__(*args)

    def line(self, spell: Callable[[Mention], str] = str) -> str:
        """The one line for a user, each mentioned parameter spelled by ``spell``."""
        return self.wording.spelled(spell) if self.wording is not None else str(self)


class ConfigError(TrimtabError):
    """Bad input: a config file, a flag or a data file the user gave us. Exit code 2."""

    exit_code = 2

    def __init__(self, source: str, key: str, message: str | Wording) -> None:
        self.source = source
        self.key = key
        self.message = str(message)  # the domain's spelling of what was expected
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(Wording.of(where, message) if isinstance(message, Wording) else where + message)


class ParameterError(ConfigError):
    """A value the caller passed in is wrong: ``parameter`` names it in the domain's words (``start``,
    ``period``, ``initial``, ``report``), ``source`` is what it was checked against (a price file, the
    path it names), if anything. ``str(error)`` reads ``[source: ]parameter: message``; a front end
    names the parameter its own way (the command line: ``command line: --start: message``).

    >>> str(ParameterError("start", "the period holds fewer than two bars", source="prices.csv"))
    'prices.csv: start: the period holds fewer than two bars'
    """

    def __init__(self, parameter: str, message: str | Wording, *, source: str = "") -> None:
        self.parameter = parameter
        head = Wording.of(f"{source}: " if source else "", Mention(parameter, leads=not source), ": ")
        super().__init__(source, parameter, Wording.of(message))
        self.wording = Wording.of(head, message)
        self.args = (str(self.wording),)


class MissingRates(ConfigError):
    """A report in ``currency`` needs the daily ``quote`` -> ``currency`` rates and none were given; the
    first amount to convert is from ``day``. The message says what is missing; a front end adds how to
    give the rates (the command line: ``--rates`` or ``tax.rates_file``)."""

    def __init__(self, what: str, *, quote: str, currency: str, day: date) -> None:
        super().__init__(
            "tax",
            "rates",
            f"{what} {quote} (the first on {day.isoformat()}); a {currency} report needs daily "
            f"{quote}->{currency} rates",
        )
        self.quote = quote
        self.currency = currency
        self.day = day
        # How to give the rates, for a front end to spell (str() stays the domain's "tax: rates: ...")
        self.wording = Wording.of(
            Mention("rates", leads=True),
            f": {self.message}: give a CSV of date,rate with ",
            Mention("rates"),
            " (or tax.rates_file)",
        )


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


class NotEnoughHistory(PlanningError):
    """Dynamic weights need more daily closes than the history holds before this point (a backtest
    starting too early, a freshly listed asset). ``needed`` closes per asset; ``short`` names the assets
    with fewer."""

    def __init__(self, message: str, *, needed: int, short: tuple[str, ...]) -> None:
        super().__init__(message)
        self.needed = needed
        self.short = short


class GuardTripped(TrimtabError):
    """A safety guard stopped the run: a price moved too far since planning, or the kill switch is on."""


class MarketUnsafe(GuardTripped):
    """A guard found the market unsafe to trade before any order (:mod:`trimtab.app.guards`): the quote
    stablecoin trades off its peg, or a price is older than ``guards.max_price_age``. The bot did
    nothing wrong: the run is closed as skipped with this reason, the kill switch does not count it,
    and the ``run`` loop checks again sooner, as after temporary exchange trouble."""


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


class DuplicateClientOrderId(OrderRejected):
    """The venue already has an order with this client order id (Binance: "Duplicate order sent."):
    the order sent before reached it, so look that one up instead of placing another."""


class FatalVenueError(VenueError):
    """Stop and tell a human: authentication failed, permissions are missing, the account is locked."""


class Failure(StrEnum):
    """What a failed run (a check of ``run``, a ``rebalance``) means, by :func:`failure_of`."""

    TEMPORARY = "temporary"  # exchange trouble: retried sooner, with backoff; never counted
    BAD_INPUT = "bad input"  # a config or data file to fix: never counted, next check as scheduled
    COUNTED = "counted"  # a human should look: counts towards the kill switch
    MARKET = "unsafe market"  # a depegged quote, stale prices: retried sooner; never counted


#: The failure policy, first match wins; anything not listed (a bug, a library's error) counts.
#: The ccxt exceptions behind each venue error are in :mod:`trimtab.venues.ccxt_errors`: network errors,
#: timeouts, refused or dropped connections, HTTP 5xx, rate limits (429/418) and maintenance are
#: ``TemporaryVenueError``; invalid orders and insufficient funds ``OrderRejected``; authentication and
#: permission errors ``FatalVenueError``.
FAILURE_POLICY: tuple[tuple[type[BaseException], Failure], ...] = (
    (TemporaryVenueError, Failure.TEMPORARY),
    (ConfigError, Failure.BAD_INPUT),
    (TaxError, Failure.BAD_INPUT),
    (OrderRejected, Failure.COUNTED),  # InsufficientFunds too
    (FatalVenueError, Failure.COUNTED),
    (MarketUnsafe, Failure.MARKET),
    (GuardTripped, Failure.COUNTED),  # AccountMismatch, a price that moved too far
    (LedgerError, Failure.COUNTED),
    (PlanningError, Failure.COUNTED),
)

#: How the ledger's error text of a run failed by temporary trouble begins (``history`` shows it; the
#: kill switch skips such runs). An error text, not a new status: old ledgers read as before.
TEMPORARY_MARK = "temporary: "


def failure_of(error: BaseException) -> Failure:
    """What ``error`` means for the kill switch and the next check (see :data:`FAILURE_POLICY`).

    >>> failure_of(TemporaryVenueError("503")), failure_of(FatalVenueError("-2015"))
    (<Failure.TEMPORARY: 'temporary'>, <Failure.COUNTED: 'counted'>)
    """
    return next((kind for cls, kind in FAILURE_POLICY if isinstance(error, cls)), Failure.COUNTED)


def marked_temporary(recorded_error: str | None) -> bool:
    """Whether a run's recorded error says it failed by temporary trouble (see :data:`TEMPORARY_MARK`)."""
    return recorded_error is not None and recorded_error.startswith(TEMPORARY_MARK)

"""What a ``trimtab tax report`` is computed from: its flags and the config's ``tax:`` section resolved
to the rules, the rates and the events (from a ``--transactions`` file or the ledger), and the report.

Used by :mod:`trimtab.cli.tax`; like it, it imports the tax stack inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trimtab.cli.support import choice_flag, warn
from trimtab.collector import collector_paused
from trimtab.errors import ConfigError, TaxError, TrimtabError

if TYPE_CHECKING:
    from trimtab.cli.tax_output import TaxReport
    from trimtab.config import Config
    from trimtab.config.tax_section import Jurisdiction, TaxSection
    from trimtab.tax.jurisdiction import TaxRules
    from trimtab.tax.model import TaxEvent
    from trimtab.tax.rates import RateTable
    from trimtab.tax.us import Method

CLI = "command line"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def check_year(year: int, today: date) -> None:
    """ConfigError unless ``year`` has 4 digits and is not after ``today``'s year."""
    if not 1000 <= year <= 9999:
        raise ConfigError(CLI, "--year", f"expected a 4-digit year such as {today.year - 1}, got {year}")
    if year > today.year:
        raise ConfigError(CLI, "--year", f"{year} has not begun yet (this year is {today.year})")


def zone_flag(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            CLI, "--timezone", f"expected an IANA time zone such as America/Chicago, got {name!r}"
        ) from None


def report_jurisdiction(flag: str | None, section: TaxSection | None) -> str:
    """``--jurisdiction``, else the config's ``tax.jurisdiction``; ConfigError when neither says."""
    from trimtab.cli.tax_output import CURRENCIES

    if flag is not None:
        return choice_flag("--jurisdiction", flag, tuple(CURRENCIES))
    if section is None:
        raise ConfigError(
            CLI, "--jurisdiction", "expected us, de or uk (or a config with tax.jurisdiction), got none"
        )
    return section.jurisdiction


def report_rules(
    where: str, own: TaxSection | None, method: str | None, timezone: str | None, *, ledger: bool
) -> TaxRules:
    """The report's rules: the flags, else the config's ``tax:`` section of this jurisdiction (``own``).

    The ledger's default lot order is the section's standing order (``min-tax`` unless set: the
    bot traded under it); a --transactions file's is ``tax.method`` when set, else FIFO."""
    from dataclasses import replace

    from trimtab.tax.jurisdiction import TaxRules
    from trimtab.tax.jurisdictions import JURISDICTIONS, jurisdiction
    from trimtab.tax.us import METHODS

    country = jurisdiction(where)
    if not country.takes_choices:
        if method is not None:
            raise ConfigError(CLI, "--method", f"{country.no_choice}; leave --method out")
        if timezone is not None:
            choosing = ", ".join(j.name for j in JURISDICTIONS.values() if j.takes_choices)
            raise ConfigError(
                CLI, "--timezone", f"only a {choosing} report takes a time zone, not a {where} one"
            )
    rules = TaxRules.from_section(own) if own is not None else TaxRules.defaults(cast("Jurisdiction", where))
    if not country.takes_choices:
        return rules
    lots: Method = "fifo"
    if method is not None:
        lots = cast("Method", choice_flag("--method", method, METHODS))
    elif own is not None and (ledger or own.method is not None):
        lots = own.lot_method
    zone = zone_flag(timezone) if timezone is not None else rules.zone
    return replace(rules, method=lots, zone=zone)


def report_rates(flag: Path | None, own: TaxSection | None, config_path: Path) -> RateTable | None:
    """``--rates``, else the config's ``tax.rates_file`` (relative to the config file), else None."""
    from trimtab.tax.rates import load_rates

    if flag is not None:
        return load_rates(flag)
    if own is None or own.rates_file is None:
        return None
    path = Path(own.rates_file).expanduser()
    return load_rates(path if path.is_absolute() else config_path.parent / path)


def file_currency(path: Path, currency: str | None, wanted: str, *, explicit_rates: bool) -> str:
    """The currency a --transactions file is priced in (``--currency``, else the report's ``wanted``);
    ConfigError when a ``wanted`` report cannot use it, or when --rates would have nothing to convert."""
    from trimtab.cli.tax_output import CURRENCIES

    priced = choice_flag("--currency", currency, tuple(CURRENCIES.values())) if currency else wanted
    if priced not in (wanted, "USD"):
        raise ConfigError(
            CLI,
            "--currency",
            f"a {wanted} report reads a file priced in {wanted}, or in USD converted with --rates; "
            f"got {priced}",
        )
    if explicit_rates and priced == wanted:
        raise ConfigError(
            CLI,
            "--rates",
            f"{path} is read as priced in {wanted}, the report's currency, so there is nothing to "
            "convert; leave --rates out, or give the file's currency with --currency USD",
        )
    return priced


def file_events(
    path: Path,
    priced: str,
    rules: TaxRules,
    table: RateTable | None,
    *,
    year: int,
    allow_future: bool,
    allow_duplicates: bool,
) -> list[TaxEvent]:
    """The events of a --transactions file priced in ``priced`` that can count for ``year``, in the
    report currency."""
    from trimtab.tax.history import in_currency
    from trimtab.tax.import_checks import HistoryCheck
    from trimtab.tax.importer import iter_events

    wanted = rules.currency
    check = HistoryCheck(str(path), datetime.now(UTC), allow_future, allow_duplicates)
    horizon = rules.horizon(year)  # later rows cannot change the year: no rate is asked for them
    # One pass: every row is checked, only those before the horizon are kept (converted).
    with collector_paused():
        events = [
            in_currency(event, priced, wanted, table, rules.zone)
            for event in map(check.see, iter_events(path, report_currency=priced, day_zone=rules.zone))
            if event.timestamp < horizon
        ]
    check.verdict()
    return events


def ledger_events(
    loaded: Config, config_path: Path, rules: TaxRules, table: RateTable | None, before: datetime
) -> list[TaxEvent]:
    """The ledger's imported history and the bot's fills on the config's exchange in the report
    currency, before the report's horizon ``before``.

    Warns (stderr) about imported events priced in a currency that cannot be converted: they are
    left out."""
    from trimtab.app.tax_ledger import read_tax_history

    currency = rules.currency
    history = read_tax_history(
        loaded, config_path, rates=table, report_currency=currency, before=before, zone=rules.zone
    )
    events = history.events
    for other, count in sorted(history.left_out.items()):
        warn(
            f"{plural(count, 'imported event')} priced in {other} left out of this {currency} report: "
            f"it can only use history priced in {currency}"
            + ("" if currency == "USD" else ", or in USD converted with --rates")
        )
    if not events:
        warn(
            f"the ledger holds no history imported in {currency} and no fills on {loaded.exchange.name}; "
            f"import it with `trimtab tax import FILE.csv --currency {currency}`"
        )
    return events


def compute(
    rules: TaxRules, events: Sequence[TaxEvent], *, year: int, from_ledger: bool = False
) -> TaxReport:
    """The report of ``year`` under ``rules`` from ``events`` (priced in its currency).

    Every failure of the history is a one-line TaxError (exit 2); from the ledger, a sale of more
    than a wallet holds also says how to add the missing history.
    """
    from trimtab.tax.lots import Oversold

    try:
        return rules.report(events, year)  # the collector paused by TaxRules.reports
    except TrimtabError as error:
        if from_ledger and isinstance(error, Oversold):
            raise TaxError(
                f"{error}; import the history of how the wallet got it with `trimtab tax import FILE.csv`"
            ) from None
        raise
    except ValueError as error:  # the UK matcher and normalize() raise plain ValueErrors
        raise TaxError(str(error)) from None

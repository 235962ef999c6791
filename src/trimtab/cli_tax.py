"""``trimtab tax import``, ``tax report`` and ``tax harvest``: trade history in, a year's realized gains
and the losses worth harvesting out.

``tax import FILE.csv`` stores a history CSV (``timestamp,wallet,type,asset,amount,price,fee,fee_asset``,
see :mod:`trimtab.tax.importer`) in the config's ledger, priced in ``--currency`` (USD, EUR or GBP;
default the config's tax currency, else USD). A file with a bad row imports nothing (one line naming
the line and the column, exit 2); so does one with rows dated in the future or repeating an earlier
row exactly, unless ``--allow-future`` / ``--allow-duplicates`` (:mod:`trimtab.tax.import_checks`).
A bare date is 00:00 in the taxpayer's zone. Importing is idempotent: events already in the ledger
are skipped and counted, so importing the same file twice, or a longer export of it later, never
doubles the history (:mod:`trimtab.ledger.tax_records`).

``tax report --year YYYY`` computes the year of ``--jurisdiction us|de|uk`` (default the config's
``tax.jurisdiction``) in its currency (us USD, de EUR, uk GBP) from the ledger's history plus the
bot's own fills on the config's exchange (:mod:`trimtab.tax.history`), or from ``--transactions
FILE.csv`` alone (priced in the report currency or, with ``--currency USD``, in USD). ``--method``
(fifo, hifo, min-tax) and ``--timezone`` are US only, defaulting to the config's US ``tax:`` section
(for the ledger its standing order, ``min-tax`` unless set; for a file ``tax.method`` or fifo):
Germany prescribes FIFO per wallet and the UK share matching, each in its own calendar. ``--rates
FILE.csv`` (default ``tax.rates_file``) holds daily report-currency units per USD, USDT counted as
USD; it converts the bot's fills and USD history, and is asked for only when an event before the
report's horizon (:meth:`~trimtab.tax.jurisdiction.TaxRules.horizon`) needs it. ``--csv OUT`` writes
the form-shaped CSV (:mod:`trimtab.tax.output`) atomically. The year is a 4-digit year no later than
this one (for the UK, the tax year starting in it).

``tax harvest`` needs the config's ``tax:`` section: it lists the holdings whose unrealized loss is
above ``--min-loss`` (default ``tax.harvest_min_loss``), what selling and buying back would save this
year and the rule that limits each (:mod:`trimtab.tax.harvest`); ``--execute`` sells the worthwhile,
allowed ones in a live run recorded in the ledger (command ``harvest``) and the executor buys back to
the targets.

Not tax advice: the human output ends with that line (the JSON does not carry it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.markup import escape

from trimtab.cli_support import (
    DEFAULT_CONFIG,
    ConfigOption,
    DebugOption,
    JsonOption,
    choice_flag,
    decimal_flag,
    emit_json,
    guarded,
    out,
    warn,
)
from trimtab.errors import ConfigError, TaxError, TrimtabError

# The config (pydantic), the ledger (SQLAlchemy, Alembic), the bot and the tax stack are imported by the
# commands that use them, so that `trimtab --help` and the other commands start without them.
if TYPE_CHECKING:
    from trimtab.config import Config
    from trimtab.config.tax_section import Jurisdiction, TaxSection
    from trimtab.service import Bot
    from trimtab.tax.harvest_plan import HarvestOutcome
    from trimtab.tax.jurisdiction import TaxRules
    from trimtab.tax.model import TaxEvent
    from trimtab.tax.output import TaxReport
    from trimtab.tax.rates import RateTable
    from trimtab.tax.us import Method

CLI = "command line"
NO_CHOICE = {
    "de": "Germany leaves no choice: FIFO per wallet is the rule (BMF 06.03.2025 Rz. 61-62)",
    "uk": "the UK leaves no choice: share matching (same day, 30 days, section 104 pool) is the law "
    "(TCGA 1992 s104-s106A)",
}

tax_app = typer.Typer(
    name="tax",
    help="Import trade history, report a year's realized gains and harvest losses (US, Germany, UK). "
    "Not tax advice.",
    no_args_is_help=True,
)


AllowFutureOption = Annotated[
    bool, typer.Option("--allow-future", help="Accept rows dated after now (refused by default).")
]
AllowDuplicatesOption = Annotated[
    bool,
    typer.Option(
        "--allow-duplicates", help="Accept rows that repeat an earlier row exactly (refused by default)."
    ),
]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _span(first: datetime, last: datetime) -> str:
    """``2024-01-02 10:00 .. 2024-03-01 12:00 UTC`` (one time when both are the same)."""
    times = [moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for moment in (first, last)]
    return f"{times[0]} UTC" if times[0] == times[1] else f"{times[0]} .. {times[1]} UTC"


@tax_app.command("import")
def import_history(
    file: Annotated[
        Path, typer.Argument(help="History CSV: timestamp,wallet,type,asset,amount,price,fee,fee_asset.")
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="The currency the file's prices are in: USD, EUR or GBP "
            "(default: the config's tax: currency, else USD).",
        ),
    ] = None,
    allow_future: AllowFutureOption = False,
    allow_duplicates: AllowDuplicatesOption = False,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Store trade history in the ledger for tax reports; events already there are skipped."""
    from trimtab.assembly import ledger_url
    from trimtab.config import load_config
    from trimtab.ledger.store import LedgerStore
    from trimtab.tax.import_checks import check_file
    from trimtab.tax.importer import day_zone_of
    from trimtab.tax.jurisdiction import TaxRules
    from trimtab.tax.output import CURRENCIES

    def action() -> None:
        loaded = load_config(config)
        section = loaded.tax
        default = section.currency if section is not None else "USD"
        report_currency = choice_flag("--currency", currency or default, tuple(CURRENCIES.values()))
        # A bare date starts at 00:00 in the taxpayer's zone: the config's, when it prices in this currency.
        own = section is not None and section.currency == report_currency
        zone = TaxRules.from_section(section).zone if own and section else day_zone_of(report_currency)
        # Two streaming passes, holding no list of the rows: the whole file is checked before the
        # ledger is touched, then read again into one transaction (rolled back if anything fails).
        checked = check_file(
            file,
            report_currency=report_currency,
            day_zone=zone,
            now=datetime.now(UTC),
            allow_future=allow_future,
            allow_duplicates=allow_duplicates,
        )
        with LedgerStore.open(ledger_url(loaded, config)) as store:
            added = store.record_tax_events(
                checked.events(),
                source=str(file),
                report_currency=report_currency,
                imported_at=datetime.now(UTC),
            )
        first, last = checked.first, checked.last
        skipped = checked.rows - added
        if as_json:
            emit_json(
                {
                    "imported": added,
                    "skipped": skipped,
                    "file": str(file),
                    "currency": report_currency,
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                }
            )
            return
        line = (
            f"imported {_plural(added, 'event')} priced in {report_currency} from {escape(str(file))} "
            f"({_span(first, last)})"
        )
        if skipped:
            line += f"; skipped {skipped} already in the ledger"
        out.print(line, soft_wrap=True)

    guarded(debug, action)


@tax_app.command("report")
def report(
    year: Annotated[
        int, typer.Option("--year", help="Tax year (UK: the year it starts in, 2024 = 2024/25).")
    ],
    jurisdiction: Annotated[
        str | None,
        typer.Option("--jurisdiction", "-j", help="us, de or uk (default: the config's tax.jurisdiction)."),
    ] = None,
    transactions: Annotated[
        Path | None, typer.Option("--transactions", help="Report on this history CSV instead of the ledger.")
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="With --transactions: the currency the file's prices are in, USD, EUR or GBP "
            "(default: the report's; USD is converted with --rates).",
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="US lot choice: fifo, hifo or min-tax (default: the config's tax.method; "
            "for the ledger min-tax when the config has a US tax: section, else fifo).",
        ),
    ] = None,
    rates: Annotated[
        Path | None,
        typer.Option(
            "--rates",
            help="Daily date,rate CSV: report-currency units per USD, USDT counted as USD "
            "(default: the config's tax.rates_file; without one USDT = USD).",
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="US only: the taxpayer's time zone (default: tax.timezone, else America/New_York).",
        ),
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Also write the disposals as CSV here.")
    ] = None,
    allow_future: AllowFutureOption = False,
    allow_duplicates: AllowDuplicatesOption = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Realized gains of one tax year: one row per disposal, and the year's totals."""
    from trimtab.config import load_config
    from trimtab.files import write_atomically
    from trimtab.tax.output import csv_text, print_report, report_json

    def action() -> None:
        # The config gives the defaults; a --transactions report needs none (the file may not exist).
        loaded = load_config(config) if transactions is None or config.exists() else None
        section = loaded.tax if loaded is not None else None
        where = _jurisdiction(jurisdiction, section)
        own = section if section is not None and section.jurisdiction == where else None
        check_year(year, datetime.now(UTC).date())
        rules = _rules(where, own, method, timezone, ledger=transactions is None)
        if transactions is not None:
            priced = _file_currency(transactions, currency, rules.currency, explicit_rates=rates is not None)
            events = _file_events(
                transactions,
                priced,
                rules,
                _rates(rates, own, config),
                year=year,
                allow_future=allow_future,
                allow_duplicates=allow_duplicates,
            )
        else:
            table = _rates(rates, own, config)
            if currency is not None:
                raise ConfigError(
                    CLI, "--currency", "only with --transactions: the ledger keeps each import's currency"
                )
            assert loaded is not None  # loaded whenever there is no --transactions file
            events = _ledger_events(loaded, config, rules, table, rules.horizon(year))
        taxed = compute(rules, events, year=year, from_ledger=transactions is None)
        if csv_out is not None:
            try:
                write_atomically(csv_out, csv_text(taxed))
            except OSError as error:
                raise ConfigError(
                    str(csv_out), "--csv", f"cannot write the file ({error.strerror})"
                ) from None
        if as_json:
            emit_json(report_json(taxed))
            return
        print_report(out, taxed, csv_path=escape(str(csv_out)) if csv_out else None)
        if csv_out is not None:
            out.print(
                f"Wrote {_plural(len(taxed.disposals), 'disposal')} to {escape(str(csv_out))}.",
                soft_wrap=True,
            )

    guarded(debug, action)


@tax_app.command("harvest")
def harvest(
    min_loss: Annotated[
        str | None,
        typer.Option(
            "--min-loss",
            help="Smallest unrealized loss to list, report currency (default tax.harvest_min_loss).",
        ),
    ] = None,
    execute: Annotated[
        bool,
        typer.Option("--execute", help="Sell the worthwhile, allowed losses and buy back to the targets."),
    ] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Holdings at a loss worth selling and buying back for tax, and the rule that limits each."""
    import contextlib

    from trimtab import render
    from trimtab.assembly import build_bot, hold_portfolio
    from trimtab.config import load_config
    from trimtab.tax.harvest_output import harvest_json, print_harvest

    def action() -> None:
        loaded = load_config(config)
        section = loaded.tax
        if section is None:
            raise ConfigError(
                str(config), "tax", "tax harvest needs a tax: section with a jurisdiction (us, de or uk)"
            )
        threshold = decimal_flag("--min-loss", min_loss) if min_loss is not None else section.harvest_min_loss
        # Executing trades: one process at a time drives the portfolio (listing only reads it).
        driving = (
            hold_portfolio(loaded, config, "tax harvest --execute") if execute else contextlib.nullcontext()
        )
        with driving:
            outcome = _harvest(build_bot(loaded, config), threshold, execute)
        if as_json:
            emit_json(harvest_json(outcome, executed=execute))
            return
        print_harvest(out, outcome, execute=execute)
        if outcome.run is not None:
            render.print_outcome(out, outcome.run)

    guarded(debug, action)


def _harvest(bot: Bot, min_loss: Decimal, execute: bool) -> HarvestOutcome:
    import asyncio

    from trimtab.tax.lots import Oversold

    async def main() -> HarvestOutcome:
        try:
            return await bot.harvest(min_loss=min_loss, execute=execute)
        except Oversold as error:
            raise TaxError(
                f"{error}; import the history of how the wallet got it with `trimtab tax import FILE.csv`"
            ) from None
        finally:
            await bot.close()

    return asyncio.run(main())


def check_year(year: int, today: date) -> None:
    """ConfigError unless ``year`` has 4 digits and is not after ``today``'s year."""
    if not 1000 <= year <= 9999:
        raise ConfigError(CLI, "--year", f"expected a 4-digit year such as {today.year - 1}, got {year}")
    if year > today.year:
        raise ConfigError(CLI, "--year", f"{year} has not begun yet (this year is {today.year})")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            CLI, "--timezone", f"expected an IANA time zone such as America/Chicago, got {name!r}"
        ) from None


def _jurisdiction(flag: str | None, section: TaxSection | None) -> str:
    """``--jurisdiction``, else the config's ``tax.jurisdiction``; ConfigError when neither says."""
    from trimtab.tax.output import CURRENCIES

    if flag is not None:
        return choice_flag("--jurisdiction", flag, tuple(CURRENCIES))
    if section is None:
        raise ConfigError(
            CLI, "--jurisdiction", "expected us, de or uk (or a config with tax.jurisdiction), got none"
        )
    return section.jurisdiction


def _rules(
    where: str, own: TaxSection | None, method: str | None, timezone: str | None, *, ledger: bool
) -> TaxRules:
    """The report's rules: the flags, else the config's ``tax:`` section of this jurisdiction (``own``).

    The ledger's default lot order is the section's standing order (``min-tax`` unless set: the
    bot traded under it); a --transactions file's is ``tax.method`` when set, else FIFO."""
    from dataclasses import replace

    from trimtab.tax.jurisdiction import TaxRules
    from trimtab.tax.us import METHODS

    if where != "us" and method is not None:
        raise ConfigError(CLI, "--method", f"{NO_CHOICE[where]}; leave --method out")
    if where != "us" and timezone is not None:
        raise ConfigError(CLI, "--timezone", f"only a US report takes a time zone, not a {where} one")
    rules = TaxRules.from_section(own) if own is not None else TaxRules.defaults(cast("Jurisdiction", where))
    if where != "us":
        return rules
    lots: Method = "fifo"
    if method is not None:
        lots = cast("Method", choice_flag("--method", method, METHODS))
    elif own is not None and (ledger or own.method is not None):
        lots = own.lot_method
    zone = _zone(timezone) if timezone is not None else rules.zone
    return replace(rules, method=lots, zone=zone)


def _rates(flag: Path | None, own: TaxSection | None, config_path: Path) -> RateTable | None:
    """``--rates``, else the config's ``tax.rates_file`` (relative to the config file), else None."""
    from trimtab.tax.rates import load_rates

    if flag is not None:
        return load_rates(flag)
    if own is None or own.rates_file is None:
        return None
    path = Path(own.rates_file).expanduser()
    return load_rates(path if path.is_absolute() else config_path.parent / path)


def _file_currency(path: Path, currency: str | None, wanted: str, *, explicit_rates: bool) -> str:
    """The currency a --transactions file is priced in (``--currency``, else the report's ``wanted``);
    ConfigError when a ``wanted`` report cannot use it, or when --rates would have nothing to convert."""
    from trimtab.tax.output import CURRENCIES

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


def _file_events(
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
    events = [
        in_currency(event, priced, wanted, table, rules.zone)
        for event in map(check.see, iter_events(path, report_currency=priced, day_zone=rules.zone))
        if event.timestamp < horizon
    ]
    check.verdict()
    return events


def _ledger_events(
    loaded: Config, config_path: Path, rules: TaxRules, table: RateTable | None, before: datetime
) -> list[TaxEvent]:
    """The ledger's imported history and the bot's fills on the config's exchange in the report
    currency, before the report's horizon ``before``.

    Warns (stderr) about imported events priced in a currency that cannot be converted: they are
    left out."""
    from trimtab.assembly import ledger_url
    from trimtab.ledger.store import LedgerStore
    from trimtab.tax.history import ledger_history

    currency = rules.currency
    with LedgerStore.open(ledger_url(loaded, config_path)) as store:
        history = ledger_history(
            store,
            rates=table,
            report_currency=currency,
            wallet=loaded.exchange.name,
            before=before,
            zone=rules.zone,
        )
    events = history.events
    for other, count in sorted(history.left_out.items()):
        warn(
            f"{_plural(count, 'imported event')} priced in {other} left out of this {currency} report: "
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
        return rules.report(events, year)
    except TrimtabError as error:
        if from_ledger and isinstance(error, Oversold):
            raise TaxError(
                f"{error}; import the history of how the wallet got it with `trimtab tax import FILE.csv`"
            ) from None
        raise
    except ValueError as error:  # the UK matcher and normalize() raise plain ValueErrors
        raise TaxError(str(error)) from None

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
the form-shaped CSV (:mod:`trimtab.cli.tax_output`) atomically. The year is a 4-digit year no later than
this one (for the UK, the tax year starting in it).

``tax harvest`` needs the config's ``tax:`` section: it lists the holdings whose unrealized loss is
above ``--min-loss`` (default ``tax.harvest_min_loss``), what selling and buying back would save this
year and the rule that limits each (:mod:`trimtab.tax.harvest`); ``--execute`` sells the worthwhile,
allowed ones in a live run recorded in the ledger (command ``harvest``) and the executor buys back to
the targets.

Not tax advice: the human output ends with that line (the JSON does not carry it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trimtab.cli.support import (
    DEFAULT_CONFIG,
    ConfigOption,
    DebugOption,
    JsonOption,
    choice_flag,
    decimal_flag,
    emit_json,
    guarded,
    out,
)
from trimtab.cli.tax_inputs import (
    CLI,
    check_year,
    compute,
    file_currency,
    file_events,
    ledger_events,
    plural,
    report_jurisdiction,
    report_rates,
    report_rules,
)
from trimtab.errors import ConfigError, TaxError

# The config (pydantic), the ledger (SQLAlchemy, Alembic), the bot and the tax stack are imported by the
# commands that use them, so that `trimtab --help` and the other commands start without them.
if TYPE_CHECKING:
    from trimtab.app.outcomes import HarvestOutcome
    from trimtab.app.service import Bot


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
    from trimtab.app.tax_ledger import import_tax_events
    from trimtab.cli.tax_output import CURRENCIES
    from trimtab.config import load_config
    from trimtab.tax.import_checks import check_file
    from trimtab.tax.importer import day_zone_of
    from trimtab.tax.jurisdiction import TaxRules

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
        added = import_tax_events(
            loaded,
            config,
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
            f"imported {plural(added, 'event')} priced in {report_currency} from {escape(str(file))} "
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
    from trimtab.cli.tax_output import csv_chunks, print_report, report_json
    from trimtab.config import load_config
    from trimtab.files import write_atomically

    def action() -> None:
        # The config gives the defaults; a --transactions report needs none (the file may not exist).
        loaded = load_config(config) if transactions is None or config.exists() else None
        section = loaded.tax if loaded is not None else None
        where = report_jurisdiction(jurisdiction, section)
        own = section if section is not None and section.jurisdiction == where else None
        check_year(year, datetime.now(UTC).date())
        rules = report_rules(where, own, method, timezone, ledger=transactions is None)
        if transactions is not None:
            priced = file_currency(transactions, currency, rules.currency, explicit_rates=rates is not None)
            events = file_events(
                transactions,
                priced,
                rules,
                report_rates(rates, own, config),
                year=year,
                allow_future=allow_future,
                allow_duplicates=allow_duplicates,
            )
        else:
            table = report_rates(rates, own, config)
            if currency is not None:
                raise ConfigError(
                    CLI, "--currency", "only with --transactions: the ledger keeps each import's currency"
                )
            assert loaded is not None  # loaded whenever there is no --transactions file
            events = ledger_events(loaded, config, rules, table, rules.horizon(year))
        taxed = compute(rules, events, year=year, from_ledger=transactions is None)
        if csv_out is not None:
            try:
                write_atomically(csv_out, csv_chunks(taxed))
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
                f"Wrote {plural(len(taxed.disposals), 'disposal')} to {escape(str(csv_out))}.",
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

    from trimtab.app.assembly import build_bot
    from trimtab.app.portfolio_home import hold_portfolio
    from trimtab.cli import render
    from trimtab.cli.harvest_output import harvest_json, print_harvest
    from trimtab.config import load_config

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

"""The ``trimtab`` command line: init, validate, status, plan, rebalance, run, history, demo, backtest, sweep,
reset, guards, withdraw, tax (import, report).

Every command takes ``-c/--config``, ``--json`` and ``--debug``. Exit codes: 0 success, 2 bad input
(config, flags, data files), 1 a failure at run time. Errors are one line on stderr; ``--debug`` adds
the traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from trimtab import __version__
from trimtab.cli.backtest import backtest, sweep
from trimtab.cli.guards import guards
from trimtab.cli.notifying import notify_test
from trimtab.cli.reset import reset, warning_first
from trimtab.cli.serve import serve
from trimtab.cli.support import (
    DEFAULT_CONFIG,
    ConfigOption,
    DebugOption,
    JsonOption,
    emit_json,
    guarded,
    out,
)
from trimtab.cli.tax import tax_app
from trimtab.cli.withdraw import withdraw
from trimtab.errors import ConfigError
from trimtab.redaction import redact_standard_streams

# `trimtab --help` and every command's start-up import only typer, rich and these front-end modules:
# the config (pydantic), the ledger (SQLAlchemy, Alembic), the bot and the renderers are imported by the
# commands that use them (tests/cli/test_startup.py keeps it so).
if TYPE_CHECKING:
    from trimtab.app.service import Bot
    from trimtab.config import Config

T = TypeVar("T")

app = typer.Typer(
    name="trimtab",
    help="Keep a portfolio on its target weights: decide, plan and rebalance on a paper or real exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

OverrideOption = Annotated[
    bool,
    typer.Option(
        "--override-kill-switch", help="Run even though the last runs failed (once you fixed the cause)."
    ),
]


def with_bot(
    config_path: Path,
    job: Callable[[Bot], Coroutine[Any, Any, T]],
    *,
    drives: str | None = None,
    loaded: Config | None = None,
) -> T:
    """Load the config (unless ``loaded`` already), build the bot, run ``job`` on it and close it
    whatever happens. A command that ``drives`` the portfolio (trades or records runs) holds its lock
    throughout, taken before the bot is built: a second one fails at once, naming the first (see
    :mod:`trimtab.app.portfolio_lock`)."""
    import asyncio
    import contextlib

    from trimtab.app.assembly import build_bot
    from trimtab.app.portfolio_home import hold_portfolio
    from trimtab.config import load_config

    config = loaded or load_config(config_path)
    with hold_portfolio(config, config_path, drives) if drives else contextlib.nullcontext() as held:
        bot = build_bot(config, config_path)
        if held is not None:  # `run` may outlive a PostgreSQL lock's session: each run asks first
            bot.still_driving = held.still_held

        async def main() -> T:
            try:
                return await job(bot)
            finally:
                await bot.close()

        return asyncio.run(main())


@app.command()
def init(
    config: ConfigOption = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a commented example config (paper exchange, BTC 40, ETH 30, SOL 15, BNB 10, USDT 5)."""

    from importlib import resources

    def action() -> None:
        if config.exists() and not force:
            raise ConfigError(str(config), "", "already exists; use --force to overwrite it")
        text = resources.files("trimtab.examples").joinpath("trimtab.yaml").read_text(encoding="utf-8")
        try:
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(text, encoding="utf-8")
        except OSError as error:
            raise ConfigError(str(config), "", f"cannot write the file ({error.strerror})") from None
        if as_json:
            emit_json({"written": str(config)})
        else:
            out.print(
                f"Wrote {config}. Next: [bold]trimtab status -c {config}[/], then [bold]trimtab plan[/]."
            )

    guarded(debug, action)


@app.command()
def validate(
    config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False, debug: DebugOption = False
) -> None:
    """Check a config file without doing anything."""
    from trimtab.app.assembly import check_exchange
    from trimtab.cli.notifying import notifier_of
    from trimtab.config import load_config
    from trimtab.config.strategy import build_policy, build_weights

    def action() -> None:
        loaded = load_config(config)
        policy_text = describe(loaded)
        build_policy(loaded)
        build_weights(loaded)
        check_exchange(loaded, str(config))
        notifier_of(loaded, config)  # every notification URL is one apprise can use
        if as_json:
            emit_json({"valid": True, "file": str(config), "summary": policy_text})
        else:
            out.print(f"{config}: valid — {policy_text}")

    guarded(debug, action)


def describe(config: Config) -> str:
    portfolio = config.portfolio
    if portfolio.target_weights is not None:
        what = f"{len(portfolio.target_weights)} assets with fixed weights"
    else:
        assert portfolio.dynamic_weights is not None
        what = f"{len(portfolio.dynamic_weights.assets)} assets weighted by inverse volatility"
    return (
        f"{what}, {config.rebalancing.strategy.value} strategy, {venue_words(config)}, quote {config.quote}"
    )


def venue_words(config: Config) -> str:
    """The exchange as ``validate`` names it: a moving paper market says how it moves."""
    exchange = config.exchange
    if exchange.replay is not None:
        start = exchange.replay.start
        when = (
            f"{start:%Y-%m-%d}"
            if (start.hour, start.minute, start.second) == (0, 0, 0)
            else start.isoformat()
        )
        return f"paper exchange replaying the market from {when} at {exchange.replay.speed:,}x"
    if exchange.prices_from is not None:
        return f"paper exchange on {exchange.prices_from}'s live prices"
    return f"{exchange.name} exchange"


@app.command()
def status(
    config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False, debug: DebugOption = False
) -> None:
    """Show holdings, weights, targets and drift."""
    from trimtab.app import documents as reports
    from trimtab.cli import render

    def action() -> None:
        view = with_bot(config, lambda bot: warning_first(bot, bot.portfolio()))
        if as_json:
            emit_json(reports.portfolio_report(view))
        else:
            render.print_portfolio(out, view)

    guarded(debug, action)


@app.command()
def plan(
    config: ConfigOption = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option("--force", help="Plan as if the policy said rebalance.")] = False,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show the decision and the orders a rebalance would place. Nothing is placed or recorded."""
    from trimtab.app import documents as reports
    from trimtab.cli import render

    def action() -> None:
        planned = with_bot(config, lambda bot: warning_first(bot, bot.plan(force=force)))
        if as_json:
            emit_json(reports.plan_report(planned))
        else:
            render.print_portfolio(out, planned.portfolio)
            render.print_plan(out, planned)

    guarded(debug, action)


@app.command()
def rebalance(
    config: ConfigOption = DEFAULT_CONFIG,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and plan, record it, place nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebalance even if the policy says no.")] = False,
    override_kill_switch: OverrideOption = False,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Rebalance once, if the policy says so (or with --force), and record the run in the ledger.

    An unfinished earlier run (killed, or the exchange went away mid-run) is finished first instead."""
    from trimtab.app import documents as reports
    from trimtab.cli import render
    from trimtab.cli.notifying import notified, notifier_of
    from trimtab.config import load_config

    def action() -> None:
        loaded = load_config(config)
        notifier = notifier_of(loaded, config)  # its URLs checked before anything is traded
        outcome = with_bot(
            config,
            lambda bot: notified(
                bot.rebalance(dry_run=dry_run, force=force, override_kill_switch=override_kill_switch),
                notifier,
            ),
            drives="rebalance",
            loaded=loaded,
        )
        if as_json:
            emit_json(reports.run_report(outcome))
        else:
            render.print_portfolio(out, outcome.planned.portfolio, "Before")
            render.print_plan(out, outcome.planned)
            render.print_outcome(out, outcome)

    guarded(debug, action)


@app.command()
def run(
    config: ConfigOption = DEFAULT_CONFIG,
    max_runs: Annotated[
        int | None,
        typer.Option("--max-runs", min=1, help="Stop after this many checks (default: run until stopped)."),
    ] = None,
    override_kill_switch: OverrideOption = False,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Check and rebalance on the policy's schedule until stopped (Ctrl-C or SIGTERM stop it cleanly).

    With --max-runs, a last check that failed ends it with exit code 1 (2 for bad input), for cron."""
    from trimtab.cli.flag_hints import error_line
    from trimtab.cli.notifying import notifier_of
    from trimtab.cli.run_loop import failure_words, run_loop
    from trimtab.cli.support import fail
    from trimtab.config import load_config

    def action() -> None:
        loaded = load_config(config)
        notifier = notifier_of(loaded, config)  # its URLs checked before the first check
        ended = with_bot(
            config,
            lambda bot: run_loop(
                bot,
                out=out,
                as_json=as_json,
                max_runs=max_runs,
                override_kill_switch=override_kill_switch,
                notifier=notifier,
            ),
            drives="run",
            loaded=loaded,
        )
        runs = ended.checks
        if not as_json:
            out.print(f"Stopped after {runs} check{'s' if runs != 1 else ''}.")
        if max_runs is not None and ended.last_error is not None:
            error = ended.last_error
            fail(f"the last check failed ({failure_words(error)}): {error_line(error)}", error.exit_code)

    guarded(debug, action)


@app.command()
def history(
    config: ConfigOption = DEFAULT_CONFIG,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs to show.")] = 20,
    run_id: Annotated[int | None, typer.Option("--run", help="Show one run in detail.")] = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show past runs from the ledger: decisions, orders, fees, value."""
    from trimtab.app import documents as reports
    from trimtab.app.history import read_history, read_run_detail
    from trimtab.cli import render
    from trimtab.config import load_config
    from trimtab.limits import MAX_RUN_ID

    def action() -> None:
        if run_id is not None and not 1 <= run_id <= MAX_RUN_ID:
            raise ConfigError(
                "command line", "--run", f"expected a run id from 1 to {MAX_RUN_ID}, got {run_id}"
            )
        loaded = load_config(config)
        if run_id is not None:
            detail = read_run_detail(loaded, config, run_id)
            if detail is None:
                raise ConfigError(str(config), "--run", f"no run {run_id} in the ledger")
            if as_json:
                emit_json(reports.detail_report(detail))
            else:
                render.print_detail(out, detail)
            return
        runs = read_history(loaded, config, limit)
        if as_json:
            emit_json({"runs": [reports.summary_report(r) for r in runs]})
        elif not runs:
            out.print("No runs recorded yet. Try `trimtab rebalance --dry-run`.")
        else:
            out.print(render.history_table(runs))

    guarded(debug, action)


@app.command()
def demo(
    config: Annotated[
        Path | None,
        typer.Option(
            "-c", "--config", help="Use this config's portfolio and rules (default: the init example)."
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="Keep the demo's config, ledger and paper account here (default: a temp folder)."
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Serve the portfolio instead, living through a replayed year (see `serve`)."
        ),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="With --serve: listen on this address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="With --serve: this port.")] = 8750,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Rebalance a drifted paper portfolio on real bundled prices, start to finish.

    With --serve: the portfolio lives through the replayed market from 2024-01-01, a day per second,
    rebalanced monthly, with the JSON API at the printed URL."""
    from trimtab.cli.demo import run_demo, serve_demo

    if serve:
        guarded(debug, lambda: serve_demo(config, directory, host=host, port=port, as_json=as_json))
        return
    guarded(debug, lambda: run_demo(config, directory, out=out, as_json=as_json, emit_json=emit_json))


app.command()(backtest)
app.command()(sweep)
app.command()(reset)
app.command(name="notify-test")(notify_test)
app.command()(serve)
app.command()(guards)
app.command()(withdraw)
app.add_typer(tax_app, name="tax")


def version_callback(value: bool) -> None:
    if value:
        out.print(f"trimtab {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """trimtab: a portfolio rebalancing bot."""


def main() -> None:
    """The command line (the installed command enters through :func:`trimtab.cli.console.main`, which is
    ready for Ctrl-C before this module's imports and reports it)."""
    redact_standard_streams()  # nothing printed, by trimtab or a library, carries a credential
    app()

"""The ``trimtab`` command line: init, validate, status, plan, rebalance, run, history, demo.

Every command takes ``-c/--config``, ``--json`` and ``--debug``. Exit codes: 0 success, 2 bad input
(config, flags, data files), 1 a failure at run time. Errors are one line on stderr; ``--debug`` adds
the traceback.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from trimtab import __version__, render, reports
from trimtab.assembly import build_bot, build_policy, build_weights, check_exchange, data_dir, ledger_url
from trimtab.config import Config, load_config
from trimtab.errors import ConfigError, TrimtabError
from trimtab.ledger.store import LedgerStore
from trimtab.service import Bot

T = TypeVar("T")

app = typer.Typer(
    name="trimtab",
    help="Keep a portfolio on its target weights: decide, plan and rebalance on a paper or real exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path, typer.Option("-c", "--config", help="The YAML config file.", show_default=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
OverrideOption = Annotated[
    bool,
    typer.Option(
        "--override-kill-switch", help="Run even though the last runs failed (once you fixed the cause)."
    ),
]

DEFAULT_CONFIG = Path("trimtab.yaml")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def guarded(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action``, turning every failure into one line and an exit code (a traceback with --debug)."""
    try:
        return action()
    except TrimtabError as error:
        if debug:
            raise
        fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # a bug or an unexpected failure of a library: still one line
        if debug:
            raise
        fail(f"unexpected {type(error).__name__}: {error} (run again with --debug for the traceback)", 1)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def with_bot(config_path: Path, job: Callable[[Bot], Coroutine[Any, Any, T]]) -> T:
    """Load the config, build the bot, run ``job`` on it and close it whatever happens."""
    config = load_config(config_path)
    bot = build_bot(config, config_path)

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
    """Write a commented example config (paper exchange, the seed's portfolio)."""

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

    def action() -> None:
        loaded = load_config(config)
        policy_text = describe(loaded)
        build_policy(loaded)
        build_weights(loaded)
        check_exchange(loaded, str(config))
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
    return f"{what}, {config.rebalancing.strategy.value} strategy, {config.exchange.name} exchange, quote {config.quote}"


@app.command()
def status(
    config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False, debug: DebugOption = False
) -> None:
    """Show holdings, weights, targets and drift."""

    def action() -> None:
        view = with_bot(config, lambda bot: bot.portfolio())
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

    def action() -> None:
        planned = with_bot(config, lambda bot: bot.plan(force=force))
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

    def action() -> None:
        outcome = with_bot(
            config,
            lambda bot: bot.rebalance(
                dry_run=dry_run, force=force, override_kill_switch=override_kill_switch
            ),
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
    """Check and rebalance on the policy's schedule until stopped (Ctrl-C or SIGTERM stop it cleanly)."""
    from trimtab.daemon import run_loop

    def action() -> None:
        runs = with_bot(
            config,
            lambda bot: run_loop(
                bot, out=out, as_json=as_json, max_runs=max_runs, override_kill_switch=override_kill_switch
            ),
        )
        if not as_json:
            out.print(f"Stopped after {runs} check{'s' if runs != 1 else ''}.")

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

    def action() -> None:
        loaded = load_config(config)
        data_dir(loaded, config).mkdir(parents=True, exist_ok=True)
        ledger = LedgerStore.open(ledger_url(loaded, config))
        try:
            if run_id is not None:
                detail = ledger.run_detail(run_id)
                if detail is None:
                    raise ConfigError(str(config), "--run", f"no run {run_id} in the ledger")
                if as_json:
                    emit_json(reports.detail_report(detail))
                else:
                    render.print_detail(out, detail)
                return
            runs = ledger.list_runs(limit)
            if as_json:
                emit_json({"runs": [reports.summary_report(r) for r in runs]})
            elif not runs:
                out.print("No runs recorded yet. Try `trimtab rebalance --dry-run`.")
            else:
                out.print(render.history_table(runs, out.width))
        finally:
            ledger.close()

    guarded(debug, action)


@app.command()
def demo(
    config: Annotated[
        Path | None,
        typer.Option(
            "-c", "--config", help="Use this config's portfolio and rules (default: the seed's example)."
        ),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="Keep the demo's config, ledger and paper account here (default: a temp folder)."
        ),
    ] = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Rebalance a drifted paper portfolio on real bundled prices, start to finish."""
    from trimtab.demo import run_demo

    guarded(debug, lambda: run_demo(config, directory, out=out, as_json=as_json, emit_json=emit_json))


@app.command()
def backtest(
    config: ConfigOption = DEFAULT_CONFIG,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices", help="A wide CSV of daily or hourly closes (default: the bundled daily history)."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")] = None,
    initial: Annotated[str, typer.Option("--initial", help="Starting cash in the quote currency.")] = "10000",
    fee_rate: Annotated[
        str | None,
        typer.Option("--fee-rate", help="Fee as a fraction (default: the config's exchange.fee_rate)."),
    ] = None,
    slippage_bps: Annotated[str, typer.Option("--slippage-bps", help="Fill slippage in basis points.")] = "0",
    market_rules: Annotated[
        bool,
        typer.Option("--market-rules", help="Apply lot steps and minimums instead of fractional amounts."),
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
    ] = None,
    trades: Annotated[Path | None, typer.Option("--trades", help="Write every fill as CSV here.")] = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Backtest the config's strategy against buy-and-hold on real price history, fees included."""
    from trimtab.backtest import output
    from trimtab.backtest.data import load_price_frame
    from trimtab.backtest.engine import BacktestSettings
    from trimtab.backtest.study import run_study

    def action() -> None:
        loaded = load_config(config)
        settings = BacktestSettings(
            initial=_decimal_flag("--initial", initial, positive=True),
            fee_rate=_decimal_flag("--fee-rate", fee_rate)
            if fee_rate is not None
            else loaded.exchange.fee_rate,
            slippage_bps=_decimal_flag("--slippage-bps", slippage_bps),
            market_rules=market_rules,
            quote=loaded.quote,
        )
        frame = load_price_frame(prices)
        study = run_study(
            loaded,
            frame,
            source=str(prices or config),
            start=_date_flag("--start", start),
            end=_date_flag("--end", end),
            settings=settings,
        )
        if trades is not None:
            output.write_trades(trades, study)
        if report is not None:
            from trimtab.backtest.report import write_report

            write_report(report, study, title=f"trimtab backtest: {config.name}")
        if as_json:
            emit_json(output.study_report(study))
        else:
            output.print_study(
                out,
                study,
                f"{config.name}: {output.study_report(study)['start'][:10]} .. {output.study_report(study)['end'][:10]}",
            )

    guarded(debug, action)


@app.command()
def sweep(
    config: ConfigOption = DEFAULT_CONFIG,
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices", help="A wide CSV of daily or hourly closes (default: the bundled daily history)."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")] = None,
    initial: Annotated[str, typer.Option("--initial", help="Starting cash in the quote currency.")] = "10000",
    market_rules: Annotated[
        bool,
        typer.Option("--market-rules", help="Apply lot steps and minimums instead of fractional amounts."),
    ] = False,
    thresholds: Annotated[
        str, typer.Option("--thresholds", help="Threshold bands in percentage points (threshold and hybrid).")
    ] = "2,5,10,15",
    intervals: Annotated[
        str, typer.Option("--intervals", help="Hybrid check intervals in hours.")
    ] = "24,168",
    calendars: Annotated[
        str, typer.Option("--calendars", help="Calendar intervals: daily, weekly, monthly, quarterly.")
    ] = "daily,weekly,monthly,quarterly",
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="static, inverse_volatility (default: both, or only the config's dynamic weights).",
        ),
    ] = None,
    fee_rates: Annotated[str, typer.Option("--fee-rates", help="Fees as fractions.")] = "0,0.001,0.0025",
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes to run in (default: all cores).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows of the ranked table (JSON has all).")] = 20,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
    ] = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Backtest many strategies of the config's portfolio in parallel, ranked by final value.

    Comma-separated lists; an empty one (e.g. --calendars "") leaves that family out."""
    from trimtab.backtest import sweep_report
    from trimtab.backtest.sweep import parse_grid, run_sweep, sweep_points

    def action() -> None:
        loaded = load_config(config)
        grid = parse_grid(
            thresholds=thresholds,
            intervals=intervals,
            calendars=calendars,
            weights=weights,
            fee_rates=fee_rates,
        )
        points = sweep_points(loaded, grid, source=str(config))
        first, last = _date_flag("--start", start), _date_flag("--end", end)
        cash = _decimal_flag("--initial", initial, positive=True)
        with sweep_report.progress(err, len(points), enabled=not as_json and err.is_terminal) as advance:
            result = run_sweep(
                loaded,
                points,
                prices=prices,
                start=first,
                end=last,
                initial=cash,
                market_rules=market_rules,
                workers=workers,
                source=str(config),
                on_result=advance,
            )
        for note in result.notes:
            err.print(f"[bold yellow]warning:[/] {note}", markup=True, soft_wrap=True)
        title = f"{config.name}: {result.start[:10]} .. {result.end[:10]}, {len(result.runs)} runs"
        if report is not None:
            sweep_report.write_sweep_report(report, result, title=f"trimtab sweep: {title}", top=top)
        if as_json:
            emit_json(sweep_report.sweep_report(result))
        else:
            sweep_report.print_sweep(out, result, title, top=top)

    guarded(debug, action)


def _decimal_flag(flag: str, text: str, *, positive: bool = False) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError("command line", flag, f"expected a number, got {text!r}") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise ConfigError(
            "command line", flag, f"expected a number {'>' if positive else '>='} 0, got {text}"
        )
    return value


def _date_flag(flag: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError("command line", flag, f"expected a date YYYY-MM-DD, got {text!r}") from None


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
    app()

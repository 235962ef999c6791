"""``trimtab backtest`` and ``trimtab sweep``: the config's strategy on real price history.

``backtest --jurisdiction us|de|uk [--rates FILE.csv]`` (default: the config's ``tax.jurisdiction`` and
``tax.rates_file``; ``-j none`` leaves tax out) adds the tax of each tax year and the after-tax results
of both runs (:mod:`trimtab.backtest.tax`; estimates, not tax advice). The flags are spelt as in
``tax report``; the old ``--tax`` and ``--tax-rates`` still work, hidden, with a warning.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import typer

from trimtab.cli.flag_hints import said
from trimtab.cli.support import (
    DEFAULT_CONFIG,
    ConfigOption,
    DebugOption,
    JsonOption,
    choice_flag,
    date_flag,
    decimal_flag,
    emit_json,
    err,
    guarded,
    out,
    warn,
)
from trimtab.errors import ConfigError

if TYPE_CHECKING:  # the config (pydantic) and the tax stack are imported by the runs that use them
    from trimtab.backtest.tax import TaxSetup
    from trimtab.backtest.tax_aware import TaxAwareReplay
    from trimtab.config import Config
    from trimtab.config.tax_section import Jurisdiction

PricesOption = Annotated[
    Path | None,
    typer.Option(
        "--prices", help="A wide CSV of daily or hourly closes (default: the bundled daily history)."
    ),
]
StartOption = Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")]
EndOption = Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")]
InitialOption = Annotated[str, typer.Option("--initial", help="Starting cash in the quote currency.")]
MarketRulesOption = Annotated[
    bool, typer.Option("--market-rules", help="Apply lot steps and minimums instead of fractional amounts.")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
]


def backtest(
    config: ConfigOption = DEFAULT_CONFIG,
    prices: PricesOption = None,
    start: StartOption = None,
    end: EndOption = None,
    initial: InitialOption = "10000",
    fee_rate: Annotated[
        str | None,
        typer.Option("--fee-rate", help="Fee as a fraction (default: the config's exchange.fee_rate)."),
    ] = None,
    slippage_bps: Annotated[str, typer.Option("--slippage-bps", help="Fill slippage in basis points.")] = "0",
    market_rules: MarketRulesOption = False,
    report: ReportOption = None,
    trades: Annotated[Path | None, typer.Option("--trades", help="Write every fill as CSV here.")] = None,
    jurisdiction: Annotated[
        str | None,
        typer.Option(
            "--jurisdiction",
            "-j",
            help="Tax paid per year and after-tax results: us, de or uk, or none "
            "(default: the config's tax.jurisdiction; estimates, not tax advice).",
        ),
    ] = None,
    rates: Annotated[
        Path | None,
        typer.Option(
            "--rates",
            help="Daily date,rate CSV: tax-currency units per USD, USDT counted as USD "
            "(default: the config's tax.rates_file, else 1:1).",
        ),
    ] = None,
    old_tax: Annotated[str | None, typer.Option("--tax", hidden=True)] = None,  # deprecated spelling
    old_tax_rates: Annotated[Path | None, typer.Option("--tax-rates", hidden=True)] = None,  # deprecated
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Backtest the config's strategy against buy-and-hold on real price history, fees included."""
    from trimtab.backtest.engine import BacktestSettings
    from trimtab.backtest.study import study_price_file
    from trimtab.cli import backtest_output as output
    from trimtab.config import load_config

    def action() -> None:
        asked = _renamed("--tax", old_tax, "--jurisdiction", jurisdiction)
        rates_file = _renamed("--tax-rates", old_tax_rates, "--rates", rates)
        loaded = load_config(config)
        where = _tax_jurisdiction(asked, loaded)
        if rates_file is not None and where is None:
            raise ConfigError(
                "command line", "--rates", "only applies with --jurisdiction us|de|uk (or tax.jurisdiction)"
            )
        # The tax stack is imported only by a run that uses it (a jurisdiction, or the config's deferral).
        setup = None
        if where is not None:
            from trimtab.backtest.tax import tax_setup

            setup = tax_setup(loaded, config, where, rates_file)
        settings = BacktestSettings(
            initial=decimal_flag("--initial", initial, positive=True),
            fee_rate=decimal_flag("--fee-rate", fee_rate, below=Decimal("0.1"))
            if fee_rate is not None
            else loaded.exchange.fee_rate,
            slippage_bps=decimal_flag("--slippage-bps", slippage_bps, below=Decimal(10000)),
            market_rules=market_rules,
            quote=loaded.quote,
            # Replayed when the config sets it: the live default is not applied to history silently, so a
            # backtest of an ordinary config stays comparable with other engines (and with earlier runs).
            crash_percent=loaded.guards.crash_percent
            if "crash_percent" in loaded.guards.model_fields_set
            else None,
        )
        deferral = _deferral(loaded, config, setup)
        study = study_price_file(
            loaded,
            prices,
            source=str(prices or config),
            start=date_flag("--start", start),
            end=date_flag("--end", end),
            settings=settings,
            deferral=deferral,
        )
        taxes = None
        if setup is not None:  # before any file is written
            from trimtab.backtest.tax import study_tax

            taxes = study_tax(study, setup)
        if trades is not None:
            output.write_trades(trades, study)
        if report is not None:
            from trimtab.backtest.report import write_report

            write_report(report, study, title=f"trimtab backtest: {config.name}", tax=taxes)
        summary = output.study_report(study)
        warnings = [said(warning) for warning in study.warnings]
        for warning in warnings:
            warn(warning)
        aware = output.deferral_report(deferral) if deferral is not None else None
        if as_json:
            extra = {"tax": output.tax_report(taxes)} if taxes is not None else {}
            emit_json(summary | extra | {"tax_aware": aware, "warnings": warnings})
        else:
            output.print_study(out, study, f"{config.name}: {summary['start'][:10]} .. {summary['end'][:10]}")
            if aware is not None:
                out.print(
                    f"Tax-aware ({aware['jurisdiction']}, config tax:): {aware['deferred']} sells deferred "
                    f"(lots turning {'long-term' if aware['jurisdiction'] == 'us' else 'tax-free'} within "
                    f"{aware['defer_days']} days, drift inside {aware['hard_band']} points)"
                )
            if taxes is not None:
                output.print_tax(out, taxes)

    guarded(debug, action)


T = TypeVar("T")


def _renamed(old: str, old_value: T | None, new: str, value: T | None) -> T | None:
    """The value of flag ``new``, or of its deprecated spelling ``old`` (with a warning)."""
    if old_value is None:
        return value
    if value is not None and value != old_value:
        raise ConfigError("command line", old, f"is the old spelling of {new}; give only {new}")
    warn(f"{old} is deprecated: use {new} (the same flag as in `trimtab tax report`)")
    return old_value


def _tax_jurisdiction(flag: str | None, loaded: Config) -> Jurisdiction | None:
    """``--jurisdiction`` (``none``: no tax), else the config's ``tax.jurisdiction``, else None."""
    if flag is None:
        return loaded.tax.jurisdiction if loaded.tax is not None else None
    from trimtab.backtest.tax import JURISDICTIONS

    where = choice_flag("--jurisdiction", flag, (*JURISDICTIONS, "none"))
    return None if where == "none" else cast("Jurisdiction", where)


def _deferral(loaded: Config, config: Path, setup: TaxSetup | None) -> TaxAwareReplay | None:
    """The config's tax-aware deferral of sells, like the live bot's (None unless ``tax.defer_days``)."""
    section = loaded.tax
    if section is None or section.defer_days <= 0:
        return None
    from trimtab.backtest.tax import tax_setup
    from trimtab.backtest.tax_aware import TaxAwareReplay

    own = setup if setup is not None and setup.rules.jurisdiction == section.jurisdiction else None
    rates = (own or tax_setup(loaded, config, section.jurisdiction, None)).rates
    return TaxAwareReplay.from_section(section, threshold_percent=loaded.threshold, rates=rates)


def sweep(
    config: ConfigOption = DEFAULT_CONFIG,
    prices: PricesOption = None,
    start: StartOption = None,
    end: EndOption = None,
    initial: InitialOption = "10000",
    market_rules: MarketRulesOption = False,
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
    rebalance_to: Annotated[
        str | None,
        typer.Option(
            "--rebalance-to",
            help="Compare where past-band assets are traded to: target, band_edge, halfway "
            "(default: the config's rebalancing.rebalance_to).",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes to run in (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run the backtests on a Dask cluster: tcp://HOST:8786 (a running `dask scheduler`), "
            "or local:N to start one here with N worker processes and Dask's dashboard.",
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows of the ranked table (JSON has all).")] = 20,
    report: ReportOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Backtest many strategies of the config's portfolio in parallel, ranked by final value.

    Comma-separated lists; an empty one (e.g. --calendars "") leaves that family out. With --scheduler
    the same backtests run on a Dask cluster, with the same results."""
    from trimtab.backtest.sweep import run_sweep
    from trimtab.backtest.sweep_grid import parse_grid, sweep_points
    from trimtab.cli import sweep_output
    from trimtab.config import load_config

    def action() -> None:
        loaded = load_config(config)
        grid = parse_grid(
            thresholds=thresholds,
            intervals=intervals,
            calendars=calendars,
            weights=weights,
            fee_rates=fee_rates,
            rebalance_to=rebalance_to,
        )
        points = sweep_points(loaded, grid, source=str(config))
        first, last = date_flag("--start", start), date_flag("--end", end)
        cash = decimal_flag("--initial", initial, positive=True)
        cluster = None
        if scheduler is not None:  # Dask is imported only by a sweep on a cluster
            from trimtab.backtest.sweep_dask import parse_scheduler

            cluster = parse_scheduler(scheduler)
            if workers is not None:
                raise ConfigError(
                    "command line",
                    "--workers",
                    "sets local processes; with --scheduler the cluster's workers run",
                )
        with sweep_output.progress(err, len(points), enabled=not as_json and err.is_terminal) as advance:
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
                scheduler=cluster,
                on_cluster=lambda info: err.print(
                    sweep_output.cluster_line(info, len(points)), soft_wrap=True
                ),
            )
        for note in result.notes:
            warn(said(note))
        title = f"{config.name}: {result.start[:10]} .. {result.end[:10]}, {len(result.runs)} runs"
        if report is not None:
            from trimtab.backtest.sweep_report import write_sweep_report

            write_sweep_report(report, result, title=f"trimtab sweep: {title}", top=top)
        if as_json:
            emit_json(sweep_output.sweep_report(result))
        else:
            sweep_output.print_sweep(out, result, title, top=top)

    guarded(debug, action)

"""``trimtab demo``: the main job end to end on a paper account and real bundled prices.

A 10,000 USDT portfolio is bought at the target weights at the closes of START_DATE; a year later
(PRICE_DATE) the prices have moved and the weights have drifted. The demo shows that portfolio, the
decision and the plan, rebalances it on the paper exchange, and shows the result and the ledger entry.
The clock is set to the day after PRICE_DATE at noon UTC, when those closes were the latest prices.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from trimtab.app import documents as reports
from trimtab.app.assembly import build_bot
from trimtab.app.demo_files import DEMO_DATA, DemoFolder
from trimtab.cli import render
from trimtab.config import Config, config_from_mapping, load_config, parse_yaml
from trimtab.errors import ConfigError
from trimtab.model.money import floor_to_step, fmt
from trimtab.pricedata import bundled_history
from trimtab.venues.binance_defaults import default_rules

START_DATE = date(2024, 1, 1)
PRICE_DATE = date(2024, 12, 31)
INITIAL_CASH = Decimal(10000)


def drifted_balances(targets: dict[str, Decimal], quote: str) -> dict[str, Decimal]:
    """Balances bought at ``targets`` with INITIAL_CASH at the closes of START_DATE (lot-step floored)."""
    prices = bundled_history().prices_on(START_DATE)
    balances: dict[str, Decimal] = {}
    spent = Decimal(0)
    for asset, weight in sorted(targets.items()):
        if asset == quote or weight == 0:
            continue
        if asset not in prices:
            raise ConfigError(
                "demo",
                f"portfolio.target_weights.{asset}",
                f"the bundled history has no {asset} price on {START_DATE}",
            )
        step = default_rules(asset, quote, prices[asset]).amount_step
        amount = floor_to_step(INITIAL_CASH * weight / 100 / prices[asset], step)
        balances[asset] = amount
        spent += amount * prices[asset]
    balances[quote] = INITIAL_CASH - spent
    return balances


def demo_mapping(base: Config, source: dict[str, Any]) -> dict[str, Any]:
    """The demo's config: the base config's portfolio and rules on a drifted paper account."""
    if base.portfolio.target_weights is None:
        raise ConfigError("demo", "portfolio", "the demo needs fixed target_weights")
    mapping = dict(source)
    balances = drifted_balances(dict(base.portfolio.target_weights), base.quote)
    mapping["exchange"] = {
        "name": "paper",
        "balances": {asset: fmt(amount) for asset, amount in balances.items()},
        "prices": PRICE_DATE.isoformat(),
        "fee_rate": fmt(base.exchange.fee_rate),
    }
    mapping["data_dir"] = DEMO_DATA
    mapping.pop("database_url", None)
    return mapping


#: ``trimtab demo --serve``: the portfolio bought at the targets on START_DATE lives through the replayed
#: market from there, a market day per wall second, rebalanced on the first of every month.
REPLAY_SPEED = 86400
MONTHLY = {"strategy": "calendar", "schedule": {"interval": "monthly", "day": 1}}


def serve_demo(
    config_path: Path | None, directory: Path | None, *, host: str, port: int, as_json: bool
) -> None:
    """Write the demo portfolio on a replayed market (see REPLAY_SPEED) and serve it (``trimtab serve``)."""
    from trimtab.cli.serve import serve_portfolios

    source, base = _base(config_path)
    mapping = dict(source)
    mapping.pop("database_url", None)
    mapping["name"] = "demo"
    mapping["data_dir"] = DEMO_DATA
    mapping["rebalancing"] = MONTHLY
    mapping["exchange"] = {
        "name": "paper",
        "balances": {a: fmt(v) for a, v in drifted_balances(_targets(base), base.quote).items()},
        "replay": {"start": START_DATE.isoformat(), "speed": REPLAY_SPEED},
        "fee_rate": fmt(base.exchange.fee_rate),
    }
    text = (
        f"# Written by `trimtab demo --serve`: the portfolio bought on {START_DATE}, living through the "
        f"replayed market at a day per second, rebalanced monthly.\n"
        + yaml.safe_dump(_plain(mapping), sort_keys=False)
    )
    folder = DemoFolder.claim(directory or Path(tempfile.mkdtemp(prefix="trimtab-demo-")), text)
    demo_config = folder.write_config(text)
    load_config(demo_config)  # a bad base config fails here, naming the demo's file
    announce = (
        f"The demo portfolio replays the market from {START_DATE}, a day per second, rebalanced on the 1st "
        f"of each month. Watch it: GET /api/portfolios/demo, /history, /equity. Its files are in {folder.path}."
    )
    try:
        serve_portfolios([demo_config], host, port, as_json=as_json, announce=announce)
    finally:
        folder.record()


def _targets(base: Config) -> dict[str, Decimal]:
    if base.portfolio.target_weights is None:
        raise ConfigError("demo", "portfolio", "the demo needs fixed target_weights")
    return dict(base.portfolio.target_weights)


def _base(config_path: Path | None) -> tuple[dict[str, Any], Config]:
    """The demo's starting config: the given file, or the bundled example."""
    if config_path is not None:
        base = load_config(config_path)
        return parse_yaml(config_path.read_text(encoding="utf-8"), str(config_path)), base
    text = resources.files("trimtab.examples").joinpath("trimtab.yaml").read_text(encoding="utf-8")
    source = parse_yaml(text, "bundled example config")
    return source, config_from_mapping(source, "bundled example config")


def run_demo(
    config_path: Path | None,
    directory: Path | None,
    *,
    out: Console,
    as_json: bool,
    emit_json: Callable[[Any], None],
) -> None:
    source, base = _base(config_path)
    mapping = demo_mapping(base, source)
    # Start from a clean account each time, deleting only what an earlier demo created (see demo_files).
    text = (
        f"# Written by `trimtab demo`: the portfolio bought on {START_DATE} and marked to the closes of "
        f"{PRICE_DATE}.\n" + yaml.safe_dump(_plain(mapping), sort_keys=False)
    )
    demo_folder = DemoFolder.claim(directory or Path(tempfile.mkdtemp(prefix="trimtab-demo-")), text)
    folder = demo_folder.path
    demo_config = demo_folder.write_config(text)
    try:
        config = load_config(demo_config)
        clock_time = datetime.combine(PRICE_DATE + timedelta(days=1), time(12, 0), tzinfo=UTC)
        bot = build_bot(config, demo_config, clock=lambda: clock_time)

        async def scenario() -> tuple[Any, Any, Any, Any]:
            try:
                before = await bot.portfolio()
                planned = await bot.plan()
                outcome = await bot.rebalance(force=not planned.decision.rebalance, command="demo")
                return before, planned, outcome, bot.run_detail(outcome.run_id)
            finally:
                await bot.close()

        before, planned, outcome, entry = asyncio.run(scenario())
    finally:
        demo_folder.record()
    if as_json:
        emit_json(
            {
                "config": str(demo_config),
                "bought_on": START_DATE.isoformat(),
                "prices_of": PRICE_DATE.isoformat(),
                "before": reports.portfolio_report(before),
                "plan": reports.plan_report(planned),
                "run": reports.run_report(outcome),
                "ledger": reports.detail_report(entry) if entry is not None else None,
            }
        )
        return
    out.rule("[bold]trimtab demo[/]")
    out.print(
        f"A paper portfolio of {fmt(INITIAL_CASH, thousands=True)} {config.quote} was bought at the target weights at the real closes of "
        f"{START_DATE}. A year later, at the closes of {PRICE_DATE}, it has drifted:"
    )
    render.print_portfolio(out, before, "Drifted portfolio")
    render.print_plan(out, planned)
    if not planned.decision.rebalance:
        out.print("[dim]The demo rebalances anyway (as with --force) so you can see the whole trip.[/]")
    out.rule("Rebalancing on the paper exchange")
    render.print_outcome(out, outcome)
    if entry is not None:
        out.rule("Ledger entry")
        render.print_detail(out, entry, orders=False)
    command = "trimtab" if shutil.which("trimtab") else str(Path(sys.argv[0]))
    out.print(
        f"\nEverything is in {folder}. Look around with:\n"
        f"  {command} status  -c {demo_config}\n"
        f"  {command} history -c {demo_config}\n"
        f"  {command} plan    -c {demo_config}"
    )


def _plain(value: Any) -> Any:
    """Config values as YAML-friendly plain types (enums and Decimals as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return value

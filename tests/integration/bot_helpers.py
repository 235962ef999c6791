"""Shared helpers of the bot-level integration tests: configs on disk, a bot built from them, and the invariants.

A bot on the emulator is built the way the CLI builds it (``build_bot`` from a config file, keys from the
environment). The config turns ccxt's client-side throttle off (``exchange.rate_limit: false``: it makes
each loopback run take seconds). The venue is then rebuilt from the same config with trimtab's public
factory and ``CcxtVenue``, with one test-only change: read retries sleep through a recorder (no waiting).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from binance_emulator import DEFAULT_MARKETS, BinanceEmulator

from trimtab.app.assembly import build_bot, ccxt_client
from trimtab.app.portfolio_home import open_ledger as open_config_ledger
from trimtab.app.service import Bot, RunOutcome
from trimtab.config import load_config
from trimtab.errors import TEMPORARY_MARK, Failure, TrimtabError, failure_of
from trimtab.ledger.records import OrderRecord, RunSummary
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import OrderRequest, OrderResult, OrderStatus
from trimtab.venues.ccxt_venue import CcxtVenue
from trimtab.venues.port import Venue

D = Decimal
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
KEY, SECRET = "emu-key", "emu-secret"  # what BinanceEmulator accepts by default
KEY_ENV, SECRET_ENV = "TRIMTAB_API_KEY", "TRIMTAB_API_SECRET"
TIMEOUT_MS = 500
#: Seconds a ``timeout`` fault stalls: twice the venue's timeout.
STALL = 1.0

#: A drifted account: 25,000 USDT in all, BTC 72 % / ETH 24 % / USDT 4 % against the targets below.
DRIFTED = {"USDT": "1000", "BTC": "0.3", "ETH": "2"}
TARGETS = {"BTC": 40, "ETH": 30, "SOL": 15, "BNB": 10, "USDT": 5}
PRICES = {"BTC": "60000", "ETH": "3000", "SOL": "150", "BNB": "600"}  # the emulator's defaults
BOT_PREFIX = "tt-"  # every client order id the bot sends starts with it

_STATUSES = {
    "NEW": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.OPEN,
    "FILLED": OrderStatus.CLOSED,
    "CANCELED": OrderStatus.CANCELED,
    "EXPIRED": OrderStatus.EXPIRED,
}


class Sleeps(list[float]):
    """A ``sleep`` that records what it was asked to wait and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


# ------------------------------------------------------------------------------------------- configs


#: The documented risk settings (``slippage_tolerance: 0.5``) without the cap on a single trade.
DOCUMENTED_RISK: Mapping[str, object] = {"max_single_trade_percent": 100, "slippage_tolerance": 0.5}


def _write(
    folder: Path,
    exchange: Mapping[str, object],
    *,
    targets: Mapping[str, int] = TARGETS,
    external: Mapping[str, str] | None = None,
    rebalancing: Mapping[str, object] | None = None,
    risk: Mapping[str, object] | None = None,
) -> Path:
    portfolio: dict[str, object] = {"target_weights": dict(targets)}
    if external is not None:
        portfolio["external"] = dict(external)
    config: dict[str, object] = {
        "portfolio": portfolio,
        "rebalancing": {
            "strategy": "threshold",
            "threshold_percent": 5,
            "min_trade_usd": 10,
            **(rebalancing or {}),
        },
    }
    if risk is not None:
        config["risk"] = dict(risk)
    config |= {"data_dir": "data", "exchange": dict(exchange)}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "trimtab.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def emulator_config(
    folder: Path,
    base_url: str,
    *,
    targets: Mapping[str, int] = TARGETS,
    external: Mapping[str, str] | None = None,
    rebalancing: Mapping[str, object] | None = None,
    risk: Mapping[str, object] | None = None,
) -> Path:
    """A config for real ccxt binance on the emulator at ``base_url`` (keys come from the environment):
    ``targets`` (default :data:`TARGETS`), ``external`` holdings, ``rebalancing`` keys over the default
    threshold strategy (5-point band, min_trade_usd 10), and a ``risk`` section (none by default)."""
    exchange = {"name": "binance", "api_url": base_url, "timeout_ms": TIMEOUT_MS, "rate_limit": False}
    return _write(folder, exchange, targets=targets, external=external, rebalancing=rebalancing, risk=risk)


def paper_config(folder: Path, balances: Mapping[str, str], fill_ratio: str | None = None) -> Path:
    """A config for the paper venue with the emulator's prices, filters and fee rate."""
    markets = {
        f"{m.base}/{m.quote}": {
            "amount_step": m.step_size,
            "min_amount": m.min_qty,
            "min_notional": m.min_notional,
            "price_tick": m.tick_size,
        }
        for m in DEFAULT_MARKETS
        if m.quote == "USDT" and m.base in PRICES  # the markets of the targets, through the quote
    }
    exchange: dict[str, object] = {
        "name": "paper",
        "balances": dict(balances),
        "prices": dict(PRICES),
        "markets": markets,
        "fee_rate": "0.001",
    }
    if fill_ratio is not None:
        exchange["fill_ratio"] = fill_ratio
    return _write(folder, exchange)


# ------------------------------------------------------------------------------------------- bots


def fast_ccxt_venue(path: Path, sleeps: Sleeps) -> CcxtVenue:
    """The CcxtVenue the config at ``path`` describes, its read retries sleeping through ``sleeps``."""
    config = load_config(path)
    key, secret = os.environ[config.exchange.api_key_env], os.environ[config.exchange.secret_env]
    exchange = ccxt_client(config, str(path), api_key=key, secret=secret)
    exchange.timeout_on_exit = 0  # close() waits this long for TLS connections: there are none
    return CcxtVenue(exchange, quote="USDT", secrets=(key, secret), sleep=sleeps)


async def emulator_bot(path: Path, sleeps: Sleeps | None = None, *, pause_seconds: float = 0.0) -> Bot:
    """``build_bot`` on the config at ``path`` (a ccxt binance venue), made fast for tests (see the module)."""
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    built = bot.parts.venue
    assert isinstance(built, CcxtVenue), "assembly builds a ccxt venue for exchange.name binance"
    assert built.name == "binance"
    await built.close()
    venue = fast_ccxt_venue(path, Sleeps() if sleeps is None else sleeps)
    execution = replace(bot.parts.execution, pause_seconds=pause_seconds)
    return Bot(replace(bot.parts, venue=venue, execution=execution))


def paper_bot(path: Path) -> Bot:
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    return Bot(replace(bot.parts, execution=replace(bot.parts.execution, pause_seconds=0.0)))


def open_ledger(path: Path) -> LedgerStore:
    """The ledger of the config at ``path``, opened separately from any bot."""
    return open_config_ledger(load_config(path), path)


async def rebalance_on(emulator: BinanceEmulator, folder: Path, **config: Any) -> RunOutcome:
    """One rebalance by a bot on ``emulator`` with the config :func:`emulator_config` writes to ``folder``
    (``config``: its keywords); afterwards the ledger is checked against the exchange
    (:func:`assert_ledger_agrees`). Returns the run's outcome."""
    path = emulator_config(folder, emulator.base_url, **config)
    bot = await emulator_bot(path)
    try:
        outcome = await bot.rebalance()
    finally:
        await bot.close()
    assert_ledger_agrees(emulator, path)
    return outcome


# ------------------------------------------------------------------------------------------- reading the ledger


def runs(ledger: LedgerStore) -> list[RunSummary]:
    """Every run, oldest first."""
    return list(reversed(ledger.list_runs(limit=1000)))


def ledger_orders(ledger: LedgerStore) -> dict[str, OrderRecord]:
    """Every order the ledger holds, over all runs, by client order id (each id must occur once)."""
    found: dict[str, OrderRecord] = {}
    for run in runs(ledger):
        detail = ledger.run_detail(run.id)
        assert detail is not None
        for order in detail.orders:
            assert order.client_order_id not in found, f"{order.client_order_id} is in the ledger twice"
            found[order.client_order_id] = order
    return found


# ------------------------------------------------------------------------------------------- the invariants


def assert_invariants(emulator: BinanceEmulator, ledger: LedgerStore) -> None:
    """What must hold after every scenario, whatever failed:

    (a) no duplicate order: every client order id the bot sent appears once on the exchange;
    (b) no lost fill: every exchange order that executed is in the ledger with the same filled amount
        (Decimal-equal), the same fills and the same fees in the same assets;
    (c) the ledger matches the exchange: the same client ids, and per id the same status and filled.
    """
    ours = [o for o in emulator.orders() if o.client_order_id.startswith(BOT_PREFIX)]
    ids = [o.client_order_id for o in ours]
    assert len(ids) == len(set(ids)), f"(a) an order was placed twice: {sorted(ids)}"
    recorded = ledger_orders(ledger)
    for order in ours:
        if order.executed_qty > 0:
            record = recorded.get(order.client_order_id)
            assert record is not None, f"(b) the fill of {order.client_order_id} is not in the ledger"
            assert record.filled == order.executed_qty, f"(b) {order.client_order_id}: filled differs"
            on_exchange = sorted((f.price, f.qty, f.commission, f.commission_asset) for f in order.fills)
            in_ledger = sorted((f.price, f.amount, f.fee, f.fee_asset) for f in record.fills)
            assert in_ledger == on_exchange, f"(b) {order.client_order_id}: fills or fees differ"
    on_exchange_by_id = {o.client_order_id: (_STATUSES[o.status], o.executed_qty) for o in ours}
    in_ledger_by_id = {cid: (r.status, r.filled) for cid, r in recorded.items()}
    assert in_ledger_by_id == on_exchange_by_id, "(c) the ledger and the exchange disagree"


def assert_ledger_agrees(emulator: BinanceEmulator, path: Path) -> None:
    """:func:`assert_invariants` on the ledger of the config at ``path``, opened for the check only."""
    ledger = open_ledger(path)
    try:
        assert_invariants(emulator, ledger)
    finally:
        ledger.close()


def assert_clear_failure(
    error: BaseException, ledger: LedgerStore, emulator: BinanceEmulator, *, status: str = "failed"
) -> RunSummary:
    """(d) the user gets a clear report: a trimtab error on one line without credentials, and the newest run
    recorded with ``status`` (``failed`` with that line as its error, or ``running`` when orders were in
    flight and the next run must finish it). Returns that run."""
    assert isinstance(error, TrimtabError), f"not a trimtab error: {type(error).__name__}: {error}"
    message = str(error)
    assert message.strip()
    assert "\n" not in message
    signatures = {r.params["signature"] for r in emulator.requests if "signature" in r.params}
    for secret in (KEY, SECRET, os.environ.get(SECRET_ENV, SECRET), *signatures):
        assert secret not in message, "a credential leaked into the message"
    run = runs(ledger)[-1]
    assert run.status == status, f"run {run.id} is {run.status}, expected {status}"
    if status == "failed":  # temporary exchange trouble is marked so (the kill switch does not count it)
        mark = TEMPORARY_MARK if failure_of(error) is Failure.TEMPORARY else ""
        assert run.error == mark + " ".join(message[:500].split())
    else:
        assert run.error is None
    return run


# ------------------------------------------------------------------------------------------- hooks and waiting

Hook = Callable[[OrderRequest], Awaitable[None]]


class HookedVenue:
    """Passes every call to ``inner``; ``before_place`` runs before an order is sent, ``after_place`` after
    its answer came back (e.g. to trade on the account from elsewhere, or to inject a fault mid-run)."""

    def __init__(self, inner: Venue) -> None:
        self.inner = inner
        self.name = inner.name
        self.before_place: Hook | None = None
        self.after_place: Hook | None = None

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        if self.before_place is not None:
            await self.before_place(request)
        result = await self.inner.place_order(request)
        if self.after_place is not None:
            await self.after_place(request)
        return result


def with_hooks(bot: Bot) -> tuple[Bot, HookedVenue]:
    """``bot`` with its venue wrapped in a :class:`HookedVenue`."""
    venue = HookedVenue(bot.parts.venue)
    return Bot(replace(bot.parts, venue=venue)), venue


_DROPPED = frozenset({"disconnect", "execute-then-disconnect", "blackhole"})


async def quiesce(emulator: BinanceEmulator, limit: float = 5.0) -> None:
    """Wait until every request the emulator received was answered (a ``timeout`` fault handles its request
    only after stalling: the order it carries exists from then on)."""
    deadline = time.monotonic() + limit
    while any(r.status == 0 and r.fault not in _DROPPED for r in emulator.requests):
        assert time.monotonic() < deadline, "the emulator still has requests in flight"
        await asyncio.sleep(0.02)


def requests_for(emulator: BinanceEmulator, client_order_id: str) -> list[tuple[str, int, str | None]]:
    """(method, HTTP status, fault) of every /api/v3/order request about ``client_order_id``, in order."""
    return [
        (r.method, r.status, r.fault)
        for r in emulator.requests
        if r.path == "/api/v3/order"
        and client_order_id in (r.params.get("newClientOrderId"), r.params.get("origClientOrderId"))
    ]


def trimtab_command() -> list[str]:
    """The ``trimtab`` script next to this Python, else ``python -m trimtab``."""
    executable = Path(sys.executable).parent / "trimtab"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "trimtab"]


async def start_rebalance(config: Path, *wrapper: str) -> asyncio.subprocess.Process:
    """``trimtab rebalance --json`` on ``config`` as a real process (run by ``wrapper``, if given) with the
    emulator's keys, its output piped."""
    env = {**os.environ, KEY_ENV: KEY, SECRET_ENV: SECRET}
    return await asyncio.create_subprocess_exec(
        *wrapper, *trimtab_command(), "rebalance", "-c", str(config), "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip

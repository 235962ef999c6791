"""The ledger's write rate on SQLite and on PostgreSQL: whole runs recorded the way the bot records them,
one after another through ``LedgerStore``. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_ledger_writes.py [--runs 500] [--backends sqlite,postgresql]
        [--postgres-fast]

One run is what a live rebalance of a five-asset portfolio writes, in the bot's order and transactions
(11 commits): ``start_run``; the ``before`` snapshot (5 positions); the decision; the plan of the first
leg (2 sells, 1 skipped trade); each sell's settled order (2 fills each); the re-planned buys (2 legs);
each buy's order (1 fill); the ``after`` snapshot; ``finish_run``. Rows per run are counted in the
database afterwards (every ledger table), so rows/s is what really landed.

Both backends are durable as configured by default: SQLite in WAL mode with its ``synchronous``
setting as printed, PostgreSQL with ``fsync`` and ``synchronous_commit`` on (a commit waits for its WAL
flush). PostgreSQL is a throwaway cluster started from the server binaries in a temp dir (see
tests/support/postgres.py) and reached over TCP on 127.0.0.1, or the server ``TRIMTAB_BENCH_POSTGRES_URL``
names (a database the user may create databases from; one is created for the bench and dropped).
``--postgres-fast`` also measures a cluster with the tests' settings (fsync, synchronous_commit and
full_page_writes off): what the commit flush costs. The ledger is in schema ``bench`` (one portfolio).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from postgres import PostgresServer  # noqa: E402  (the tests' helper, found through the path above)

from trimtab.ledger import LedgerStore  # noqa: E402
from trimtab.ledger.models import Base  # noqa: E402
from trimtab.model.markets import MarketRules  # noqa: E402
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side  # noqa: E402
from trimtab.model.portfolio import Balance, Snapshot  # noqa: E402
from trimtab.planning.plan import Plan, PlannedOrder, SkippedTrade  # noqa: E402
from trimtab.policy.base import Decision  # noqa: E402

D = Decimal
QUOTE = "USDT"
SCHEMA = "bench"
START = datetime(2025, 1, 1, tzinfo=UTC)
PRICES = {"BTC": D("94250.37"), "ETH": D("3371.02"), "SOL": D("189.553"), "BNB": D("702.41")}
BALANCES = {
    "BTC": D("0.09053"),
    "ETH": D("1.2754"),
    "SOL": D("13.647"),
    "BNB": D("3.189"),
    QUOTE: D("500.94"),
}
TARGETS = {"BTC": D(40), "ETH": D(30), "SOL": D(15), "BNB": D(10), QUOTE: D(5)}
RULES = {a: MarketRules(a, QUOTE, D("0.00001"), D("0.01"), D(5)) for a in PRICES}
# (asset, side, amount, fills as (amount, price)): the first leg sells, then the re-planned buys
SELLS = (("BTC", Side.SELL, D("0.0131"), ((D("0.008"), D("94250.37")), (D("0.0051"), D("94249.9")))),
         ("SOL", Side.SELL, D("2.41"), ((D("1.2"), D("189.553")), (D("1.21"), D("189.55")))))  # fmt: skip
BUYS = (("ETH", Side.BUY, D("0.3102"), ((D("0.3102"), D("3371.02")),)),
        ("BNB", Side.BUY, D("0.61"), ((D("0.61"), D("702.41")),)))  # fmt: skip


def snapshot(at: datetime) -> Snapshot:
    balances = {a: Balance(amount, amount) for a, amount in BALANCES.items()}
    return Snapshot(QUOTE, balances, PRICES, RULES, D("0.001"), taken_at=at)


def weights() -> dict[str, Decimal]:
    values = {a: amount * PRICES.get(a, D(1)) for a, amount in BALANCES.items()}
    total = sum(values.values(), D(0))
    return {a: value / total * 100 for a, value in values.items()}


def planned(
    first_leg: int, legs: tuple[tuple[str, Side, Decimal, tuple[tuple[Decimal, Decimal], ...]], ...]
) -> Plan:
    orders = tuple(
        PlannedOrder(first_leg + i, asset, f"{asset}/{QUOTE}", side, amount, PRICES[asset], PRICES[asset],
                     amount * PRICES[asset])
        for i, (asset, side, amount, _) in enumerate(legs)
    )  # fmt: skip
    skipped = (
        (SkippedTrade("USDT", Side.BUY, D("3.2"), "below minimum notional 5 USDT"),) if first_leg == 0 else ()
    )
    return Plan(orders, skipped, total_value=D("10000"))


def record_run(ledger: LedgerStore, number: int) -> None:
    """One live rebalance, written as the bot writes it (see the module's docstring)."""
    at = START + timedelta(hours=number)
    total = D("10523.77")
    run_id = ledger.start_run(
        command="run", venue="paper", mode="live", forced=False, started_at=at, config_digest="sha256:bench"
    )
    ledger.record_snapshot(run_id, "before", snapshot(at), weights(), TARGETS, total)
    ledger.record_decision(run_id, Decision(True, "BTC drifted 6.1 pp above its target"), TARGETS)
    for first_leg, legs in ((0, SELLS), (len(SELLS), BUYS)):
        plan = planned(first_leg, legs)
        ids = {o.leg: f"tt-{run_id}-{o.leg}" for o in plan.orders}
        ledger.record_plan(run_id, plan, ids)
        for order, (_, side, amount, fills) in zip(plan.orders, legs, strict=True):
            done = tuple(Fill(price, filled, filled * price / 1000, QUOTE, at) for filled, price in fills)
            result = OrderResult(ids[order.leg], f"x{run_id}-{order.leg}", order.symbol, side, amount,
                                 order.limit_price, OrderStatus.CLOSED, amount, done)  # fmt: skip
            ledger.record_order(run_id, result, at + timedelta(seconds=order.leg + 1))
    after = at + timedelta(seconds=10)
    ledger.record_snapshot(run_id, "after", snapshot(after), weights(), TARGETS, total - D("2.1"))
    ledger.finish_run(run_id, "completed", after + timedelta(seconds=1))


def count_rows(url: str, schema: str | None) -> int:
    engine = create_engine(url)
    prefix = f'"{schema}".' if schema else ""
    try:
        with engine.connect() as connection:
            return sum(
                connection.execute(text(f"SELECT count(*) FROM {prefix}{table.name}")).scalar_one()
                for table in Base.metadata.sorted_tables
            )
    finally:
        engine.dispose()


def measure(name: str, url: str, schema: str | None, runs: int) -> None:
    opened = time.perf_counter()
    ledger = LedgerStore.open(url, schema=schema)
    open_seconds = time.perf_counter() - opened
    if url.startswith("sqlite"):
        name = f"{name} (WAL, synchronous={sqlite_synchronous(ledger)})"
    try:
        for number in range(min(20, runs)):  # warm-up: imports, the connection pool, the server's caches
            record_run(ledger, -number - 1)
        rows_before = count_rows(url, schema)
        started = time.perf_counter()
        for number in range(runs):
            record_run(ledger, number)
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    rows = count_rows(url, schema) - rows_before
    print(
        f"{name:<34} {runs / seconds:8.1f} runs/s {rows / seconds:9.0f} rows/s"
        f"   {seconds / runs * 1000:6.2f} ms/run   {rows / runs:.0f} rows/run"
        f"   {runs} runs in {seconds:.2f} s (open+migrate {open_seconds:.2f} s)"
    )


def filesystem(path: Path) -> str:
    done = subprocess.run(["stat", "-f", "-c", "%T", str(path)], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def sqlite_synchronous(ledger: LedgerStore) -> str:
    """The ``synchronous`` level of the ledger's own connections (how often a commit waits for the disk)."""
    with ledger._engine.connect() as connection:
        level = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
    return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(level, str(level))


@contextmanager
def postgres(durable: bool) -> Iterator[tuple[str, Callable[[], None]]]:
    """A fresh database's URL (and how to drop it), on TRIMTAB_BENCH_POSTGRES_URL's server or a cluster."""
    server = PostgresServer.from_environment("TRIMTAB_BENCH_POSTGRES_URL", durable=durable)
    try:
        url = server.new_database("trimtab_bench")
        yield url, lambda: server.drop_database(url)
    finally:
        server.stop()


def bench_sqlite(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="trimtab-bench-") as folder:
        measure("sqlite", f"sqlite:///{Path(folder) / 'ledger.db'}", None, runs)


def bench_postgres(runs: int, durable: bool) -> None:
    with postgres(durable) as (url, drop):
        try:
            settings = "fsync on" if durable else "fsync off"
            if "TRIMTAB_BENCH_POSTGRES_URL" in os.environ:
                settings = "TRIMTAB_BENCH_POSTGRES_URL"
            measure(f"postgresql ({settings})", url, SCHEMA, runs)
        finally:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-fast", action="store_true", help="also a cluster with fsync off")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs; temp folders on {filesystem(Path(tempfile.gettempdir()))}")  # fmt: skip
    if "sqlite" in backends:
        bench_sqlite(args.runs)
    if "postgresql" in backends:
        bench_postgres(args.runs, durable=True)
        if args.postgres_fast:
            bench_postgres(args.runs, durable=False)


if __name__ == "__main__":
    main()

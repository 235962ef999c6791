"""``trimtab tax import`` and ``tax report`` (us fifo/hifo/min-tax, de, uk) on a large history, as whole
processes: wall time, user CPU time and peak RSS of each (the machine is shared: the CPU time says
what the wall time would be on an idle one). Prints figures; asserts nothing.

    .venv/bin/python bench/bench_tax.py [--events 1000000] [--year 2024] [--keep DIR] [--only us-fifo,de]
        [--import-only]

The history is synthetic and deterministic (seed 0, see :func:`generate`): six assets, five wallets,
buys and sells with fees (in the report currency or in the coin), some ``fee`` rows, 2019-01 .. 2025-06.
Four wallets trade actively (sells of 5-60 % of what the wallet holds); one is a savings plan buying
small amounts every few hours and rarely selling, so it holds thousands of open lots. Each wallet's
rows are written as one block (exports concatenated), so the file is not in time order. Events are
priced in USD; the EUR and GBP files are the same rows with their fee currency renamed.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRIMTAB = [sys.executable, "-m", "trimtab"]
HEADER = "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
START = datetime(2019, 1, 1, tzinfo=UTC)
END = datetime(2025, 6, 30, tzinfo=UTC)
# asset: (first price in USD, yearly volatility)
ASSETS = {
    "BTC": (3800.0, 0.7),
    "ETH": (130.0, 0.9),
    "SOL": (1.5, 1.2),
    "ADA": (0.04, 1.0),
    "DOT": (3.0, 1.0),
    "LINK": (0.4, 1.0),
}
ACTIVE_WALLETS = ("binance", "kraken", "coinbase", "ledger")
SAVINGS_WALLET = "bitpanda"
CONFIG = """portfolio:
  target_weights: {BTC: 50, ETH: 45, USDT: 5}
rebalancing:
  strategy: threshold
  threshold_percent: 5
data_dir: data
exchange:
  name: paper
  balances: {USDT: 1000}
  prices: {BTC: 60000, ETH: 3000}
"""
REPORTS = {
    "us-fifo": ("us", "USD", ["--method", "fifo"]),
    "us-hifo": ("us", "USD", ["--method", "hifo"]),
    "us-min-tax": ("us", "USD", ["--method", "min-tax"]),
    "de": ("de", "EUR", []),
    "uk": ("uk", "GBP", []),
}


def _prices(rng: random.Random, steps: int) -> dict[str, list[float]]:
    """A geometric random walk per asset, one price per step (steps spread evenly over the span)."""
    years = (END - START).days / 365.25
    walks: dict[str, list[float]] = {}
    for asset, (first, vol) in ASSETS.items():
        sigma = vol * (years / steps) ** 0.5
        price, walk = first, []
        for _ in range(steps):
            price *= 1.0 + rng.gauss(0.0, sigma)
            price = max(price, first / 50)
            walk.append(price)
        walks[asset] = walk
    return walks


SCALE = 10**8  # amounts are whole units of 1e-8 while generating: no float drift, never an oversell


def _units(value: int) -> str:
    whole, fraction = divmod(value, SCALE)
    return f"{whole}.{fraction:08d}"


def _price_text(value: float) -> str:
    return f"{value:.6g}" if value < 1 else f"{value:.2f}"


def _wallet_rows(
    rng: random.Random, wallet: str, count: int, walks: dict[str, list[float]], savings: bool
) -> list[tuple[int, str]]:
    """``count`` rows of one wallet as (seconds since START, line), in time order; never sells more
    than the wallet holds."""
    span = int((END - START).total_seconds())
    steps = len(next(iter(walks.values())))
    texts = {asset: [_price_text(price) for price in walk] for asset, walk in walks.items()}
    held = dict.fromkeys(ASSETS, 0)
    assets = list(ASSETS)[:2] if savings else list(ASSETS)
    low, high = (100.0, 1000.0) if savings else (50.0, 5000.0)
    sell_share = 0.03 if savings else 0.42
    moments = sorted(rng.randrange(span) for _ in range(count))
    days: dict[int, str] = {}
    rows: list[tuple[int, str]] = []
    for offset in moments:
        day, second = divmod(offset, 86400)
        date_text = days.get(day)
        if date_text is None:
            date_text = days[day] = (START + timedelta(days=day)).strftime("%Y-%m-%d")
        hour, rest = divmod(second, 3600)
        stamp = f"{date_text}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
        asset = rng.choice(assets)
        step = offset * steps // span
        price, price_text = walks[asset][step], texts[asset][step]
        roll = rng.random()
        value = rng.uniform(low, high)
        if held[asset] and roll < sell_share:
            share = rng.uniform(0.05, 0.3) if savings else value / price / held[asset] * SCALE
            amount = min(held[asset], max(1, int(held[asset] * share)))
            held[asset] -= amount
            fee = f"{amount * price * 0.001 / SCALE:.2f}"
            rows.append((offset, f"{stamp},{wallet},sell,{asset},{_units(amount)},{price_text},{fee},USD\n"))
        elif held[asset] > 1000 and roll < sell_share + 0.03:
            amount = held[asset] // 1000
            held[asset] -= amount
            rows.append((offset, f"{stamp},{wallet},fee,{asset},{_units(amount)},{price_text},,\n"))
        else:
            amount = max(1, int(value / price * SCALE))
            if rng.random() < 0.3:  # fee paid in the coin bought: part of the cost and a disposal
                fee_units = amount // 1000
                held[asset] += amount - fee_units
                fee = f"{_units(fee_units)},{asset}" if fee_units else ","
            else:
                held[asset] += amount
                fee = f"{value * 0.001:.2f},USD"
            rows.append((offset, f"{stamp},{wallet},buy,{asset},{_units(amount)},{price_text},{fee}\n"))
    return rows


def generate(path: Path, events: int, seed: int = 0) -> int:
    """Write a history of about ``events`` rows priced in USD to ``path``; returns the rows written.

    Each wallet's rows are one block, in time order within it (exports concatenated)."""
    rng = random.Random(seed)
    walks = _prices(rng, 20_000)
    shares = {SAVINGS_WALLET: 0.04, **dict.fromkeys(ACTIVE_WALLETS, 0.24)}
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for wallet, share in shares.items():
            rows = _wallet_rows(rng, wallet, int(events * share), walks, wallet == SAVINGS_WALLET)
            out.writelines(line for _, line in rows)
            written += len(rows)
    return written


def recurrency(source: Path, target: Path, currency: str) -> None:
    """The same rows with fees paid in USD said to be paid in ``currency``."""
    rest = b""
    with source.open("rb") as reading, target.open("wb") as writing:
        for chunk in iter(lambda: reading.read(1 << 22), b""):
            whole, newline, rest = (rest + chunk).rpartition(b"\n")
            writing.write((whole + newline).replace(b",USD\n", f",{currency}\n".encode()))
        writing.write(rest)


def run(label: str, args: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run one trimtab command as a child process: wall seconds, user CPU seconds, peak RSS in MiB
    (the child's own), and the last line it printed."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "rss, cpu = usage.ru_maxrss / 1024, usage.ru_utime\n"
        "lines = p.stdout.strip().splitlines()[-4:-1]\n"
        "tail = ' | '.join(lines) if p.returncode == 0 else p.stderr.strip()\n"
        "print(p.returncode, wall, cpu, rss, tail, sep='\\t')\n"
    )
    # A fresh parent per command, so RUSAGE_CHILDREN holds this command's peak and nothing else.
    result = subprocess.run(
        [sys.executable, "-c", code, *TRIMTAB, *args], capture_output=True, text=True, cwd=cwd, check=True
    )
    returncode, wall, cpu, rss, tail = result.stdout.rstrip("\n").split("\t", 4)
    if returncode != "0":
        print(f"{label:<22}: FAILED (exit {returncode}): {tail}")
    return float(wall), float(cpu), float(rss), tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--year", default="2024")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    parser.add_argument("--only", help=f"comma-separated reports to run (of {', '.join(REPORTS)})")
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="run the imports of the chosen reports' currencies, no report",
    )
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(REPORTS)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-tax-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _bench(folder, args.events, args.year, chosen, reports=not args.import_only)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def _bench(folder: Path, events: int, year: str, chosen: list[str], *, reports: bool = True) -> None:
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows every figure)"
    )
    start = time.perf_counter()
    usd = folder / "history-usd.csv"
    rows = generate(usd, events)
    generated = time.perf_counter() - start
    files = {"USD": usd}
    for currency in ("EUR", "GBP"):
        files[currency] = folder / f"history-{currency.lower()}.csv"
        recurrency(usd, files[currency], currency)
    size = usd.stat().st_size / 2**20
    print(f"{'generate':<22}: {rows:,} rows, {size:.0f} MiB, in {generated:.1f} s (+ EUR, GBP copies)")
    # One ledger per currency: a report reads the history of its own currency (a EUR report of a
    # ledger that also holds USD history would need USD->EUR rates for it).
    configs = {currency: folder / f"trimtab-{currency.lower()}.yaml" for currency in files}
    for currency, config in configs.items():
        data = f"data-{currency.lower()}"
        config.write_text(CONFIG.replace("data_dir: data", f"data_dir: {data}"), encoding="utf-8")
        (folder / data / "ledger.db").unlink(missing_ok=True)
    currencies = {REPORTS[name][1] for name in chosen}
    for currency in ("USD", "EUR", "GBP"):
        if currency not in currencies:
            continue
        wall, cpu, rss, tail = run(
            f"import {currency}",
            ["tax", "import", str(files[currency]), "--currency", currency, "-c", str(configs[currency])],
            folder,
        )
        print(f"{'import ' + currency:<22}: {wall:6.1f} s  {cpu:6.1f} s user  {rss:6.0f} MiB   {tail[:70]}")
    for name in chosen if reports else []:
        jurisdiction, currency, extra = REPORTS[name]
        base = ["tax", "report", "-j", jurisdiction, "--year", year, *extra]
        for source, more in (
            ("ledger", ["-c", str(configs[currency])]),
            ("csv", ["--transactions", str(files[currency])]),
        ):
            wall, cpu, rss, tail = run(f"{name} {source}", [*base, *more], folder)
            label = f"report {name} ({source})"
            print(f"{label:<24}: {wall:6.1f} s  {cpu:6.1f} s user  {rss:6.0f} MiB   {tail}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'this script':<22}: {own:.0f} MiB peak RSS (generating)")


if __name__ == "__main__":
    main()

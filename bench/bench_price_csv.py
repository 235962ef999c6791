"""How fast price CSVs load, in each time format the reader accepts (prints figures; asserts nothing).

Run from the repository: .venv/bin/python bench/bench_price_csv.py [--prices PATH] [--repeats 7]

The workload is bench_backtest.py's: 10 assets x 5 years of hourly closes (~44k rows), cut from the hourly
file (``--prices``, default ``../shared/data/hourly_close_usdt.csv``; without it a synthetic random walk of
the same shape). It is written once in each accepted shape of the time column and loaded with
``trimtab.backtest.data.load_price_frame`` (read, parse, grid, forward fill). Also timed: the whole
hourly file as given, and the bundled daily file. Best of ``--repeats`` wall-clock runs (the machine may
be shared: the best run is the one least disturbed). Target: well under 0.1 s for the workload, in every
shape (the whole ``trimtab backtest`` process should take under 0.6 s).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backtest import ASSETS, resolve_prices

from trimtab.backtest.data import BUNDLED_NAME, load_price_frame, parse_price_frame

ROWS = 43_824  # 5 years of hours
TARGET_SECONDS = 0.1

# name -> (header of the time column, how an hourly open time is written)
SHAPES: dict[str, tuple[str, Callable[[datetime], str]]] = {
    "datetime_utc YYYY-MM-DD HH:MM": ("datetime_utc", lambda t: t.strftime("%Y-%m-%d %H:%M")),
    "pandas, 2019-01-01 00:00:00": ("datetime", lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    "ISO 8601 with T and Z": ("time", lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    "ISO 8601 with +00:00": ("Date", lambda t: t.strftime("%Y-%m-%dT%H:%M:%S+00:00")),
    "ISO 8601 at +02:00 (converted)": (
        "date",
        lambda t: (t + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M+02:00"),
    ),
    "epoch milliseconds (ccxt)": ("timestamp", lambda t: str(int(t.timestamp()) * 1000)),
    "epoch seconds": ("timestamp", lambda t: str(int(t.timestamp()))),
}


def workload_rows(prices: Path) -> list[tuple[datetime, list[str]]]:
    """The last ROWS rows of the workload's assets, with their open times."""
    with prices.open(encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        columns = [header.index(asset) for asset in ASSETS]
        rows = list(reader)[-ROWS:]
    opens = [datetime.fromisoformat(row[0]).replace(tzinfo=UTC) for row in rows]
    return [(t, [row[c] for c in columns]) for t, row in zip(opens, rows, strict=True)]


def write_shape(folder: Path, name: str, rows: list[tuple[datetime, list[str]]]) -> Path:
    header, stamp = SHAPES[name]
    path = folder / (name.split(maxsplit=1)[0].strip(",").lower() + f"-{len(list(folder.iterdir()))}.csv")
    lines = [",".join((header, *ASSETS))] + [f"{stamp(t)},{','.join(cells)}" for t, cells in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def best_seconds(load: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The fastest of ``repeats`` calls after one untimed warm-up: wall-clock and CPU seconds (on a shared
    machine the CPU time is the steadier figure)."""
    load()
    walls, cpus = [], []
    for _ in range(repeats):
        began, cpu = time.perf_counter(), time.process_time()
        load()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prices", type=Path, help="hourly wide CSV (default: bench_backtest.py's)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    prices, where = resolve_prices(args.prices)
    print(where)
    rows = workload_rows(prices)
    print(
        f"workload: {len(rows):,} hourly rows x {len(ASSETS)} assets; best of {args.repeats}; target < {TARGET_SECONDS} s"
    )
    with tempfile.TemporaryDirectory(prefix="trimtab-bench-csv-") as name:
        folder = Path(name)
        for shape in SHAPES:
            path = write_shape(folder, shape, rows)
            wall, cpu = best_seconds(lambda path=path: load_price_frame(path), args.repeats)
            size = path.stat().st_size / 1e6
            verdict = "met" if wall < TARGET_SECONDS else "MISSED"
            print(
                f"  {shape:34} {size:5.1f} MB  {wall * 1000:6.1f} ms wall ({verdict}), {cpu * 1000:6.1f} ms CPU"
            )
    wall, cpu = best_seconds(lambda: load_price_frame(prices), args.repeats)
    size = prices.stat().st_size / 1e6
    print(f"the whole hourly file ({size:.1f} MB): {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU")
    bundled = resources.files("trimtab.data").joinpath(BUNDLED_NAME)
    wall, cpu = best_seconds(lambda: parse_price_frame(bundled.read_bytes(), BUNDLED_NAME), args.repeats)
    print(f"the bundled daily file: {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main()

"""How long trimtab takes as a command: start-up, and whole backtests on hourly data (prints figures).

Run from the repository: .venv/bin/python bench/bench_startup.py [--prices PATH] [--repeats 5]

Every figure is the wall time of a fresh process, best of ``--repeats`` (the machine's other work only
ever adds time, so the best run is the one closest to what trimtab itself costs):

- ``trimtab --help``;
- ``trimtab backtest`` of the bench workload (``bench_backtest.py``: 10 assets x 5 years of hourly bars,
  hybrid 5 points / 24 h, fee 0.1 %) with fixed weights (10 % each) and with inverse-volatility weights
  (the same 10 assets, 30-day look-back), reading the hourly CSV and printing the table;
- where the backtest's time goes, measured inside one process the way the command runs: importing
  the command line, importing the backtest, loading the config, reading the CSV, computing the study
  (strategy and buy-and-hold) and printing it.

Next to them, the targets of issue 10: ``--help`` under 0.3 s, the fixed-weights backtest under 0.6 s,
inverse volatility at most 1.5x the fixed weights.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_backtest import ASSETS, END, START, resolve_prices

TARGET_HELP_S, TARGET_BACKTEST_S, TARGET_INVERSE_VOL_RATIO = 0.3, 0.6, 1.5

RULES = """\
rebalancing: {strategy: hybrid, threshold_percent: 5, check_interval_hours: 24, min_trade_usd: 0}
risk: {slippage_tolerance: 0}
exchange: {fee_rate: "0.001"}
"""
FIXED = "portfolio:\n  target_weights: {" + ", ".join(f"{a}: 10" for a in ASSETS) + "}\n" + RULES
INVERSE_VOL = (
    "portfolio:\n  dynamic_weights:\n    method: inverse_volatility\n"
    f"    assets: [{', '.join(ASSETS)}]\n    lookback_days: 30\n" + RULES
)

# The phases of `trimtab backtest`, timed inside one process (argv: config, prices, start, end).
PHASES = """\
import sys, time
began = time.perf_counter(); marks = []
def mark(name):
    marks.append((name, time.perf_counter()))
import trimtab.cli.main
mark("import the command line")
from trimtab.cli import backtest_output as output
from trimtab.backtest.data import load_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.study import rows_needed, run_study, study_assets
from trimtab.config import load_config
mark("import the backtest and the config")
from datetime import date
from decimal import Decimal
from pathlib import Path
config = load_config(Path(sys.argv[1]))
mark("load the config")
start, end = date.fromisoformat(sys.argv[3]), date.fromisoformat(sys.argv[4])
# what trimtab.backtest.study.study_price_file does: the config's columns, the period's rows
frame = load_price_frame(Path(sys.argv[2]), only=study_assets(config), rows=rows_needed(config, start, end))
mark("read the CSV")
settings = BacktestSettings(initial=Decimal(10000), fee_rate=config.exchange.fee_rate, quote=config.quote)
study = run_study(config, frame, source=sys.argv[2], start=start, end=end, settings=settings)
mark("compute the study")
from trimtab.cli.support import out
output.print_study(out, study, "phases")
mark("print the table")
last = began
for name, moment in marks:
    print(f"PHASE {name}|{moment - last:.4f}")
    last = moment
"""


def trimtab_command() -> list[str]:
    """The installed ``trimtab`` script next to this interpreter, else ``python -m trimtab``."""
    script = Path(sys.executable).with_name("trimtab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "trimtab"]


def child_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(command: list[str], repeats: int) -> tuple[float, list[float], float]:
    """The fastest wall time of ``repeats`` runs of ``command``, every wall time, and the least CPU time
    (user + system) of one run: steadier than wall time when other work shares the cores."""
    times, cpu = [], []
    for _ in range(repeats):
        began, used = time.perf_counter(), child_cpu()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - began)
        cpu.append(child_cpu() - used)
    return min(times), times, min(cpu)


def phases(config: Path, prices: Path, repeats: int) -> dict[str, float]:
    """Each phase's best time over ``repeats`` processes."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", PHASES, str(config), str(prices), str(START), str(END)],
            check=True,
            capture_output=True,
            text=True,
            # OPENBLAS_NUM_THREADS: as trimtab.cli.console.main sets it before the command imports numpy
            env={"OPENBLAS_NUM_THREADS": "1"} | os.environ | {"COLUMNS": "100"},
        )
        for line in done.stdout.splitlines():
            if line.startswith("PHASE "):
                name, seconds = line[len("PHASE ") :].split("|")
                best[name] = min(best.get(name, float("inf")), float(seconds))
    return best


def verdict(value: float, target: float) -> str:
    return f"target {target:g} -> {'meets it' if value <= target else 'MISSES it'} ({value / target:.2f}x)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prices", type=Path, default=None, help="The hourly CSV (default: ../shared/data).")
    parser.add_argument("--repeats", type=int, default=5, help="Processes per figure; the best is shown.")
    args = parser.parse_args()
    prices, where = resolve_prices(args.prices)
    print(where)
    load = os.getloadavg()[0]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f}, best of {args.repeats}"
    )
    command = trimtab_command()

    help_s, help_all, help_cpu = best_of([*command, "--help"], args.repeats)
    print(f"trimtab --help          : {help_s * 1000:6.0f} ms   {verdict(help_s, TARGET_HELP_S)} s")
    print(
        f"  every run (ms)        : {', '.join(f'{t * 1000:.0f}' for t in help_all)}; CPU {help_cpu * 1000:.0f} ms"
    )

    with tempfile.TemporaryDirectory(prefix="trimtab-bench-") as folder:
        configs = {"fixed": Path(folder, "fixed.yaml"), "inverse_vol": Path(folder, "inverse-vol.yaml")}
        configs["fixed"].write_text(FIXED, encoding="utf-8")
        configs["inverse_vol"].write_text(INVERSE_VOL, encoding="utf-8")
        window = ["--prices", str(prices), "--start", str(START), "--end", str(END)]
        seconds, cpus = {}, {}
        for name, config in configs.items():
            seconds[name], every, cpus[name] = best_of(
                [*command, "backtest", "-c", str(config), *window], args.repeats
            )
            label = "fixed weights" if name == "fixed" else "inverse vol"
            print(
                f"backtest, {label:<14}: {seconds[name] * 1000:6.0f} ms   (every run: "
                f"{', '.join(f'{t * 1000:.0f}' for t in every)}; CPU {cpus[name] * 1000:.0f} ms)"
            )
        print(f"  fixed weights         : {verdict(seconds['fixed'], TARGET_BACKTEST_S)} s")
        ratio = seconds["inverse_vol"] / seconds["fixed"]
        print(f"  inverse vol / fixed   : {ratio:.2f}x   {verdict(ratio, TARGET_INVERSE_VOL_RATIO)}")
        cpu_ratio = cpus["inverse_vol"] / cpus["fixed"]
        print(f"    in CPU time         : {cpu_ratio:.2f}x   {verdict(cpu_ratio, TARGET_INVERSE_VOL_RATIO)}")
        for name, config in configs.items():
            print(f"where the time goes ({name.replace('_', ' ')}, best of {args.repeats} per phase):")
            for phase, spent in phases(config, prices, args.repeats).items():
                print(f"  {phase:<34}: {spent * 1000:6.0f} ms")
    print(
        textwrap.fill(
            "Wall times grow with the machine's other work; the CPU times (user + system) less so. The "
            "config (pydantic), numpy, the ledger and the tax stack are imported by the commands that use them.",
            width=100,
        )
    )


if __name__ == "__main__":
    main()

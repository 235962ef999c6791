"""trimtab's backtester side by side with bt and vectorbt: time, and agreement of the results.

Run: bash bench/run-compare.sh   (builds bench/.venv-compare with bt, vectorbt and trimtab, then runs this)
 or: bench/.venv-compare/bin/python bench/compare_bt_vectorbt.py [--prices PATH] [--repeats 5]

Same semantics for every engine: 10,000 cash bought at the targets (10 % of each asset, no cash) at the first
close, marked at every close, fills at the close, fractional amounts, fees as a fraction of traded value.

1. Time, on the workload of ``bench_backtest.py`` (10 assets x 43,824 hourly bars, fee 0.1 %):
   trimtab (hybrid 5 points / 24 h, monthly calendar, buy-and-hold), bt (``RunMonthly, SelectAll,
   WeighEqually, Rebalance`` and a ``RunOnce`` buy-and-hold) and vectorbt (``Portfolio.from_orders`` with
   target-percent orders on the rebalance bars, ``cash_sharing=True, group_by=True``, sells first). Each
   figure is the median of ``--repeats`` calls after one untimed first call (vectorbt's includes numba's
   compilation; it is printed). Only the engines are timed: the price DataFrame and order arrays are built
   beforehand; bt's time is ``Backtest(...)`` + ``.run()`` (``bt.run`` would add ffn statistics on top).
2. Agreement with bt to 1e-6 relative, WITHOUT fees, on the bundled daily closes (same assets and period),
   at ``slippage_tolerance`` 0 and at the seed's example 0.5 (every buy sized for its worst price; the
   executor's top-up passes spend the cash that leaves): buy-and-hold, and a monthly rebalance (trimtab:
   ``CalendarPolicy`` monthly, day 1 at 00:00 UTC; bt: ``RunMonthly``, which fires at the first bar of each
   month: the same bars). With fees the engines differ by design, so those differences are printed for
   information only: the paper venue charges the fee in the asset received (like Binance), so trimtab's
   planner sizes every buy so that ``amount x limit`` fits the cash (no fee reserve in the quote); bt pays the commission from cash and invests the rest; vectorbt puts the
   fee on top of each order and cuts the last buy of a bar to the cash left.

bt and vectorbt are imported inside functions: a library that is not installed is skipped with one line.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
from bench_backtest import (
    ASSETS,
    END,
    INITIAL,
    START,
    backtest,
    load_workload,
    resolve_prices,
    settings_for,
    workload_config,
)
from numpy.typing import NDArray

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.backtest.engine import buy_and_hold
from trimtab.config.strategy import build_weights, planner_settings

TOLERANCE = 1e-6
HYBRID: dict[str, Any] = {}  # the workload's own rules: hybrid, 5 points, checked every 24 h
MONTHLY = {"strategy": "calendar", "schedule": {"interval": "monthly", "day": 1, "time": "00:00"}}
FEE = Decimal("0.001")
# The agreement part runs at slippage_tolerance 0 and at the seed's example 0.5 (percent): with a tolerance
# every buy is sized for its worst price, and the executor's top-up passes spend the cash that leaves.
SLIPPAGES = (Decimal(0), Decimal("0.5"))
RUNS: tuple[tuple[str, dict[str, Any] | None, bool], ...] = (
    ("buy-and-hold", None, False),
    ("monthly", MONTHLY, True),
)

T = TypeVar("T")
Curve = NDArray[np.float64]


# -- the libraries, each optional ----------------------------------------------------------------------


def optional(name: str) -> ModuleType | None:
    try:
        module = importlib.import_module(name)
    except Exception as error:  # not installed, or broken (e.g. numba/llvmlite for vectorbt)
        print(f"{name}: SKIPPED, cannot import it ({type(error).__name__}: {error})")
        return None
    return module


def to_pandas(frame: PriceFrame) -> Any:
    import pandas as pd

    index = pd.DatetimeIndex(frame.times.astype("datetime64[ns]"), name="close_time")
    return pd.DataFrame(np.array(frame.closes), index=index, columns=list(frame.assets))


def bt_curve(bt: ModuleType, prices: Any, *, monthly: bool, fee: float) -> Curve:
    """bt's equity at every close (its first row, a day before the data, holds the initial cash)."""
    algos = bt.algos
    first = algos.RunMonthly() if monthly else algos.RunOnce()
    strategy = bt.Strategy("s", [first, algos.SelectAll(), algos.WeighEqually(), algos.Rebalance()])
    run = bt.Backtest(
        strategy,
        prices,
        initial_capital=float(INITIAL),
        commissions=(lambda quantity, price: abs(quantity) * price * fee) if fee else None,
        integer_positions=False,
        progress_bar=False,
    )
    run.run()
    return np.asarray(run.strategy.values.to_numpy()[1:], dtype=np.float64)


def vbt_orders(shape: tuple[int, int], bars: Sequence[int]) -> NDArray[np.float64]:
    """Target-percent sizes: 10 % of each asset on the rebalance bars, NaN (no order) elsewhere."""
    size = np.full(shape, np.nan)
    size[list(bars), :] = 1.0 / shape[1]
    return size


def vbt_curve(vbt: ModuleType, prices: Any, size: NDArray[np.float64], *, fee: float) -> Curve:
    portfolio = vbt.Portfolio.from_orders(
        prices,
        size,
        size_type="targetpercent",
        direction="longonly",
        fees=fee,
        init_cash=float(INITIAL),
        cash_sharing=True,
        group_by=True,
        call_seq="auto",  # sells before buys within a bar, as trimtab and bt do
    )
    return np.asarray(portfolio.value(), dtype=np.float64).ravel()


def month_starts(frame: PriceFrame) -> list[int]:
    """The bars bt's RunMonthly fires on: the first bar, then the first bar of each new month (never the
    last bar)."""
    months = frame.times.astype("datetime64[M]")
    changes = (np.flatnonzero(months[1:] != months[:-1]) + 1).tolist()
    return [0, *(b for b in changes if b != len(frame.times) - 1)]


# -- trimtab -------------------------------------------------------------------------------------------


def trimtab_curve(
    frame: PriceFrame, rebalancing: dict[str, Any] | None, fee: Decimal, slippage: Decimal = Decimal(0)
) -> tuple[Curve, list[int]]:
    """trimtab's equity curve and rebalance bars; ``rebalancing=None`` is buy-and-hold; ``slippage`` is
    the config's ``slippage_tolerance`` in percent."""
    config = workload_config(rebalancing, fee_rate=fee, slippage=slippage)
    if rebalancing is None:
        run = buy_and_hold(
            frame,
            weights=build_weights(config),
            planner=planner_settings(config),
            settings=settings_for(config),
        )
    else:
        run = backtest(frame, config)
    return run.equity, list(run.rebalance_bars)


# -- measuring -----------------------------------------------------------------------------------------


def measure(function: Callable[[], T], repeats: int) -> tuple[float, float, T]:
    """(first call's seconds, median of the next ``repeats``, the last result)."""
    began = time.perf_counter()
    result = function()
    first = time.perf_counter() - began
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return first, statistics.median(times), result


def relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def curve_gap(a: Curve, b: Curve) -> float:
    """Largest relative difference between two equity curves over every bar."""
    return float(np.max(np.abs(a - b) / np.abs(b)))


def verdict(gap: float) -> str:
    return "agree" if gap <= TOLERANCE else "DIFFER"


# -- the two parts -------------------------------------------------------------------------------------


def timings(frame: PriceFrame, bt: ModuleType | None, vbt: ModuleType | None, repeats: int) -> None:
    prices = to_pandas(frame) if bt or vbt else None
    fee = float(FEE)
    rows: dict[str, tuple[float, float, float] | None] = {}  # name -> first, median, final value

    def time_it(name: str, function: Callable[[], Curve]) -> None:
        first, median, curve = measure(function, repeats)
        rows[name] = (first, median, float(curve[-1]))
        print(
            f"  {name:<34} {median * 1000:9.1f} ms  (first call {first * 1000:8.1f} ms)  "
            f"final {curve[-1]:>12,.2f}"
        )

    print(
        f"\n1. time: {len(frame.assets)} assets x {len(frame.times):,} hourly bars, fee {FEE:%}, "
        f"median of {repeats} after a first call"
    )
    hybrid_run: list[list[int]] = []

    def hybrid() -> Curve:
        curve, bars = trimtab_curve(frame, HYBRID, FEE)
        hybrid_run[:] = [bars]
        return curve

    time_it("trimtab hybrid 5pt/24h", hybrid)
    time_it("trimtab monthly (calendar)", lambda: trimtab_curve(frame, MONTHLY, FEE)[0])
    time_it("trimtab buy-and-hold", lambda: trimtab_curve(frame, None, FEE)[0])
    if bt is not None:
        time_it("bt monthly (RunMonthly)", lambda: bt_curve(bt, prices, monthly=True, fee=fee))
        time_it("bt buy-and-hold (RunOnce)", lambda: bt_curve(bt, prices, monthly=False, fee=fee))
    else:
        print("  bt                                 skipped (not importable)")
    if vbt is not None:
        shape = (len(frame.times), len(frame.assets))
        hybrid_size = vbt_orders(shape, hybrid_run[0])
        monthly_size, hold_size = vbt_orders(shape, month_starts(frame)), vbt_orders(shape, [0])
        time_it("vectorbt on trimtab's hybrid bars", lambda: vbt_curve(vbt, prices, hybrid_size, fee=fee))
        time_it("vectorbt monthly", lambda: vbt_curve(vbt, prices, monthly_size, fee=fee))
        time_it("vectorbt buy-and-hold", lambda: vbt_curve(vbt, prices, hold_size, fee=fee))
    else:
        print("  vectorbt                           skipped (not importable)")

    print("  ratios (other engine's time / trimtab's; above 1 means trimtab is faster):")
    pairs = [
        ("bt monthly (RunMonthly)", "trimtab monthly (calendar)"),
        ("bt buy-and-hold (RunOnce)", "trimtab buy-and-hold"),
        ("vectorbt monthly", "trimtab monthly (calendar)"),
        ("vectorbt buy-and-hold", "trimtab buy-and-hold"),
        ("vectorbt on trimtab's hybrid bars", "trimtab hybrid 5pt/24h"),
    ]
    for other, ours in pairs:
        a, b = rows.get(other), rows.get(ours)
        if a and b:
            print(f"    {other:<34} / {ours:<27} = {a[1] / b[1]:8.2f}")
    print(
        "  final values with fees differ by design (each engine charges the fee its own way, see the docstring):"
    )
    for other, ours in pairs:
        a, b = rows.get(other), rows.get(ours)
        if a and b:
            print(f"    {other:<34} vs trimtab: {relative(a[2], b[2]):.2e} relative")


def agreement(bt: ModuleType | None, vbt: ModuleType | None) -> None:
    frame = load_price_frame().select(ASSETS, START, END)
    print(
        f"\n2. agreement WITHOUT fees, bundled daily closes, {len(frame.times)} bars "
        f"({frame.times[0]} .. {frame.times[-1]} closes), tolerance {TOLERANCE:g} relative"
    )
    prices = to_pandas(frame) if bt or vbt else None
    shape = (len(frame.times), len(frame.assets))
    starts = month_starts(frame)
    theirs: dict[tuple[str, bool], Curve] = {}  # (engine, monthly) -> curve, computed once
    runs = [
        (name, rebalancing, monthly, slippage)
        for slippage in SLIPPAGES
        for name, rebalancing, monthly in RUNS
    ]
    for name, rebalancing, monthly, slippage in runs:
        ours, bars = trimtab_curve(frame, rebalancing, Decimal(0), slippage)
        same_bars = bars == (starts if monthly else [0])
        print(
            f"  {name}, slippage_tolerance {slippage}: trimtab final {ours[-1]:,.6f}, {len(bars) - 1} rebalances "
            f"({'the same bars as' if same_bars else 'NOT the same bars as'} bt's RunMonthly/RunOnce)"
        )
        if bt is not None and ("bt", monthly) not in theirs:
            theirs["bt", monthly] = bt_curve(bt, prices, monthly=monthly, fee=0.0)
        if vbt is not None and ("vectorbt", monthly) not in theirs:
            size = vbt_orders(shape, starts if monthly else [0])
            theirs["vectorbt", monthly] = vbt_curve(vbt, prices, size, fee=0.0)
        others = [(label, curve) for (label, m), curve in theirs.items() if m == monthly]
        for label, curve in others:
            final_gap, gap = relative(float(ours[-1]), float(curve[-1])), curve_gap(ours, curve)
            print(
                f"    vs {label:<8}: final {curve[-1]:,.6f}  relative difference {final_gap:.2e} at the end, "
                f"{gap:.2e} max over the curve -> {verdict(max(final_gap, gap))}"
            )
        if not others:
            print("    nothing to compare with (bt and vectorbt skipped)")
    print("  with fee 0.1 % (information only: the fee models differ, see the docstring):")
    for name, rebalancing, monthly in (("buy-and-hold", None, False), ("monthly", MONTHLY, True)):
        ours, _ = trimtab_curve(frame, rebalancing, FEE)
        parts = [f"trimtab {ours[-1]:,.2f}"]
        if bt is not None:
            theirs = bt_curve(bt, prices, monthly=monthly, fee=float(FEE))[-1]
            parts.append(f"bt {theirs:,.2f} ({relative(float(ours[-1]), float(theirs)):.1e})")
        if vbt is not None:
            size = vbt_orders(shape, starts if monthly else [0])
            theirs = vbt_curve(vbt, prices, size, fee=float(FEE))[-1]
            parts.append(f"vectorbt {theirs:,.2f} ({relative(float(ours[-1]), float(theirs)):.1e})")
        print(f"    {name}: " + ", ".join(parts))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prices", type=Path, help="hourly wide CSV (default as bench_backtest.py)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per engine (median printed)")
    args = parser.parse_args(argv)

    print(
        f"compare_bt_vectorbt.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    bt, vbt = optional("bt"), optional("vectorbt")
    versions = [f"numpy {np.__version__}"]
    if bt or vbt:
        import pandas as pd

        versions.append(f"pandas {pd.__version__}")
    for name, module in (("bt", bt), ("vectorbt", vbt)):
        if module is not None:
            versions.append(f"{name} {getattr(module, '__version__', '?')}")
    print(", ".join(versions))
    path, where = resolve_prices(args.prices)
    print(where)
    frame, _ = load_workload(path)
    timings(frame, bt, vbt, args.repeats)
    agreement(bt, vbt)


if __name__ == "__main__":
    main()

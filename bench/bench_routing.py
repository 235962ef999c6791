"""Fees and tracking of three ways to rebalance, over generated portfolios (prints figures; asserts nothing).

Run: .venv/bin/python bench/bench_routing.py [--cases 200] [--seed 0] [--plan-repeats 51]

Every case is a generated portfolio (4 .. 20 assets, random targets and drifts, Binance-like lot steps
and minimums) on a fresh in-memory paper venue, rebalanced three times from the same start, each on its
own venue: by the seed's method, by trimtab's quote-only route (``routing: quote``) and by the cheapest
route (``routing: cheapest``). ``--cases`` portfolios are generated with cross pairs among their assets
and as many without. trimtab's two routes go through the real path (the live planner, the executor with
an in-memory journal, the paper venue's fill model), as the backtester does; the seed's method places
its orders on the same paper venue. See bench/README.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from routing_cases import (
    FEE_RATE,
    NOW,
    QUOTE,
    Case,
    generate,
    generate_returns,
    ideal_flow,
    snapshot_of,
    venue_of,
)

from trimtab.backtest.journal import MemoryJournal
from trimtab.errors import TrimtabError
from trimtab.execution.executor import ExecutionSettings, Executor
from trimtab.model.money import HUNDRED, ONE, ZERO, floor_to_step
from trimtab.model.orders import OrderRequest, OrderResult, Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.options import Routing
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.venues.paper import PaperVenue

#: The documented example's risk settings (examples/trimtab.yaml): min_trade_usd 20, orders split above
#: 20 % of the portfolio, limits 0.5 % from the last price.
PLANNER = PlannerSettings(Decimal(20), Decimal(20), Decimal("0.5"))
METHODS = ("seed", "quote", "cheapest")
TARGET_FEE_RATIO = Decimal("0.6")
TARGET_PLAN_MS = 50.0


# -- the three methods ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one rebalance did: its fills' fees (USDT), the worst |weight - target| after it (points),
    its orders, the cross-pair orders among them, and the plan's own estimate of fees (trimtab's)."""

    fees: Decimal
    worst_drift: Decimal
    orders: int
    cross_orders: int = 0
    cross_value: Decimal = ZERO
    traded_value: Decimal = ZERO
    estimated: Decimal | None = None
    quote_route_estimate: Decimal | None = None


async def _after(venue: PaperVenue, case: Case, results: Sequence[OrderResult]) -> Outcome:
    balances = await venue.fetch_balances()
    values = {
        a: (balances[a].total if a in balances else ZERO) * case.prices.get(a, ONE) for a in case.targets
    }
    total = sum(values.values(), ZERO)
    worst = max(abs(values[a] / total * HUNDRED - case.targets[a]) for a in case.targets)
    fees = ZERO
    traded = cross_value = ZERO
    cross = 0
    for result in results:
        quote = result.symbol.partition("/")[2]
        worth = ONE if quote == QUOTE else case.prices[quote]
        traded += result.cost * worth
        if quote != QUOTE and result.filled > 0:
            cross += 1
            cross_value += result.cost * worth
        for fill in result.fills:
            fees += fill.fee * (ONE if fill.fee_asset == QUOTE else case.prices[fill.fee_asset])
    filled = sum(1 for r in results if r.filled > 0)
    return Outcome(fees, worst, filled, cross, cross_value, traded)


async def seed_method(case: Case) -> Outcome:
    """The seed's rebalance: sell everything over target to the quote, then buy the under-target assets
    (largest gap first) with the cash, each buy sized naively (gap / price, no fee reserve) and capped
    at the cash left (its full limit value, which the venue locks), so it cannot overdraw. Orders
    below the market's minimum or ``min_trade_usd`` are skipped, as the seed skipped them."""
    venue = venue_of(case)
    snapshot = await snapshot_of(venue, case, crosses=False)
    value = {a: snapshot.value(a) for a in case.targets}
    total = sum(value.values(), ZERO)
    gaps = {a: case.targets[a] / HUNDRED * total - value[a] for a in case.targets if a != QUOTE}
    slip = PLANNER.slippage_percent / HUNDRED
    results: list[OrderResult] = []

    async def place(asset: str, side: Side, amount: Decimal, limit: Decimal) -> OrderResult | None:
        rules = snapshot.markets[asset]
        price = snapshot.prices[asset]
        if amount < rules.min_amount or amount * price < max(rules.min_notional, PLANNER.min_trade_value):
            return None
        limit = (
            floor_to_step(limit, rules.price_tick) if side is Side.SELL else _ceil(limit, rules.price_tick)
        )
        request = OrderRequest(f"{asset}/{QUOTE}", side, amount, limit, f"seed-{case.index}-{len(results)}")
        result = await venue.place_order(request)
        results.append(result)
        return result

    for asset, gap in sorted(gaps.items(), key=lambda item: item[1]):
        if gap < 0:
            amount = floor_to_step(
                min(-gap / snapshot.prices[asset], snapshot.free(asset)), snapshot.markets[asset].amount_step
            )
            await place(asset, Side.SELL, amount, snapshot.prices[asset] * (1 - slip))
    balances = await venue.fetch_balances()
    cash = balances[QUOTE].free if QUOTE in balances else ZERO
    for asset, gap in sorted(gaps.items(), key=lambda item: -item[1]):
        if gap <= 0:
            continue
        price, rules = snapshot.prices[asset], snapshot.markets[asset]
        limit = _ceil(price * (1 + slip), rules.price_tick)
        amount = floor_to_step(min(gap / price, cash / limit), rules.amount_step)
        result = await place(asset, Side.BUY, amount, limit)
        if result is not None:
            cash -= result.cost
    return await _after(venue, case, results)


def _ceil(value: Decimal, tick: Decimal) -> Decimal:
    return -floor_to_step(-value, tick) if tick > 0 else value


async def trimtab_method(case: Case, routing: Routing) -> Outcome:
    """trimtab's rebalance: the live planner's plan (``routing``), executed by the live executor on the
    paper venue, an in-memory journal in place of the ledger (as the backtester runs it)."""
    venue = venue_of(case)
    settings = replace(PLANNER, routing=routing)
    snapshot = await snapshot_of(venue, case, crosses=routing is Routing.CHEAPEST)
    plan = plan_rebalance(snapshot, case.targets, settings)
    executor = Executor(venue, MemoryJournal(), lambda: NOW, ExecutionSettings())
    execution = await executor.execute(
        run_id=case.index,
        run_started=NOW,
        plan=plan,
        snapshot=snapshot,
        targets=case.targets,
        settings=settings,
    )
    outcome = await _after(venue, case, execution.results)
    outcome.estimated = plan.estimated_fees
    outcome.quote_route_estimate = plan.quote_route_fees
    return outcome


# -- the figures ------------------------------------------------------------------------------------


@dataclass
class Tally:
    """The outcomes of one method over one group of cases, and the cases it failed on."""

    outcomes: list[Outcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def fees(self) -> Decimal:
        return sum((o.fees for o in self.outcomes), ZERO)


async def run_group(cases: Sequence[Case]) -> tuple[dict[str, Tally], list[str]]:
    """Every case by every method; the notes are the oddities seen (a cheapest route that paid more
    than the quote route on a case, a plan whose estimate is above the quote route's)."""
    tallies = {m: Tally() for m in METHODS}
    notes: list[str] = []
    runs: dict[str, Callable[[Case], Awaitable[Outcome]]] = {
        "seed": seed_method,
        "quote": lambda c: trimtab_method(c, Routing.QUOTE),
        "cheapest": lambda c: trimtab_method(c, Routing.CHEAPEST),
    }
    for case in cases:
        done: dict[str, Outcome] = {}
        for method in METHODS:
            try:
                outcome = await runs[method](case)
            except (TrimtabError, ValueError, ArithmeticError) as error:
                tallies[method].failures.append(
                    f"case {case.index} ({len(case.prices)} assets): {type(error).__name__}: {error}"
                )
                continue
            tallies[method].outcomes.append(outcome)
            done[method] = outcome
        quote, cheapest = done.get("quote"), done.get("cheapest")
        if quote is not None and cheapest is not None:
            if cheapest.fees > quote.fees * Decimal("1.001") + Decimal("0.01"):
                notes.append(
                    f"case {case.index}: cheapest paid {cheapest.fees:.2f} USDT in fees, the quote route "
                    f"{quote.fees:.2f} ({cheapest.cross_orders} cross orders)"
                )
            if cheapest.worst_drift > quote.worst_drift + Decimal("0.25"):
                notes.append(
                    f"case {case.index}: cheapest ends {cheapest.worst_drift:.2f} points off, the quote route "
                    f"{quote.worst_drift:.2f}"
                )
            estimate, bound = cheapest.estimated, cheapest.quote_route_estimate
            if estimate is not None and bound is not None and estimate > bound:
                notes.append(
                    f"case {case.index}: plan estimate {estimate:.2f} > quote route estimate {bound:.2f}"
                )
    return tallies, notes


def print_group(name: str, cases: Sequence[Case], tallies: Mapping[str, Tally]) -> None:
    seed_fees = tallies["seed"].fees
    print(f"\n{name}: {len(cases)} rebalances")
    print(
        f"  {'method':<9} {'ran':>4} {'fees USDT':>12} {'vs seed':>8} {'worst drift':>12} {'mean worst':>11} {'orders':>7} {'cross':>6} {'cross value':>12}"
    )
    for method in METHODS:
        tally = tallies[method]
        outcomes = tally.outcomes
        if not outcomes:
            print(f"  {method:<9} {0:>4}   (every case failed)")
            _print_failures(tally.failures)
            continue
        ratio = f"{tally.fees / seed_fees:.3f}x" if seed_fees else "-"
        worst = max(o.worst_drift for o in outcomes)
        mean = statistics.fmean(float(o.worst_drift) for o in outcomes)
        orders = sum(o.orders for o in outcomes)
        cross = sum(o.cross_orders for o in outcomes)
        traded = sum((o.traded_value for o in outcomes), ZERO)
        cross_share = sum((o.cross_value for o in outcomes), ZERO) / traded * HUNDRED if traded else ZERO
        print(
            f"  {method:<9} {len(outcomes):>4} {tally.fees:>12,.2f} {ratio:>8} {worst:>10.3f} pt "
            f"{mean:>8.3f} pt {orders:>7} {cross:>6} {cross_share:>10.1f} %"
        )
        _print_failures(tally.failures)
    quote_only = sum(ideal_flow(c, crosses=False) for c in cases)
    routed = sum(ideal_flow(c, crosses=True) for c in cases)
    print(
        f"  ideal flow (continuous, no minimums): quote-only {quote_only:,.0f} USDT traded, over the pairs "
        f"{routed:,.0f}: {routed / quote_only:.3f}x"
        if quote_only
        else "  ideal flow: nothing to trade"
    )


def _print_failures(failures: Sequence[str]) -> None:
    for failure in failures[:3]:
        print(f"      failed: {failure}")
    if len(failures) > 3:
        print(f"      ... {len(failures) - 3} more failures")


def plan_times(case: Case, repeats: int, label: str) -> dict[str, list[float]]:
    """Milliseconds per ``plan_rebalance`` of one 50-asset portfolio with cross pairs, by route."""
    times: dict[str, list[float]] = {}

    async def snapshots() -> tuple[Snapshot, Snapshot]:
        venue = venue_of(case)
        return await snapshot_of(venue, case, crosses=False), await snapshot_of(venue, case, crosses=True)

    plain, crossed = asyncio.run(snapshots())
    print(
        f"\nplanning: 50 assets + {QUOTE} ({label}), {len(crossed.pairs)} cross pairs, median of {repeats} "
        "(after one warm-up)"
    )
    for routing, snapshot in ((Routing.QUOTE, plain), (Routing.CHEAPEST, crossed)):
        settings = replace(PLANNER, routing=routing)
        try:
            plan = plan_rebalance(snapshot, case.targets, settings)
        except (TrimtabError, ValueError, ArithmeticError) as error:
            print(f"  {routing.value:<9} failed: {type(error).__name__}: {error}")
            continue
        elapsed = []
        for _ in range(repeats):
            began = time.perf_counter()
            plan = plan_rebalance(snapshot, case.targets, settings)
            elapsed.append((time.perf_counter() - began) * 1000)
        times[routing.value] = elapsed
        cross = sum(1 for o in plan.orders if not o.symbol.endswith(f"/{QUOTE}"))
        print(
            f"  {routing.value:<9} {statistics.median(elapsed):8.2f} ms median (min {min(elapsed):.2f}, max "
            f"{max(elapsed):.2f}); {len(plan.orders)} orders, {cross} on cross pairs"
        )
    return times


def fee_verdict(name: str, tallies: Mapping[str, Tally]) -> str:
    """Whether the cheapest route meets "at most 0.6x the seed's fees with no worse tracking" on a group.
    Tracking is no worse when neither the worst nor the mean per-rebalance worst drift is above the seed's."""
    seed, cheap = tallies["seed"], tallies["cheapest"]
    if not seed.fees or not cheap.outcomes or not seed.outcomes:
        return f"  {name}: no figures"
    ratio = cheap.fees / seed.fees
    worst = {m: max(o.worst_drift for o in tallies[m].outcomes) for m in ("seed", "cheapest")}
    mean = {
        m: statistics.fmean(float(o.worst_drift) for o in tallies[m].outcomes) for m in ("seed", "cheapest")
    }
    fees_ok = ratio <= TARGET_FEE_RATIO
    tracking_ok = worst["cheapest"] <= worst["seed"] and mean["cheapest"] <= mean["seed"]
    return (
        f"  {name + ':':<28} {ratio:.3f}x the seed's fees ({'within' if fees_ok else 'above'} "
        f"{TARGET_FEE_RATIO}x); tracking {'no worse' if tracking_ok else 'WORSE'} (worst {worst['cheapest']:.3f} "
        f"vs {worst['seed']:.3f}, mean {mean['cheapest']:.3f} vs {mean['seed']:.3f} points) -> "
        f"{'meets it' if fees_ok and tracking_ok else 'misses it'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=200, help="portfolios per group (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plan-repeats", type=int, default=51)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    groups = {
        "random drifts, cross pairs": [generate(rng, i, crosses=True) for i in range(args.cases)],
        "random drifts, every pair": [
            generate(rng, 2 * args.cases + i, crosses=True, every_pair=True) for i in range(args.cases)
        ],
        "random drifts, no cross pairs": [
            generate(rng, args.cases + i, crosses=False) for i in range(args.cases)
        ],
    }
    returns_rng = random.Random(args.seed + 1)  # its own stream: the other groups stay as they were
    groups["market returns, Binance pairs"] = [
        generate_returns(returns_rng, 3 * args.cases + i) for i in range(args.cases)
    ]
    print(
        f"fee {FEE_RATE * 100} % in the asset received, fills at the last price; min_trade_usd "
        f"{PLANNER.min_trade_value}, max_single_trade_percent {PLANNER.max_trade_percent}, slippage_tolerance "
        f"{PLANNER.slippage_percent} %; seed {args.seed}"
    )
    for name, cases in groups.items():
        pairs = [len(c.pairs) for c in cases]
        print(
            f"  {name}: cross pairs per case {min(pairs)} .. {max(pairs)} (median {statistics.median(pairs):g})"
        )
    results: dict[str, dict[str, Tally]] = {}
    began = time.perf_counter()
    for name, cases in groups.items():
        tallies, notes = asyncio.run(run_group(cases))
        results[name] = tallies
        print_group(name, cases, tallies)
        for note in notes[:10]:
            print(f"    note: {note}")
        if len(notes) > 10:
            print(f"    ... {len(notes) - 10} more notes")
    print(
        f"\n({time.perf_counter() - began:.0f} s for {sum(len(c) for c in groups.values()) * len(METHODS)} rebalances)"
    )
    times = plan_times(
        generate(rng, -1, crosses=True, size=50), args.plan_repeats, "random drifts, cross pairs"
    )
    plan_times(generate(rng, -2, crosses=True, every_pair=True, size=50), args.plan_repeats, "every pair")
    binance = plan_times(
        # a million USDT: most of its 50 drifts clear min_trade_usd, so the plan has something to route
        generate_returns(returns_rng, -3, size=50, value=1_000_000),
        args.plan_repeats,
        "market returns, Binance pairs, 1M USDT",
    )
    print(f"\ntarget: cheapest <= {TARGET_FEE_RATIO}x the seed's fees with no worse tracking")
    for name, tallies in results.items():
        print(fee_verdict(name, tallies))
    print(f"target: planning 50 assets with cross pairs < {TARGET_PLAN_MS:g} ms")
    for label, timed in (
        ("random drifts, cross pairs", times),
        ("market returns, Binance pairs, 1M", binance),
    ):
        if Routing.CHEAPEST.value in timed:
            median = statistics.median(timed[Routing.CHEAPEST.value])
            verdict = "meets it" if median < TARGET_PLAN_MS else "misses it"
            print(f"  {label + ':':<36} {median:.2f} ms median, {verdict}")


if __name__ == "__main__":
    main()

"""The backtest engine: documented semantics, the same trades as the live bot, honest fees."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from configs import yaml_config

from trimtab.app.assembly import build_bot
from trimtab.backtest.data import PriceFrame, load_price_frame, parse_price_frame
from trimtab.backtest.engine import BacktestSettings, buy_and_hold, run_backtest
from trimtab.config import load_config
from trimtab.planning.planner import PlannerSettings
from trimtab.policy import CalendarPolicy, Interval, Policy, ThresholdPolicy
from trimtab.policy.base import Decision
from trimtab.pricedata import bundled_history
from trimtab.weights import StaticWeights

D = Decimal
HALF_HALF = StaticWeights({"AAA": D(50), "USDT": D(50)})
NO_LIMITS = PlannerSettings(min_trade_value=D(0), max_trade_percent=D(100), slippage_percent=D("0.5"))


def frame(prices: list[float]) -> PriceFrame:
    """One asset, AAA, over consecutive days from 2024-01-01."""
    rows = ["date,AAA"] + [f"{date(2024, 1, 1) + timedelta(days=i)},{p}" for i, p in enumerate(prices)]
    return parse_price_frame("\n".join(rows) + "\n", "test.csv")


def test_buy_and_hold_without_fees_follows_the_prices_exactly() -> None:
    # 10,000 at 50/50: 5,000 cash + 50 AAA bought at 100; then AAA goes to 200 and 50.
    run = buy_and_hold(
        frame([100, 200, 50]), weights=HALF_HALF, planner=NO_LIMITS, settings=BacktestSettings(fee_rate=D(0))
    )
    assert run.equity.tolist() == pytest.approx([10000, 15000, 7500])
    assert run.rebalance_bars == (0,)
    assert run.weights[1].tolist() == pytest.approx([10000 / 15000, 5000 / 15000])


def test_daily_rebalancing_harvests_shannons_demon() -> None:
    # AAA doubles and halves; rebalanced to 50/50 every close, the portfolio grows x1.5 then x0.75 per pair
    # of days: 10,000 -> 15,000 -> 11,250 -> 16,875 -> 12,656.25, while buy-and-hold returns to 10,000.
    prices = [100, 200, 100, 200, 100]
    daily = CalendarPolicy(Interval.DAILY)
    run = run_backtest(
        frame(prices),
        policy=daily,
        weights=HALF_HALF,
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D(0)),
    )
    hold = buy_and_hold(
        frame(prices), weights=HALF_HALF, planner=NO_LIMITS, settings=BacktestSettings(fee_rate=D(0))
    )
    assert run.equity.tolist() == pytest.approx([10000, 15000, 11250, 16875, 12656.25])
    assert hold.equity[-1] == pytest.approx(10000)
    assert run.rebalance_bars == (0, 1, 2, 3, 4)


def test_fees_are_charged_on_every_fill() -> None:
    run = run_backtest(
        frame([100, 200, 100]),
        policy=CalendarPolicy(Interval.DAILY),
        weights=HALF_HALF,
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D("0.001")),
    )
    traded = sum((t.value for t in run.trades), D(0))
    assert run.fees_value == pytest.approx(float(traded) * 0.001, rel=1e-9)
    no_fee = run_backtest(
        frame([100, 200, 100]),
        policy=CalendarPolicy(Interval.DAILY),
        weights=HALF_HALF,
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D(0)),
    )
    assert run.equity[-1] < no_fee.equity[-1]


def test_threshold_trades_only_past_the_band() -> None:
    # 50/50 with a 10-point band: AAA +10% moves the weight to 52.4% (no trade), +50% to 60% (trade).
    run = run_backtest(
        frame([100, 110, 150, 150]),
        policy=ThresholdPolicy(D(10), check_interval=timedelta(days=1)),
        weights=HALF_HALF,
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D(0)),
    )
    assert run.rebalance_bars == (0, 2)
    assert run.weights[2].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)


def test_market_rules_floor_amounts_to_the_lot_step() -> None:
    bundled = load_price_frame().select(["BTC"], date(2024, 1, 2), date(2024, 1, 10))
    weights = StaticWeights({"BTC": D(50), "USDT": D(50)})
    run = run_backtest(
        bundled,
        policy=CalendarPolicy(Interval.DAILY),
        weights=weights,
        planner=NO_LIMITS,
        settings=BacktestSettings(market_rules=True),
    )
    assert run.trades
    assert all(t.amount % D("0.00001") == 0 for t in run.trades)


def paper_day(day: date) -> str:
    """The seed portfolio from 10,000 USDT on the paper venue, priced at the closes of ``day``."""
    return yaml_config(
        rebalancing={"strategy": "threshold", "threshold_percent": 2, "min_trade_usd": 10},
        risk={"max_single_trade_percent": 100, "slippage_tolerance": 0.5},
        exchange={
            "name": "paper",
            "balances": {"USDT": 10000},
            "prices": day.isoformat(),
            "fee_rate": "0.001",
        },
    )


def test_a_paper_run_replayed_day_by_day_makes_the_same_trades(write_config: Callable[..., Path]) -> None:
    first, last = date(2024, 2, 1), date(2024, 5, 31)
    # The live bot: one paper account, a rebalance check at each daily close, prices of that day.
    live: list[tuple[str, str, str, Decimal, Decimal]] = []

    async def check(path: Path, close_time: datetime) -> None:
        bot = build_bot(load_config(path), path, clock=lambda: close_time)
        outcome = await bot.rebalance()
        await bot.close()
        day = close_time.date().isoformat()
        live.extend(
            (day, r.symbol, r.side.value, f.amount, f.price) for r in outcome.results for f in r.fills
        )

    day = first
    while day <= last:
        path = write_config(paper_day(day))
        asyncio.run(check(path, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)))
        day += timedelta(days=1)
    # The backtest of the same config over the same closes.
    config = load_config(path)
    from trimtab.config.strategy import build_policy, build_weights, planner_settings

    bundled = load_price_frame().select(
        ["BTC", "ETH", "SOL", "BNB"], first + timedelta(days=1), last + timedelta(days=1)
    )
    run = run_backtest(
        bundled,
        policy=build_policy(config),
        weights=build_weights(config),
        planner=planner_settings(config),
        settings=BacktestSettings(fee_rate=D("0.001"), market_rules=True),
    )
    replayed = [(t.time.date().isoformat(), t.symbol, t.side.value, t.amount, t.price) for t in run.trades]
    assert len(run.rebalance_bars) > 2, "the period has rebalances besides the first purchase"
    assert replayed == live
    assert np.isfinite(run.equity).all()


def test_inverse_volatility_looks_back_into_the_history_before_the_start() -> None:
    from trimtab.errors import PlanningError
    from trimtab.weights import InverseVolatility

    whole = load_price_frame()
    period = whole.select(["BTC", "ETH"], date(2024, 3, 1), date(2024, 6, 30))
    risk_parity = InverseVolatility(("BTC", "ETH"), 30, cash_asset="USDT", cash_weight=D(10))
    monthly = CalendarPolicy(Interval.MONTHLY)
    run = run_backtest(
        period,
        policy=monthly,
        weights=risk_parity,
        planner=NO_LIMITS,
        settings=BacktestSettings(),
        history=whole,
    )
    # the purchase at the 2024-03-01 close, then the closes ending April, May and June 1st
    assert run.rebalance_bars == (0, 31, 61, 92)
    # right after every rebalance the weights are the risk-parity targets of the 31 closes up to that bar
    history = bundled_history()
    for bar in run.rebalance_bars:
        day = run.times[bar].astype("datetime64[D]").astype(object) - timedelta(
            days=1
        )  # the candle's own date
        expected = risk_parity.targets({a: history.history(a, day, 31) for a in ("BTC", "ETH")})
        assert run.weights[bar][0] == pytest.approx(float(expected["BTC"]) / 100, abs=2e-3)
        assert run.weights[bar][1] == pytest.approx(float(expected["ETH"]) / 100, abs=2e-3)
    with pytest.raises(PlanningError, match="needs 31 daily closes"):
        run_backtest(
            period, policy=monthly, weights=risk_parity, planner=NO_LIMITS, settings=BacktestSettings()
        )


def test_every_bar_is_marked_with_the_holdings_of_the_last_rebalance_before_it() -> None:
    # The holdings are turned into floats once per rebalance (for the screen and the equity curve); the
    # curve must still follow every rebalance. Rebuilt here from the fills alone.
    prices = [100, 120, 90, 150, 80, 110, 111, 60]
    run = run_backtest(
        frame(prices),
        policy=ThresholdPolicy(D(5), check_interval=timedelta(days=1)),
        weights=HALF_HALF,
        planner=NO_LIMITS,
        settings=BacktestSettings(fee_rate=D("0.001")),
    )
    assert len(run.rebalance_bars) > 3
    held, cash, expected = D(0), D(10000), []
    for bar, price in enumerate(prices):
        for trade in (t for t in run.trades if t.time == run.trades[0].time + timedelta(days=bar)):
            fee_in_aaa = trade.fee if trade.fee_asset == "AAA" else D(0)
            fee_in_cash = trade.fee - fee_in_aaa
            if trade.side.value == "buy":
                held, cash = held + trade.amount - fee_in_aaa, cash - trade.value
            else:
                held, cash = held - trade.amount, cash + trade.value - fee_in_cash
        expected.append(float(held) * price + float(cash))
    assert run.equity.tolist() == pytest.approx(expected, rel=1e-12)


def test_a_backtest_leaves_the_garbage_collector_as_it_found_it() -> None:
    # The collector is paused during a replay (it only slows it down) and must come back afterwards,
    # also when the replay fails, and stay off for a caller who had turned it off.
    class Failing(CalendarPolicy):
        def decide(self, *args: object, **kwargs: object) -> Decision:
            raise RuntimeError("the policy failed")

    def replay(policy: Policy) -> None:
        run_backtest(
            frame([100, 200, 100]),
            policy=policy,
            weights=HALF_HALF,
            planner=NO_LIMITS,
            settings=BacktestSettings(),
        )

    assert gc.isenabled()
    replay(CalendarPolicy(Interval.DAILY))
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="the policy failed"):
        replay(Failing(Interval.DAILY))
    assert gc.isenabled()
    gc.disable()
    try:
        replay(CalendarPolicy(Interval.DAILY))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_replay_that_waits_fails_at_once_instead_of_hanging_without_an_event_loop() -> None:
    """A replay is stepped without an event loop (nothing in it waits); one that did wait is a bug."""
    from trimtab.backtest.engine import _complete  # the runner itself: no public replay waits

    class Pending:
        def __await__(self):  # type: ignore[no-untyped-def]
            yield "a pending future"

    async def waits() -> None:
        await asyncio.sleep(0)  # a bare yield, as the paper venue's answer_later: stepped over
        await Pending()

    gc_was = gc.isenabled()
    with pytest.raises(RuntimeError, match="waited for 'a pending future'"):
        _complete(waits())  # type: ignore[arg-type]
    assert gc.isenabled() == gc_was

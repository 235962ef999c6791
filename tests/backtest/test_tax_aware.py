"""The backtest's tax-aware hook on its own: deferral of sells whose lots are about to turn tax-free
(Germany) or long-term (US), fed by backtest fills, incrementally."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import groupby
from pathlib import Path

import pytest
from configs import MONTHLY, yaml_config

from trimtab.backtest.data import load_price_frame
from trimtab.backtest.engine import Trade
from trimtab.backtest.study import run_study
from trimtab.backtest.tax import trade_events
from trimtab.backtest.tax_aware import TaxAwareReplay
from trimtab.config import load_config
from trimtab.config.tax_section import Jurisdiction, TaxSection
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot, current_weights
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.tax.deferral import Deferral
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.rates import RateTable

D = Decimal
HUNDRED = D(100)
PLANNER = PlannerSettings(min_trade_value=D(0), max_trade_percent=D(100), slippage_percent=D("0.5"))
BOUGHT = datetime(
    2024, 1, 10, tzinfo=UTC
)  # Berlin 2024-01-10: taxable through 2025-01-10, tax-free from 01-11


def replay(jurisdiction: Jurisdiction = "de", bought_at: Decimal = HUNDRED) -> TaxAwareReplay:
    """A replay that bought 1 BTC at ``bought_at`` on BOUGHT (and holds 100 USDT)."""
    tax = TaxAwareReplay(TaxRules.defaults(jurisdiction), defer_days=30, hard_band=D(10))
    tax.record([Trade(BOUGHT, "BTC/USDT", Side.BUY, D(1), bought_at, D(0), "BTC")], {"BTC": bought_at})
    return tax


def snapshot(when: datetime) -> Snapshot:
    """1 BTC at 200 and 100 USDT: BTC is 66.67% of the portfolio."""
    return Snapshot(
        "USDT",
        {"BTC": Balance(D(1), D(1)), "USDT": Balance(D(100), D(100))},
        {"BTC": D(200)},
        {"BTC": MarketRules("BTC", "USDT", D("1e-8"), D(0), D(0))},
        D(0),
        when,
    )


def decide(
    tax: TaxAwareReplay, when: datetime, targets: dict[str, Decimal]
) -> tuple[dict[str, Decimal], tuple[Deferral, ...]]:
    snap = snapshot(when)
    weights = current_weights(snap, ["BTC", "USDT"])
    plan = plan_rebalance(snap, targets, PLANNER)
    assert plan.sells  # every case here starts from a plan that sells BTC
    return tax.targets(snap, weights, targets, plan)


def test_a_german_lot_turning_tax_free_soon_with_drift_inside_the_band_is_deferred() -> None:
    # 20 Dec 2024: the lot turns tax-free on 11 Jan 2025, within 30 days; BTC is 66.67% against 60
    # (6.67 points, inside the 10-point hard band), with a gain of 100 a coin: the sell waits, and BTC
    # is pinned at its weight, so the re-plan sells nothing.
    tax = replay()
    when = datetime(2024, 12, 20, 12, tzinfo=UTC)
    targets, deferred = decide(tax, when, {"BTC": D(60), "USDT": D(40)})
    assert [(d.asset, d.until) for d in deferred] == [("BTC", date(2025, 1, 11))]
    assert targets["BTC"] == current_weights(snapshot(when), ["BTC", "USDT"])["BTC"]
    assert not plan_rebalance(snapshot(when), targets, PLANNER).sells
    assert tax.deferred == list(deferred)


def test_outside_the_hard_band_the_sell_goes_ahead() -> None:
    # Against 50/50 BTC is 16.67 points over: beyond the 10-point band, risk matters more than tax.
    targets = {"BTC": D(50), "USDT": D(50)}
    assert decide(replay(), datetime(2024, 12, 20, 12, tzinfo=UTC), targets) == (targets, ())


def test_a_lot_turning_tax_free_beyond_defer_days_is_not_deferred() -> None:
    # 1 Nov 2024: 71 days before the lot turns tax-free, more than the 30 defer_days.
    targets = {"BTC": D(60), "USDT": D(40)}
    assert decide(replay(), datetime(2024, 11, 1, 12, tzinfo=UTC), targets) == (targets, ())


def test_a_lot_at_a_loss_is_not_deferred() -> None:
    # Bought at 300, now 200: selling realizes a loss, which waiting would only make worthless.
    targets = {"BTC": D(60), "USDT": D(40)}
    assert decide(replay(bought_at=D(300)), datetime(2024, 12, 20, 12, tzinfo=UTC), targets) == (targets, ())


def test_once_the_lot_is_tax_free_it_is_sold() -> None:
    tax = replay()
    targets = {"BTC": D(60), "USDT": D(40)}
    assert decide(tax, datetime(2024, 12, 20, 12, tzinfo=UTC), targets)[1]  # deferred before
    matured = datetime(2025, 1, 11, 12, tzinfo=UTC)  # Berlin 11 Jan 2025: tax-free from today
    assert decide(tax, matured, targets) == (targets, ())
    # The engine sells as planned and feeds the fill back: the book gives up the lot's units.
    sold = plan_rebalance(snapshot(matured), targets, PLANNER).sells[0].amount
    tax.record([Trade(matured, "BTC/USDT", Side.SELL, sold, D(200), D(0), "USDT")], {"BTC": D(200)})
    assert tax.book.held("BTC", "backtest") == 1 - sold


def test_a_us_lot_turning_long_term_soon_is_deferred() -> None:
    # New York: bought 9 Jan 2024 (19:00 local), long-term from 10 Jan 2025.
    _, deferred = decide(replay("us"), datetime(2024, 12, 20, 12, tzinfo=UTC), {"BTC": D(60), "USDT": D(40)})
    assert [(d.asset, d.until) for d in deferred] == [("BTC", date(2025, 1, 10))]


def test_the_uk_defers_nothing() -> None:
    targets = {"BTC": D(60), "USDT": D(40)}
    assert decide(replay("uk"), datetime(2024, 12, 20, 12, tzinfo=UTC), targets) == (targets, ())


def test_from_section_takes_defer_days_and_the_hard_band() -> None:
    section = TaxSection(jurisdiction="de", defer_days=10)
    tax = TaxAwareReplay.from_section(section, threshold_percent=D(5))
    assert (tax.rules.jurisdiction, tax.defer_days, tax.hard_band) == ("de", 10, D(10))


@pytest.mark.parametrize("jurisdiction", ["us", "de"])
def test_the_incremental_book_is_the_book_of_the_whole_history(
    write_config: Callable[..., Path], jurisdiction: Jurisdiction
) -> None:
    # Fed one rebalance at a time, the book holds exactly the lots the jurisdiction's report leaves
    # after the whole history (US min-tax lot order, German FIFO), fees in the coin included.
    config = load_config(
        write_config(
            yaml_config(
                weights={"BTC": 50, "ETH": 40, "USDT": 10}, rebalancing=MONTHLY, data_dir=None, exchange=None
            )
        )
    )
    run = run_study(
        config, load_price_frame(), source="bundled", start=date(2023, 1, 1), end=date(2024, 12, 31)
    )
    trades = run.strategy.trades
    rules = TaxRules.defaults(jurisdiction)
    tax = TaxAwareReplay(rules)
    for _, rebalance in groupby(trades, key=lambda t: t.time):
        tax.record(list(rebalance), {})
    whole = rules.book(trade_events(trades, rules.currency, RateTable.identity()), trades[-1].time)
    assert whole is not None
    assert tax.book.open_lots() == whole.open_lots()
    assert len(whole.open_lots()) > 2


def test_the_engine_never_sells_a_young_german_gain_when_everything_may_wait(tmp_path: Path) -> None:
    """Wired into the engine with a window of a year and a band of 100 points, every sell of a lot
    with a gain held one year or less waits: the German report of the run has no taxable gain (sales at
    a loss, and the tiny fee disposals at cost, remain). The naive run of the same config has many."""
    path = tmp_path / "trimtab.yaml"
    path.write_text(
        "portfolio: {target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}}\n"
        "rebalancing: {strategy: calendar, schedule: {interval: monthly, day: 1}, min_trade_usd: 10}\n"
        "tax: {jurisdiction: de, defer_days: 366, hard_band_percent: 100}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.tax is not None
    frame = load_price_frame()

    def taxable_gains(deferral: TaxAwareReplay | None) -> list[Decimal]:
        run = run_study(
            config, frame, source="bundled", start=date(2023, 1, 1), end=date(2024, 12, 31), deferral=deferral
        )
        events = trade_events(run.strategy.trades, "EUR", RateTable.identity(), {})
        rules = TaxRules.defaults("de")
        rows = [row for year in (2023, 2024) for row in rules.report(events, year).disposals]
        return [row.gain for row in rows if row.taxable and row.gain > D("0.01")]

    aware = TaxAwareReplay.from_section(config.tax, threshold_percent=None)
    assert taxable_gains(aware) == []
    assert aware.deferred  # it had something to wait for
    assert len(taxable_gains(None)) > 10

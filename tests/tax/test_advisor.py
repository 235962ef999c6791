"""TaxAdvisor: the live planner's plan with the lots it uses, its estimated tax, and deferred sells.

The portfolio of every test: 0.2 BTC at 60,000, 2 ETH at 3,000 and 1,000 USDT (V = 19,000) against
targets BTC 50, ETH 40, USDT 10. BTC is 63.16 % (13.16 points over): the planner sells
2,500 / 60,000 = 0.041666 floored to 0.04166 BTC and buys ETH.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.portfolio import Balance, Snapshot, current_weights
from trimtab.planning.planner import PlannerSettings
from trimtab.tax.advisor import TaxAdvice, TaxAdvisor
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.rates import RateTable
from trimtab.tax.us import US_ZONE

D = Decimal
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
TARGETS = {"BTC": D(50), "ETH": D(40), "USDT": D(10)}
SETTINGS = PlannerSettings(min_trade_value=D(10), max_trade_percent=D(100), slippage_percent=D("0.5"))


def snapshot() -> Snapshot:
    def rules(asset: str) -> MarketRules:
        return MarketRules(asset, "USDT", D("0.00001"), D(0), D(5), D("0.01"))

    balances = {"BTC": D("0.2"), "ETH": D(2), "USDT": D(1000)}
    return Snapshot(
        "USDT",
        {asset: Balance(amount, amount) for asset, amount in balances.items()},
        {"BTC": D(60000), "ETH": D(3000)},
        {"BTC": rules("BTC"), "ETH": rules("ETH")},
        D("0.001"),
        NOW,
    )


def buy(when: str, asset: str, amount: str, price: str) -> TaxEvent:
    return TaxEvent(
        datetime.fromisoformat(when).replace(tzinfo=UTC), "paper", EventType.BUY, asset, D(amount), D(price)
    )


def advise(
    rules: TaxRules, history: list[TaxEvent], *, defer_days: int = 30, hard_band: str = "10"
) -> TaxAdvice:
    advisor = TaxAdvisor(
        rules, wallet="paper", defer_days=defer_days, hard_band=D(hard_band), rates=RateTable.identity()
    )
    view = snapshot()
    weights = current_weights(view, ["BTC", "ETH", "USDT"])
    return advisor.advise(view, weights, TARGETS, SETTINGS, history)


US_HISTORY = [
    buy("2025-10-01T12:00:00", "BTC", "0.1", "30000"),  # long-term from 2 Oct 2026: a gain at 60,000
    buy("2025-12-20T12:00:00", "BTC", "0.1", "70000"),  # short-term: a loss at 60,000
    buy("2026-01-10T12:00:00", "ETH", "2", "2000"),
]


def test_us_min_tax_sells_the_short_term_loss_lot_first() -> None:
    advice = advise(TaxRules.defaults("us"), US_HISTORY)
    assert next((o.side.value, o.asset, o.amount) for o in advice.plan.orders) == (
        "sell",
        "BTC",
        D("0.04166"),
    )
    assert advice.estimate is not None
    [row] = advice.estimate.disposals
    # Proceeds 0.04166 x 60,000 = 2,499.60 less the 0.1 % fee = 2,497.1004; cost 0.04166 x 70,000 =
    # 2,916.20 from lot 2: a short-term loss of 419.0996, saving 24 % of it.
    assert (row.lot_ids, row.proceeds, row.cost, row.term.value if row.term else None) == (
        ("2",),
        D("2497.1004"),
        D("2916.20"),
        "short",
    )
    assert advice.estimate.tax == D("-100.583904")
    assert advice.deferred == ()
    assert advice.targets == TARGETS
    assert "min-tax" in advice.note


def test_us_fifo_sells_the_old_gain_lot() -> None:
    rules = TaxRules("us", method="fifo", zone=US_ZONE)
    advice = advise(rules, US_HISTORY)
    assert advice.estimate is not None
    [row] = advice.estimate.disposals
    # Lot 1: cost 0.04166 x 30,000 = 1,249.80, gain 2,497.1004 - 1,249.80 = 1,247.3004, long-term at 15 %.
    assert (row.lot_ids, row.gain) == (("1",), D("1247.3004"))
    assert advice.estimate.tax == D("187.09506")


def test_germany_defers_a_sell_about_to_turn_tax_free() -> None:
    history = [
        buy("2025-12-01T12:00:00", "BTC", "0.2", "30000"),
        buy("2026-01-10T12:00:00", "ETH", "2", "2000"),
    ]
    # BTC bought 1 Dec 2025 is tax-free from 2 Dec 2026, 8 days away; drift 13.16 is inside a 15-point band.
    advice = advise(TaxRules.defaults("de"), history, hard_band="15")
    [deferral] = advice.deferred
    assert (deferral.asset, deferral.until) == ("BTC", date(2026, 12, 2))
    # BTC keeps its 63.16 %; ETH (8.42 under) and USDT (4.74 under) give up all 13.16 points, so nothing
    # else is off: no orders, no tax, and no dust in the skipped list.
    assert advice.plan.orders == ()
    assert advice.plan.skipped == ()
    assert advice.targets["BTC"] > 63
    assert advice.estimate is not None
    assert advice.estimate.tax == 0
    assert "FIFO within a wallet" in advice.note


def test_germany_sells_when_the_drift_is_beyond_the_hard_band() -> None:
    history = [
        buy("2025-12-01T12:00:00", "BTC", "0.2", "30000"),
        buy("2026-01-10T12:00:00", "ETH", "2", "2000"),
    ]
    advice = advise(TaxRules.defaults("de"), history, hard_band="13")
    assert advice.deferred == ()
    assert advice.plan.sells[0].asset == "BTC"
    assert advice.estimate is not None
    # 2,497.1004 - 0.04166 x 30,000 = 1,247.3004 taxable, above the 1,000 Freigrenze: 42 % of it.
    assert advice.estimate.tax == D("523.866168")


def test_without_the_lots_in_the_history_there_is_no_estimate() -> None:
    advice = advise(TaxRules.defaults("us"), [buy("2026-01-10T12:00:00", "ETH", "2", "2000")])
    assert advice.estimate is None
    assert advice.missing == {"BTC": D("0.04166")}
    assert advice.plan.sells  # the rebalance itself still goes ahead

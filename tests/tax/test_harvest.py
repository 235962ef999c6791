"""Tax-loss harvesting candidates (find_harvest) and the sells a harvest run places (harvest_plan).

Every test harvests on 24 Nov 2026 at a 0.1 % fee. Money is in the report currency; every figure is
worked by hand in the comments. Rates are the defaults: US 24 % short-term, 15 % long-term; Germany
42 %; UK 24 %.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from trimtab.config.tax_section import TaxSection
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.planner import PlannerSettings
from trimtab.tax.harvest import Candidate, Harvest, HarvestLot, Holding, find_harvest
from trimtab.tax.harvest_plan import harvest_plan, holdings
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.model import EventType, TaxEvent

D = Decimal
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
FEE = D("0.001")
US, DE, UK = TaxRules.defaults("us"), TaxRules.defaults("de"), TaxRules.defaults("uk")
B, S = EventType.BUY, EventType.SELL


def event(kind: EventType, when: str, asset: str, amount: str, price: str, wallet: str = "paper") -> TaxEvent:
    return TaxEvent(
        datetime.fromisoformat(when).replace(hour=12, tzinfo=UTC), wallet, kind, asset, D(amount), D(price)
    )


def harvest(
    rules: TaxRules, history: list[TaxEvent], *held: Holding, min_loss: str = "100", fee: Decimal = FEE
) -> Harvest:
    return find_harvest(rules, history, held, wallet="paper", when=NOW, fee_rate=fee, min_loss=D(min_loss))


def only(found: Harvest) -> Candidate:
    [candidate] = found.candidates
    return candidate


def us_rules(**section: object) -> TaxRules:
    return TaxRules.from_section(TaxSection.model_validate({"jurisdiction": "us", **section}))


# Lots by time: 1 = 1 ETH (a gain), 2 = 0.1 BTC at 50,000 (a gain at 60,000), 3 = 0.1 BTC at 80,000.
US_HISTORY = [
    event(B, "2025-01-15", "ETH", "1", "2000"),
    event(B, "2026-03-01", "BTC", "0.1", "50000"),
    event(B, "2026-09-01", "BTC", "0.1", "80000"),
]
BTC = Holding("BTC", D(60000), D("0.2"), D("0.00001"))
ETH = Holding("ETH", D(3000), D(1), D("0.0001"))


# -- US -----------------------------------------------------------------------------------------


def test_a_us_loss_lot_with_the_wash_sale_rule_off_keeps_its_loss_through_the_rebuy() -> None:
    found = harvest(US, US_HISTORY, BTC, ETH)
    candidate = only(found)  # ETH is at a gain
    # min-tax sells the short-term loss lot 3 first: 0.1 BTC at 60,000 less the 0.1 % fee = 5,994
    # against a cost of 8,000: a loss of 2,006. Nothing else is realized in 2026, so the net loss of
    # 2,006 (under the 3,000 limit) saves 24 % = 481.44, with or without the rebuy (no wash sale).
    # Round-trip fees: 2 x 6,000 x 0.1 % = 12: worthwhile.
    assert (candidate.asset, candidate.units, candidate.cost, candidate.value) == (
        "BTC",
        D("0.1"),
        D(8000),
        D(5994),
    )
    assert candidate.unrealized_loss == D(2006)
    assert (candidate.saving, candidate.saving_without_rebuy, candidate.fees) == (
        D("481.44"),
        D("481.44"),
        D(12),
    )
    assert candidate.lots == (
        HarvestLot("3", D("0.1"), date(2026, 9, 1), D(8000), D(5994), mature=False, counts=True),
    )
    assert (candidate.allowed, candidate.worthwhile, candidate.harvest) == (True, True, True)
    assert candidate.rule == (
        "wash-sale rule off for 2026 (trimtab's default for 2026: crypto is property, not a security): "
        "the rebuy keeps the loss and starts a new short-term holding period"
    )
    assert (found.year, found.currency, found.saving, found.chosen) == (
        2026,
        "USD",
        D("481.44"),
        (candidate,),
    )


def test_the_us_wash_sale_switch_on_makes_the_rebuy_cancel_the_loss() -> None:
    candidate = only(harvest(us_rules(wash_sale=True), US_HISTORY, BTC))
    # The rebuy at once is a replacement within 30 days: the 2,006 loss is disallowed (added to the
    # new lot's basis), so the year's tax does not change. Without a rebuy it would save 481.44.
    assert (candidate.saving, candidate.saving_without_rebuy) == (D(0), D("481.44"))
    assert (candidate.allowed, candidate.worthwhile, candidate.harvest) == (True, False, False)
    assert candidate.rule.startswith("wash-sale rule on for 2026 (config tax.wash_sale): a rebuy within 30")
    assert candidate.rule.endswith("selling without buying back for 31 days would save 481.44 USD")


def test_us_fifo_must_sell_the_older_gain_lot_first() -> None:
    candidate = only(harvest(us_rules(method="fifo"), US_HISTORY, BTC))
    # FIFO reaches lot 3 only through lot 2: 0.2 BTC for 11,988 against 5,000 + 8,000 = 13,000,
    # a short-term net loss of 1,012 that saves 24 % = 242.88 (fees 2 x 12,000 x 0.1 % = 24).
    assert [lot.lot_id for lot in candidate.lots] == ["2", "3"]
    assert (candidate.units, candidate.unrealized_loss, candidate.saving) == (D("0.2"), D(1012), D("242.88"))
    assert candidate.rule.startswith("lots by fifo: lot 2 is sold first (not at a loss); wash-sale rule off")


def test_us_candidates_save_together_no_more_than_the_3000_limit() -> None:
    history = [*US_HISTORY, event(B, "2026-10-01", "ETH", "1", "5006")]
    found = harvest(US, history, BTC, ETH)
    btc, eth = found.candidates
    # ETH lot 4: 2,997 for 5,006, a loss of 2,009 (lot 1 is at a gain, min-tax leaves it). Alone each
    # loss saves 24 % of itself: 481.44 and 482.16. Together the net loss of 4,015 deducts only 3,000:
    # 720.
    assert (btc.saving, eth.saving) == (D("481.44"), D("482.16"))
    assert [lot.lot_id for lot in eth.lots] == ["4"]
    assert found.saving == D(720)


# -- Germany -------------------------------------------------------------------------------------

# Lots by time: 1 = 1 ETH, 2 = 1 SOL (both held since 2024: tax-free), 3 = 1 BTC sold in March at a
# taxable gain of 3,000 (>= the 1,000 Freigrenze: taxed in full, 1,260), 4 = 1 ETH at 4,000.
DE_HISTORY = [
    event(B, "2024-05-01", "ETH", "1", "1000"),
    event(B, "2024-05-01", "SOL", "1", "300"),
    event(B, "2026-01-10", "BTC", "1", "50000"),
    event(S, "2026-03-10", "BTC", "1", "53000"),
    event(B, "2026-08-01", "ETH", "1", "4000"),
]
DE_ETH = Holding("ETH", D(2500))
DE_SOL = Holding("SOL", D(150))


def test_a_german_loss_lot_behind_an_older_tax_free_lot_sells_both() -> None:
    found = harvest(DE, DE_HISTORY, DE_ETH, min_loss="200")
    candidate = only(found)
    # FIFO per wallet: lot 4 can only be sold after lot 1. 2 ETH at 2,500 less 0.1 % = 4,995 (2,497.50
    # each). Lot 1: gain 1,497.50, tax-free (held > 1 year). Lot 4: 2,497.50 - 4,000 = -1,502.50,
    # taxable. The year's taxable result falls from 3,000 to 1,497.50, still above the Freigrenze:
    # tax 42 % x 1,497.50 = 628.95 instead of 1,260, a saving of 631.05. The rebuy is a new lot and
    # changes nothing this year. Fees 2 x 5,000 x 0.1 % = 10: worthwhile.
    assert (candidate.units, candidate.cost, candidate.value, candidate.unrealized_loss) == (
        D(2),
        D(5000),
        D(4995),
        D(5),
    )
    assert [(lot.lot_id, lot.gain, lot.mature, lot.counts) for lot in candidate.lots] == [
        ("1", D("1497.5"), True, False),
        ("4", D("-1502.5"), False, True),
    ]
    assert (candidate.saving, candidate.saving_without_rebuy, candidate.fees) == (
        D("631.05"),
        D("631.05"),
        D(10),
    )
    assert candidate.harvest
    assert candidate.rule == (
        "FIFO per wallet: the older lot 1 is sold first; no wash-sale rule, but the rebuy restarts the "
        "one-year clock on 2 units (1 already tax-free)"
    )


def test_a_german_loss_on_a_lot_held_over_a_year_saves_nothing() -> None:
    candidate = only(harvest(DE, DE_HISTORY, DE_SOL))
    # 1 SOL at 150 less 0.1 % = 149.85 against 300: a loss of 150.15 above the 100 threshold, but
    # held since May 2024 it is outside § 23: the year's tax stays 1,260.
    assert (candidate.unrealized_loss, candidate.saving, candidate.saving_without_rebuy) == (
        D("150.15"),
        D(0),
        D(0),
    )
    assert (candidate.allowed, candidate.worthwhile) == (True, False)
    assert candidate.rule.endswith("(1 already tax-free); losses on lots held over a year do not count")


def test_a_german_harvest_below_the_freigrenze_saves_the_whole_tax() -> None:
    history = [
        event(B, "2026-01-10", "BTC", "1", "50000"),
        event(S, "2026-03-10", "BTC", "1", "51500"),  # taxable gain 1,500: tax 630
        event(B, "2026-08-01", "ETH", "1", "3100"),
    ]
    candidate = only(harvest(DE, history, DE_ETH))
    # 2,497.50 - 3,100 = -602.50: the result 897.50 is below the 1,000 Freigrenze (a cliff), so the
    # tax of 630 disappears entirely.
    assert (candidate.unrealized_loss, candidate.saving) == (D("602.5"), D(630))


# -- UK ------------------------------------------------------------------------------------------


def test_a_uk_rebuy_is_matched_with_the_sale_so_the_harvest_is_not_allowed() -> None:
    history = [
        event(B, "2025-01-10", "BTC", "1", "70000"),
        event(B, "2026-05-01", "ETH", "10", "1000"),
        event(S, "2026-06-01", "ETH", "10", "2000"),  # gain 10,000 in 2026/27: 7,000 over the exempt amount
    ]
    found = harvest(UK, history, Holding("BTC", D(50000)))
    candidate = only(found)
    # Pool: 1 BTC for 70,000. Sold for 49,950: a loss of 20,050. Alone it wipes out the year's gain:
    # tax 24 % x 7,000 = 1,680 saved. Bought back the same day, the same-day rule matches the sale
    # with the rebuy (cost 50,000 + 50 fee): a loss of only 100, net gain 9,900, tax 1,656: 24 saved,
    # less than the 100 of fees.
    assert (candidate.units, candidate.cost, candidate.value, candidate.lots) == (
        D(1),
        D(70000),
        D(49950),
        (),
    )
    assert (candidate.saving, candidate.saving_without_rebuy, candidate.fees) == (D(24), D(1680), D(100))
    assert (candidate.allowed, candidate.worthwhile, candidate.harvest) == (False, False, False)
    assert candidate.rule.startswith("30-day rule: a rebuy on the same day or within 30 days is matched")
    assert "--execute does not harvest in the UK" in candidate.rule
    assert candidate.rule.endswith("would save 1,680.00 GBP")
    assert (found.year, found.chosen, found.saving) == (2026, (), D(0))


def test_the_uk_pool_harvests_only_what_the_wallet_holds() -> None:
    history = [
        event(B, "2025-01-10", "BTC", "1", "70000"),
        event(B, "2025-02-10", "BTC", "1", "60000", wallet="ledger"),
    ]
    candidate = only(harvest(UK, history, Holding("BTC", D(50000))))
    # One pool across wallets: 2 BTC for 130,000 (65,000 each); the bot's wallet holds 1 of them.
    assert (candidate.units, candidate.cost) == (D(1), D(65000))


# -- threshold, balance, step ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_loss", "assets"),
    [("100", ["ETH", "SOL"]), ("150.15", ["ETH"]), ("1502", ["ETH"]), ("1502.5", [])],
)
def test_only_lots_losing_more_than_the_threshold_are_candidates(min_loss: str, assets: list[str]) -> None:
    # Losses: ETH lot 4 1,502.50, SOL lot 2 150.15; "more than" the threshold, not equal to it.
    found = harvest(DE, DE_HISTORY, DE_ETH, DE_SOL, min_loss=min_loss)
    assert [c.asset for c in found.candidates] == assets


def test_units_are_capped_at_the_free_balance_and_floored_to_the_step() -> None:
    held = Holding("BTC", D(60000), D("0.0412345"), D("0.0001"))
    candidate = only(harvest(US, US_HISTORY, held))
    # Only 0.0412345 BTC is free: 0.0412 on the 0.0001 step, from lot 3 (4/10 of its cost).
    assert (candidate.units, candidate.cost) == (D("0.0412"), D(3296))
    # Less than one step free: nothing to sell, no candidate.
    assert harvest(US, US_HISTORY, Holding("BTC", D(60000), D("0.00009"), D("0.0001"))).candidates == ()


# -- the sells of a harvest run ------------------------------------------------------------------


def rules_of(asset: str, min_notional: str = "5") -> MarketRules:
    return MarketRules(asset, "USDT", D("0.00001"), D(0), D(min_notional), D("0.01"))


def snapshot(min_notional: str = "5") -> Snapshot:
    balances = {"BTC": D("0.2"), "ETH": D(1), "USDT": D(1000)}
    return Snapshot(
        "USDT",
        {asset: Balance(amount, amount) for asset, amount in balances.items()},
        {"BTC": D(60000), "ETH": D(3000), "DOGE": D("0.1")},
        {asset: rules_of(asset, min_notional) for asset in ("BTC", "ETH")},
        FEE,
        NOW,
    )


def settings(max_trade_percent: str = "100") -> PlannerSettings:
    return PlannerSettings(D(10), D(max_trade_percent), D("0.5"))


def test_holdings_are_the_targeted_assets_with_a_market_priced_in_the_report_currency() -> None:
    targets = {"BTC": D(50), "ETH": D(0), "DOGE": D(10), "USDT": D(40)}
    # ETH has no target above 0, DOGE no market, USDT is the quote: only BTC, at 60,000 x 0.9.
    assert holdings(snapshot(), targets.items(), D("0.9")) == [
        Holding("BTC", D("54000.0"), D("0.2"), D("0.00001"))
    ]


def test_a_harvest_sell_is_one_limit_order_below_the_last_price() -> None:
    candidate = only(harvest(US, US_HISTORY, BTC))
    plan = harvest_plan(snapshot(), [candidate], settings(), D(16000))
    # Limit 60,000 x (1 - 0.5 %) = 59,700 on the 0.01 tick; value 0.1 x 60,000.
    [order] = plan.orders
    assert (order.leg, order.symbol, order.side, order.amount, order.limit_price, order.value) == (
        0,
        "BTC/USDT",
        Side.SELL,
        D("0.1"),
        D("59700.00"),
        D(6000),
    )
    assert plan.skipped == ()


def test_a_harvest_sell_above_the_order_cap_is_split_and_one_below_the_minimum_skipped() -> None:
    candidate = only(harvest(US, US_HISTORY, BTC))
    # Cap 25 % of 16,000 = 4,000: 0.1 BTC (6,000) goes as two orders of 0.05 (3,000 each).
    plan = harvest_plan(snapshot(), [candidate], settings("25"), D(16000))
    assert [(o.leg, o.amount) for o in plan.orders] == [(0, D("0.05")), (1, D("0.05"))]
    # A 10,000 USDT minimum notional refuses 0.1 x 59,700 = 5,970.
    refused = harvest_plan(snapshot("10000"), [candidate], settings(), D(16000))
    assert refused.orders == ()
    [skipped] = refused.skipped
    assert skipped.reason == "harvest sell of 0.1 BTC is below the market minimum notional of 10000 USDT"

"""TaxRules: tax years, when a lot matures, the estimated tax of a year's totals, and added_tax."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from trimtab.model.money import ZERO
from trimtab.tax.germany import GermanReport
from trimtab.tax.jurisdiction import TaxRules, added_tax
from trimtab.tax.lots import LotBook
from trimtab.tax.model import EventType, Lot, MatchRule, TaxEvent
from trimtab.tax.uk import UKReport
from trimtab.tax.us import USReport

D = Decimal
US, DE, UK = TaxRules.defaults("us"), TaxRules.defaults("de"), TaxRules.defaults("uk")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(kind: EventType, when: str, amount: str, price: str, asset: str = "BTC") -> TaxEvent:
    return TaxEvent(at(when), "w", kind, asset, D(amount), D(price))


def us_totals(short: str, long: str) -> USReport:
    return USReport(2025, "fifo", False, (), D(short), D(long), LotBook())


def test_us_tax_nets_the_classes_before_the_rates() -> None:
    # Defaults: short-term (ordinary) 24 %, long-term 15 %.
    assert US.tax_on(us_totals("1000", "2000")) == D("540")  # 240 + 300
    assert US.tax_on(us_totals("-500", "2000")) == D("225")  # net 1,500 long-term x 15 %
    assert US.tax_on(us_totals("3000", "-1000")) == D("480")  # net 2,000 short-term x 24 %
    # A net loss of 4,000 deducts at most 3,000 from ordinary income: saves 720.
    assert US.tax_on(us_totals("-5000", "1000")) == D("-720")
    assert US.tax_on(us_totals("-100", "-200")) == D("-72")


def test_germany_taxes_nothing_below_the_freigrenze_and_everything_at_it() -> None:
    def totals(result: str) -> GermanReport:
        below = D(result) < 1000
        return GermanReport(2024, (), D(result), ZERO if below else D(result), D(1000), ZERO, LotBook())

    assert DE.tax_on(totals("999.99")) == 0
    assert DE.tax_on(totals("1000")) == D("420")  # the cliff: all 1,000 at the 42 % default
    assert DE.tax_on(totals("-500")) == 0  # a loss carries over; nothing this year


def test_uk_taxes_the_net_gain_above_the_exempt_amount() -> None:
    report = UKReport(2024, (), 1, D(0), D(0), D(5000), D(0), D(3000), ())
    assert UK.tax_on(report) == D("480")  # (5,000 - 3,000) x 24 %


def test_tax_years() -> None:
    # 03:00 UTC on 1 Jan is still 31 Dec in New York; Berlin is already in the new year.
    assert US.year_of(at("2025-01-01T03:00:00")) == 2024
    assert DE.year_of(at("2025-01-01T03:00:00")) == 2025
    assert UK.year_of(at("2025-04-05T12:00:00")) == 2024
    assert UK.year_of(at("2025-04-06T12:00:00")) == 2025


def test_when_a_lot_matures() -> None:
    def lot(when: str) -> Lot:
        return Lot("1", "BTC", "w", D(1), D(100), at(when))

    # US: acquired 10 Mar 2025 (New York), long-term from the day after the anniversary.
    assert US.matures(lot("2025-03-10T15:00:00")) == date(2026, 3, 11)
    # Germany: acquired 29 Feb 2024, the period ends 28 Feb 2025, tax-free from 1 Mar 2025.
    assert DE.matures(lot("2024-02-29T10:00:00")) == date(2025, 3, 1)
    # The UK pools: no holding period.
    assert UK.matures(lot("2024-02-29T10:00:00")) is None


def test_added_tax_of_a_german_sale_counts_the_cliff() -> None:
    rules = TaxRules.defaults("de")
    history = [
        event(EventType.BUY, "2025-01-10T10:00:00", "1", "30000"),
        # 0.1 sold at 38,000: 3,800 - 3,000 = 800, taxable, below the 1,000 Freigrenze: no tax yet.
        event(EventType.SELL, "2025-03-01T10:00:00", "0.1", "38000"),
    ]
    # A further 0.1 at 33,000: 3,300 - 3,000 = 300. The year's result 1,100 reaches the cliff, so
    # all 1,100 is taxed: 462 of tax for a 300 gain.
    added = [event(EventType.SELL, "2025-06-01T10:00:00", "0.1", "33000")]
    result = added_tax(rules, history, added, at("2025-06-01T10:00:00"))
    assert result.year == 2025
    assert result.tax == D("462.00")
    [row] = result.disposals
    assert (row.amount, row.gain, row.taxable, row.lot_ids) == (D("0.1"), D("300"), True, ("1",))


def test_added_tax_sees_a_uk_buy_rematch_an_earlier_disposal() -> None:
    history = [
        event(EventType.BUY, "2025-05-01T10:00:00", "10", "100"),  # pool: 10 for 1,000
        event(EventType.SELL, "2025-06-01T10:00:00", "5", "80"),  # 400 - 500 = -100 from the pool
    ]
    # Buying 5 back at 70 within 30 days matches the sale to the new units (s106A): 400 - 350 = +50.
    added = [event(EventType.BUY, "2025-06-20T10:00:00", "5", "70")]
    result = added_tax(UK, history, added, at("2025-06-20T10:00:00"))
    assert [(row.rule, row.gain) for row in result.disposals] == [(MatchRule.THIRTY_DAY, D("50"))]
    assert result.tax == 0  # both years' net gains are under the 3,000 exempt amount


def test_the_lot_order_is_the_us_method_and_fifo_elsewhere() -> None:
    rules = TaxRules.defaults("us")  # min-tax
    lots = [
        Lot("1", "BTC", "w", D(1), D(100), at("2024-01-01T12:00:00")),
        Lot("2", "BTC", "w", D(1), D(300), at("2025-05-01T12:00:00")),
    ]
    day = date(2025, 6, 1)
    # At 200 a unit: lot 2 is a short-term loss (first), lot 1 a long-term gain.
    assert [lot.lot_id for lot in rules.lot_order(D(200), day)(lots)] == ["2", "1"]
    assert [lot.lot_id for lot in DE.lot_order(D(200), day)(lots)] == ["1", "2"]


# -- the horizon: the first moment whose events cannot change a year's report ----------------------


def test_the_horizon_is_the_end_of_the_tax_year_in_the_rules_zone() -> None:
    assert DE.horizon(2025) == at("2025-12-31T23:00:00")  # midnight in Berlin (CET)
    assert US.horizon(2025) == at("2026-01-01T05:00:00")  # midnight in New York (EST)
    # The UK year ends on 5 April, and a buy within 30 days after a sale is matched with it.
    assert UK.horizon(2024) == at("2025-05-05T23:00:00")  # 6 May 2025 00:00 in London (BST)


def test_the_us_horizon_reaches_30_days_further_when_the_wash_sale_rule_applies() -> None:
    washing = replace(US, wash_sale=True)
    assert washing.horizon(2025) == at("2026-01-31T05:00:00")


def test_events_after_the_horizon_do_not_change_the_report() -> None:
    # Property of the horizon itself: whatever happens later, the year's report is the same.
    history = [
        event(EventType.BUY, "2024-03-01T12:00:00", "2", "100"),
        event(EventType.SELL, "2025-12-30T12:00:00", "1", "80"),
        event(EventType.BUY, "2026-01-05T12:00:00", "1", "70"),  # inside the UK/wash-sale window
        event(EventType.SELL, "2026-02-20T12:00:00", "2", "90"),
    ]
    for rules in (US, replace(US, wash_sale=True), DE, UK):
        year = 2025
        horizon = rules.horizon(year)
        before = [e for e in history if e.timestamp < horizon]
        assert rules.report(before, year).disposals == rules.report(history, year).disposals


def test_the_wash_sale_window_is_why_the_us_horizon_reaches_further() -> None:
    washing = replace(US, wash_sale=True)
    history = [
        event(EventType.BUY, "2024-03-01T12:00:00", "1", "100"),
        event(EventType.SELL, "2025-12-30T12:00:00", "1", "80"),  # a loss of 20
        event(EventType.BUY, "2026-01-05T12:00:00", "1", "70"),  # bought back within 30 days
    ]
    full = washing.report(history, 2025)
    cut_at_year_end = washing.report(history[:2], 2025)
    assert full.total != cut_at_year_end.total  # the rebuy disallows the loss
    assert (
        washing.report([e for e in history if e.timestamp < washing.horizon(2025)], 2025).total == full.total
    )

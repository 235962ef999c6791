"""After-tax backtests: worked examples computed by hand, for the strategy and buy-and-hold.

Every example is a 50/50 portfolio of two coins, AAA and BBB, both at 100 on the first close
(2023-01-02 00:00 UTC), rebalanced by a 5-point threshold, no fees and no slippage, so every figure can
be checked by hand. AAA jumps once; nothing moves after that, so the run makes exactly one rebalance
and the last close is 2024-12-31 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from configs import MONTHLY, yaml_config

from trimtab.backtest.data import PriceFrame, load_price_frame, parse_price_frame
from trimtab.backtest.engine import BacktestSettings
from trimtab.backtest.study import Study, run_study
from trimtab.backtest.tax import StudyTax, TaxSetup, study_tax, tax_setup, trade_events
from trimtab.config import load_config
from trimtab.config.tax_section import Jurisdiction
from trimtab.errors import ConfigError
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.normalize import normalize
from trimtab.tax.rates import RateTable

D = Decimal
CENT = D("0.01")
CONFIG = yaml_config(
    weights={"AAA": 50, "BBB": 50},
    rebalancing={"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 0},
    risk={"slippage_tolerance": 0},  # limit = close: the buys are sized at the close, 50 and 50 units
    data_dir=None,
    exchange=None,
)
FIRST_ROW = date(2023, 1, 1)  # the candle of 2023-01-01 closes at 2023-01-02 00:00 UTC
LAST_ROW = date(2024, 12, 30)  # closes at 2024-12-31 00:00 UTC


def prices(jumps: Mapping[date, float]) -> PriceFrame:
    """Daily closes from FIRST_ROW to LAST_ROW: BBB at 100 throughout, AAA at 100 until the first
    close on or after each date in ``jumps`` (a bar close date), then at its price."""
    rows, aaa, day = ["date,AAA,BBB"], 100.0, FIRST_ROW
    while day <= LAST_ROW:
        close = day + timedelta(days=1)
        aaa = next((p for when, p in sorted(jumps.items(), reverse=True) if close >= when), 100.0)
        rows.append(f"{day.isoformat()},{aaa},100")
        day = close
    return parse_price_frame("\n".join(rows) + "\n", "test.csv")


@pytest.fixture
def study(write_config: Callable[..., Path]) -> Callable[..., Study]:
    def run(jumps: Mapping[date, float], initial: int = 10000) -> Study:
        config = load_config(write_config(CONFIG))
        settings = BacktestSettings(initial=D(initial), fee_rate=D(0))
        return run_study(config, prices(jumps), source="test.csv", settings=settings)

    return run


def taxes(study: Study, jurisdiction: Jurisdiction) -> StudyTax:
    return study_tax(study, TaxSetup(TaxRules.defaults(jurisdiction), None, "defaults"))


def by_year(tax: StudyTax) -> dict[int, tuple[Decimal, Decimal]]:
    """year -> (realized, tax) of the strategy, to the cent."""
    return {y.year: (y.realized.quantize(CENT), y.tax.quantize(CENT)) for y in tax.strategy.years}


def test_germany_taxes_a_gain_within_a_year_above_the_freigrenze(study: Callable[..., Study]) -> None:
    # 10,000 buys 50 AAA and 50 BBB at 100. AAA doubles on 2023-06-01: 10,000 + 5,000, weights 66.7/33.3,
    # so the run sells 12.5 AAA at 200 (back to 7,500 each) five months after buying it: a gain of
    # 12.5 x (200 - 100) = 1,250 EUR, taxable (held <= 1 year) and at or above the 2023 Freigrenze of
    # 600, so all of it is taxed at 42%: 525. At the end AAA is tax-free (held > 1 year): no
    # liquidation tax. Both runs end at 15,000: the strategy keeps 15,000 - 525 = 14,475 after tax.
    tax = taxes(study({date(2023, 6, 1): 200}), "de")
    assert by_year(tax) == {2023: (D("1250.00"), D("525.00")), 2024: (D(0), D(0))}
    assert tax.strategy.tax_paid == D(525)
    assert tax.strategy.liquidation_tax == 0
    assert tax.strategy.after_tax_final_value == D(14475)
    assert tax.hold.tax_paid == 0
    assert tax.hold.liquidation_tax == 0  # AAA's 5,000 gain at the end is tax-free too
    assert tax.hold.after_tax_final_value == D(15000)
    assert tax.parity  # no rates: USDT counted as EUR, and the output says so
    assert "counted 1:1 as EUR" in (tax.parity_warning() or "")


def test_germany_below_the_freigrenze_pays_nothing(study: Callable[..., Study]) -> None:
    # AAA to 130: 6,500 + 5,000 = 11,500, AAA 56.5% (6.5 points over). The run sells AAA worth 750 back
    # to 5,750 each: 750 / 130 = 5.769... AAA with a gain of 30 each = 173.08 EUR, below the 600
    # Freigrenze of 2023: no tax at all (one euro at or above 600 would tax all of it).
    tax = taxes(study({date(2023, 6, 1): 130}), "de")
    assert by_year(tax) == {2023: (D("173.08"), D(0)), 2024: (D(0), D(0))}
    assert tax.strategy.after_tax_final_value == tax.strategy.final_value


def test_a_sale_after_a_year_is_tax_free_in_germany_and_long_term_in_the_us(
    study: Callable[..., Study],
) -> None:
    # The same doubling on 2024-03-01, 14 months after the purchase: the 1,250 gain is tax-free in
    # Germany, and long-term in the US (bought 2023-01-01 New York time, sold 2024-02-29: after the
    # anniversary), so 1,250 x 15% = 187.50 USD.
    run = study({date(2024, 3, 1): 200})
    de, us = taxes(run, "de"), taxes(run, "us")
    assert by_year(de) == {2023: (D(0), D(0)), 2024: (D("1250.00"), D(0))}
    assert by_year(us) == {2023: (D(0), D(0)), 2024: (D("1250.00"), D("187.50"))}
    # US liquidation at 2024-12-30 (New York): AAA 37.5 x 100 = 3,750 long-term gain, BBB's 25 bought
    # on 2024-02-29 at 100 are worth 100: nothing. The year's tax goes from 187.50 to
    # (1,250 + 3,750) x 15% = 750: the liquidation adds 562.50.
    assert us.strategy.liquidation_tax == D("562.5")
    assert us.strategy.after_tax_final_value == D(15000) - D("187.5") - D("562.5")
    # Buy-and-hold pays only the liquidation: AAA's 50 x 100 = 5,000 long-term gain, 750 USD.
    assert us.hold.tax_paid == 0
    assert us.hold.liquidation_tax == D(750)
    assert us.hold.after_tax_final_value == D(14250)
    assert not us.parity  # USDT = USD is the documented default


def test_the_after_tax_cagr_compounds_the_after_tax_final_value(study: Callable[..., Study]) -> None:
    run = study({date(2023, 6, 1): 200})
    tax = taxes(run, "de")
    years = (len(run.frame.times) - 1) / 365
    assert tax.strategy.initial_value == D(10000)
    assert float(tax.strategy.after_tax_cagr or 0) == pytest.approx((14475 / 10000) ** (1 / years) - 1)
    assert float(tax.hold.after_tax_cagr or 0) == pytest.approx(run.hold_metrics.cagr)


def test_the_uk_taxes_the_gain_above_the_annual_exempt_amount(study: Callable[..., Study]) -> None:
    # 100,000: 500 AAA and 500 BBB at 100. AAA doubles on 2024-06-01 (tax year 2024/25): the run sells
    # 125 AAA for 25,000 against a pool cost of 125 x 100 = 12,500: a gain of 12,500 GBP, of which
    # 12,500 - 3,000 (the 2024/25 exempt amount) = 9,500 is taxed at 24%: 2,280.
    tax = taxes(study({date(2024, 6, 1): 200}, initial=100000), "uk")
    assert by_year(tax) == {
        2022: (D(0), D(0)),  # the first close, 2 Jan 2023, is in tax year 2022/23
        2023: (D(0), D(0)),
        2024: (D("12500.00"), D("2280.00")),
    }
    assert [tax.label(y.year) for y in tax.strategy.years] == ["2022/23", "2023/24", "2024/25"]
    # Liquidation on 31 Dec 2024, also 2024/25: AAA 375 left from the pool at 100, now 200: +37,500,
    # so the year's taxable gain becomes 12,500 + 37,500 - 3,000 = 47,000 and its tax 11,280.
    assert tax.strategy.liquidation_tax == D(9000)
    # Buy-and-hold: 500 AAA, +50,000 at the end: (50,000 - 3,000) x 24% = 11,280.
    assert tax.hold.liquidation_tax == D(11280)
    assert tax.hold.tax_paid == 0


def test_uk_years_before_the_known_exempt_amounts_are_a_clear_error(study: Callable[..., Study]) -> None:
    run = study({date(2023, 6, 1): 200})
    frame = run.frame
    # The same run seen as starting in 2019 (tax year 2019/20): the exempt amounts known start with 2020/21.
    early = replace(run, frame=replace(frame, times=frame.times - np.timedelta64(4 * 365, "D")))
    with pytest.raises(ConfigError, match="start on or after 2020-04-06"):
        taxes(early, "uk")


def test_rates_convert_the_figures_into_the_currency(study: Callable[..., Study]) -> None:
    # At 0.9 EUR per USDT every figure is 0.9 times the USDT one: 1,250 x 0.9 = 1,125 EUR of gain, 42%
    # of it is 472.50 EUR; the final value 15,000 USDT is 13,500 EUR.
    run = study({date(2023, 6, 1): 200})
    rates = RateTable("rates.csv", (date(2022, 12, 1),), (D("0.9"),))
    tax = study_tax(run, TaxSetup(TaxRules.defaults("de"), rates, "defaults"))
    assert by_year(tax)[2023] == (D("1125.00"), D("472.50"))
    assert tax.strategy.final_value == D(13500)
    assert tax.strategy.after_tax_final_value == D("13027.5")
    assert not tax.parity
    late = RateTable("rates.csv", (date(2023, 3, 1),), (D("0.9"),))
    with pytest.raises(ConfigError, match="no rate on or before 2023-01-02"):
        study_tax(run, TaxSetup(TaxRules.defaults("de"), late, "defaults"))


def test_the_config_section_is_used_when_its_jurisdiction_matches(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "eur.csv").write_text("date,rate\n2020-01-01,0.9\n", encoding="utf-8")
    path = write_config(CONFIG + "tax: {jurisdiction: de, rate_percent: 30, rates_file: eur.csv}\n")
    config = load_config(path)
    setup = tax_setup(config, path, "de", None)
    assert setup.rules.rate == D("0.3")
    assert setup.rates is not None
    assert setup.rates.rate_on(date(2024, 1, 1)) == D("0.9")
    assert "config" in setup.source
    other = tax_setup(config, path, "us", None)  # another jurisdiction: its defaults, no rates
    assert other.rules == TaxRules.defaults("us")
    assert other.rates is None


@pytest.mark.parametrize("jurisdiction", ["us", "de", "uk"])
def test_every_year_from_one_walk_equals_each_year_s_own_report(
    write_config: Callable[..., Path], jurisdiction: Jurisdiction
) -> None:
    # Monthly rebalancing of BTC/ETH with fees over three years: the yearly reports of one walk are
    # exactly the jurisdiction's report of each year (what TaxRules.report and tax report compute).
    config = load_config(
        write_config(
            yaml_config(
                weights={"BTC": 50, "ETH": 40, "USDT": 10}, rebalancing=MONTHLY, data_dir=None, exchange=None
            )
        )
    )
    run = run_study(
        config, load_price_frame(), source="bundled", start=date(2022, 1, 1), end=date(2024, 12, 31)
    )
    rules = TaxRules.defaults(jurisdiction)
    events = trade_events(run.strategy.trades, rules.currency, RateTable.identity())
    years = (2021, 2022, 2023, 2024)
    walked = rules.reports(normalize(events, rules.currency), years)
    assert sorted(walked) == list(years)
    for year in years:
        alone = rules.report(events, year)
        assert walked[year].disposals == alone.disposals
        assert rules.tax_on(walked[year]) == rules.tax_on(alone)
    assert any(walked[year].disposals for year in years)

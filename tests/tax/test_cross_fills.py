"""Cross-pair fills (ETH/BTC in a USDT portfolio) as tax events: a swap, the asset paid disposed of and
the asset received acquired, both valued at the pair quote asset's price in the run's snapshot. Real
SQLite and PostgreSQL ledgers and the real US, German and UK reports, and a plan's cross orders as the
tax advisor estimates them; figures worked by hand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from ledger_runs import record_run

from trimtab.errors import TaxError
from trimtab.ledger import LedgerStore
from trimtab.model.orders import Fill, Side
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.tax.advisor import plan_events
from trimtab.tax.deferral import sold_units
from trimtab.tax.germany import de_report
from trimtab.tax.history import all_events, bot_fills_as_events, fill_events
from trimtab.tax.model import Disposal, EventType, TaxEvent, Term
from trimtab.tax.normalize import normalize, wallet_holdings
from trimtab.tax.rates import RateTable
from trimtab.tax.uk import uk_report
from trimtab.tax.us import us_report

D = Decimal
AT = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
BOUGHT = datetime(2025, 6, 2, 12, tzinfo=UTC)  # under a year before AT: short-term, taxable in Germany
PRICES = {"BTC": D(60000), "ETH": D(3000), "BNB": D(600)}  # USDT, the run's `before` snapshot
RATES = RateTable("rates.csv", (date(2025, 1, 1),), (D("0.8"),))  # USDT -> EUR or GBP
BUY, SELL, FEE = EventType.BUY, EventType.SELL, EventType.FEE


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[LedgerStore]:
    store = LedgerStore.open(ledger_url)  # on SQLite and on PostgreSQL
    yield store
    store.close()


def fill(amount: str, price: str, fee: str = "0", fee_asset: str = "") -> Fill:
    return Fill(D(price), D(amount), D(fee), fee_asset, AT)


def cross(
    side: Side,
    f: Fill,
    currency: str = "USD",
    rates: RateTable | None = None,
    prices: dict[str, Decimal] = PRICES,
) -> list[TaxEvent]:
    return fill_events(
        "ETH/BTC",
        side,
        f,
        prices,
        rates=rates,
        report_currency=currency,
        wallet="paper",
        portfolio_quote="USDT",
    )


def test_a_cross_buy_disposes_of_the_asset_paid_and_acquires_the_asset_received() -> None:
    # 10 ETH at 0.05 BTC: 0.5 BTC paid, worth 30,000 USD at 60,000; one ETH = 0.05 x 60,000 = 3,000.
    # The 0.01 ETH fee (the asset received, as the paper venue charges it) is the ETH buy's crypto fee.
    events = cross(Side.BUY, fill("10", "0.05", "0.01", "ETH"))
    assert events == [
        TaxEvent(AT, "paper", SELL, "BTC", D("0.50"), D(60000)),
        TaxEvent(AT, "paper", BUY, "ETH", D(10), D("3000.00"), D("0.01"), "ETH"),
    ]
    assert events[0].value == events[1].value  # proceeds of one are the cost of the other


def test_a_cross_sell_disposes_of_the_base_and_acquires_the_pair_quote() -> None:
    # Sell 10 ETH at 0.05 BTC: 10 ETH disposed of, 0.5 BTC acquired; the fee is in the BTC received.
    events = cross(Side.SELL, fill("10", "0.05", "0.0005", "BTC"))
    assert events == [
        TaxEvent(AT, "paper", SELL, "ETH", D(10), D("3000.00")),
        TaxEvent(AT, "paper", BUY, "BTC", D("0.50"), D(60000), D("0.0005"), "BTC"),
    ]


def test_a_cross_fill_is_valued_at_the_portfolio_quotes_rate() -> None:
    (btc, eth) = cross(Side.BUY, fill("10", "0.05"), "EUR", RATES)
    assert (btc.price, eth.price) == (D("48000.0"), D("2400.000"))  # 60,000 and 3,000 USDT x 0.8


def test_fees_in_the_asset_paid_the_portfolio_quote_and_a_third_asset() -> None:
    paid = cross(Side.BUY, fill("10", "0.05", "0.0005", "BTC"))
    assert (paid[0].asset, paid[0].fee, paid[0].fee_asset) == ("BTC", D("0.0005"), "BTC")
    in_quote = cross(Side.BUY, fill("10", "0.05", "30", "USDT"), "EUR", RATES)
    assert (in_quote[1].asset, in_quote[1].fee, in_quote[1].fee_asset) == ("ETH", D("24.0"), "EUR")
    third = cross(Side.BUY, fill("10", "0.05", "0.05", "BNB"))
    assert third[2] == TaxEvent(AT, "paper", FEE, "BNB", D("0.05"), D(600))
    with pytest.raises(TaxError, match=r"paid a fee of 0\.1 XYZ, which has no price"):
        cross(Side.BUY, fill("10", "0.05", "0.1", "XYZ"))


def test_without_the_pair_quotes_price_the_base_price_values_the_swap() -> None:
    # No BTC price: 1 BTC = ETH's 3,000 / 0.05 = 60,000; without either the swap cannot be valued.
    assert cross(Side.BUY, fill("10", "0.05"), prices={"ETH": D(3000)}) == cross(Side.BUY, fill("10", "0.05"))
    with pytest.raises(TaxError, match=r"the ETH/BTC fill at .* swapped ETH for BTC, neither of which"):
        cross(Side.BUY, fill("10", "0.05"), prices={"SOL": D(100)})


def test_a_pair_in_the_portfolio_quote_is_one_trade_as_before() -> None:
    events = fill_events(
        "BTC/USDT",
        Side.SELL,
        fill("0.5", "60000", "30", "USDT"),
        PRICES,
        rates=None,
        report_currency="USD",
        wallet="paper",
        portfolio_quote="USDT",
    )
    assert events == [TaxEvent(AT, "paper", SELL, "BTC", D("0.5"), D(60000), D(30), "USD")]


def test_the_ledger_knows_a_runs_quote_and_turns_its_cross_fills_into_swaps(ledger: LedgerStore) -> None:
    record_run(
        ledger,
        [
            ("ETH/BTC", Side.BUY, [fill("10", "0.05", "0.01", "ETH")]),
            ("BTC/USDT", Side.SELL, [fill("0.1", "60000")]),
        ],
        at=AT,
        prices=PRICES,
    )
    events = bot_fills_as_events(ledger, rates=None, report_currency="USD", wallet="paper")
    assert [(e.type, e.asset, e.amount) for e in events] == [
        (SELL, "BTC", D("0.50")),
        (BUY, "ETH", D(10)),
        (SELL, "BTC", D("0.1")),
    ]
    # A run quoted in BTC (a BTC-quoted portfolio): ETH/BTC is its quote pair, one trade as ever.
    record_run(
        ledger, [("ETH/BTC", Side.BUY, [fill("1", "0.05")])], at=AT, prices={"ETH": D("0.05")}, quote="BTC"
    )
    last = bot_fills_as_events(ledger, rates=RATES, report_currency="EUR", wallet="paper")[-1]
    assert (last.type, last.asset, last.price) == (BUY, "ETH", D("0.040"))  # 0.05 BTC x the file's 0.8


def swap_history(ledger: LedgerStore, currency: str, rate: Decimal) -> list[TaxEvent]:
    """1 BTC bought on 2 June 2025 at 40,000 USD (imported, in the report currency at ``rate``), then
    the bot's 10 ETH bought for 0.5 BTC on 1 March 2026 (BTC at 60,000 USDT), its fee 0.01 ETH."""
    bought = TaxEvent(BOUGHT, "paper", BUY, "BTC", D(1), D(40000) * rate, line=2)
    ledger.record_tax_events([bought], source="h.csv", report_currency=currency, imported_at=AT)
    record_run(ledger, [("ETH/BTC", Side.BUY, [fill("10", "0.05", "0.01", "ETH")])], at=AT, prices=PRICES)
    rates = None if currency == "USD" else RATES
    events = all_events(ledger, rates=rates, report_currency=currency, wallet="paper")
    assert wallet_holdings(events, currency, "paper") == {"BTC": D("0.50"), "ETH": D("9.99")}
    return events


def btc_rows(disposals: tuple[Disposal, ...]) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [(row.amount, row.proceeds, row.gain) for row in disposals if row.asset == "BTC"]


def eth_gain(disposals: tuple[Disposal, ...]) -> Decimal:
    return sum((row.gain for row in disposals if row.asset == "ETH"), D(0))


def test_us_a_cross_fill_realises_the_gain_of_the_btc_disposed(ledger: LedgerStore) -> None:
    # 0.5 BTC: proceeds 30,000, cost 20,000, short-term gain 10,000. The 0.01 ETH fee units, costing
    # 3,003 a unit (30,000 + the fee's 30, over 10 ETH), are disposed of at 3,000: a loss of 0.03.
    report = us_report(normalize(swap_history(ledger, "USD", D(1)), "USD"), year=2026)
    assert btc_rows(report.disposals) == [(D("0.50"), D("30000.00"), D("10000.00"))]
    assert [row.term for row in report.disposals] == [Term.SHORT, Term.SHORT]
    assert eth_gain(report.disposals) == D("-0.03")
    assert report.short_term == D("9999.97")
    assert report.book.held("ETH", "paper") == D("9.99")


def test_germany_a_cross_fill_realises_the_gain_of_the_btc_disposed(ledger: LedgerStore) -> None:
    # EUR at 0.8: 0.5 BTC bought at 32,000 EUR, disposed of at 48,000: 8,000, held under a year.
    report = de_report(normalize(swap_history(ledger, "EUR", D("0.8")), "EUR"), year=2026)
    assert btc_rows(report.disposals) == [(D("0.50"), D("24000.000"), D("8000.000"))]
    assert all(row.taxable for row in report.disposals)
    assert eth_gain(report.disposals) == D("-0.024")  # the fee units, as in the US: 0.03 x 0.8
    assert report.taxable_result == D("7999.976")


def test_uk_a_cross_fill_realises_the_gain_of_the_btc_disposed(ledger: LedgerStore) -> None:
    # GBP at 0.8, tax year 2025/26: half of the BTC pool (cost 32,000 GBP) for 24,000: a gain of 8,000.
    report = uk_report(normalize(swap_history(ledger, "GBP", D("0.8")), "GBP"), year=2025)
    assert btc_rows(report.disposals) == [(D("0.50"), D("24000.000"), D("8000.000"))]
    assert eth_gain(report.disposals) == D("-0.024")  # the fee units (same day as their acquisition)
    assert (report.gains, report.losses) == (D(8000), D("0.024"))


# -- a plan's cross orders, as the tax advisor estimates them --------------------------------------

CROSS_BUY = PlannedOrder(0, "ETH", "ETH/BTC", Side.BUY, D(10), D("0.05025"), D("0.05"), D(30000))
QUOTE_SELL = PlannedOrder(1, "SOL", "SOL/USDT", Side.SELL, D(2), D("99.5"), D(100), D(200))


def test_a_planned_cross_buy_is_a_swap_in_the_tax_estimate() -> None:
    # 10 ETH for 0.5 BTC, worth 30,000 USDT x 0.8 = 24,000 EUR either side; the one fee (0.1 %) is the ETH's.
    plan = Plan((CROSS_BUY, QUOTE_SELL))
    events = plan_events(
        plan, AT, rate=D("0.8"), fee_rate=D("0.001"), wallet="paper", currency="EUR", quote="USDT"
    )
    assert events == [
        TaxEvent(AT, "paper", SELL, "BTC", D("0.500"), D(48000)),
        TaxEvent(AT, "paper", BUY, "ETH", D(10), D(2400), D("24.000"), "EUR"),
        TaxEvent(AT, "paper", SELL, "SOL", D(2), D("80.0"), D("0.16000"), "EUR"),
    ]


def test_what_a_cross_buy_pays_counts_as_sold_units() -> None:
    # The advisor checks the history holds what the plan disposes of, BTC paid on ETH/BTC included.
    plan = Plan((CROSS_BUY, QUOTE_SELL, replace(CROSS_BUY, leg=2, side=Side.SELL, amount=D(1))))
    assert sold_units(plan, "USDT") == {"BTC": D("0.500"), "SOL": D(2), "ETH": D(1)}
    assert sold_units(plan) == {"SOL": D(2), "ETH": D(1)}  # without the quote: sells only, as before

"""The bot's fills as tax events: conversion to the report currency, fees, which runs count, and the
ledger's whole history (imported + fills) in time order. Real SQLite and PostgreSQL ledgers,
figures worked by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from ledger_runs import record_run

from trimtab.errors import ConfigError, MissingRates, TaxError
from trimtab.ledger import LedgerStore
from trimtab.model.orders import Fill, Side
from trimtab.tax.history import all_events, bot_fills_as_events, fill_events, ledger_history, quote_rate
from trimtab.tax.model import EventType, TaxEvent, Term
from trimtab.tax.normalize import normalize
from trimtab.tax.rates import RateTable
from trimtab.tax.us import us_report

D = Decimal
AT = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
EUR_RATES = RateTable("rates.csv", (date(2026, 1, 1), date(2026, 3, 2)), (D("0.9"), D("0.95")))
PRICES = {"BTC": D("60000"), "BNB": D("600")}


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[LedgerStore]:
    store = LedgerStore.open(ledger_url)  # on SQLite and on PostgreSQL
    yield store
    store.close()


def fill(amount: str, price: str, fee: str = "0", fee_asset: str = "USDT", at: datetime = AT) -> Fill:
    return Fill(D(price), D(amount), D(fee), fee_asset, at)


def events_of(
    symbol: str, side: Side, f: Fill, currency: str = "USD", rates: RateTable | None = None
) -> list[TaxEvent]:
    return fill_events(symbol, side, f, PRICES, rates=rates, report_currency=currency, wallet="paper")


@pytest.mark.parametrize(
    ("quote", "currency", "rates", "rate"),
    [
        ("USDT", "USD", None, D(1)),  # the documented default: USDT = USD
        ("USDC", "USD", None, D(1)),
        ("EUR", "EUR", None, D(1)),  # trading in the report currency needs no rates
        ("EUR", "EUR", EUR_RATES, D(1)),  # ... and ignores them
        ("USDT", "EUR", EUR_RATES, D("0.9")),  # 1 Mar: the rate of 1 Jan, the latest before
        ("USDT", "USD", EUR_RATES, D("0.9")),  # a rates file given is used, even for USD
    ],
)
def test_quote_rate(quote: str, currency: str, rates: RateTable | None, rate: Decimal) -> None:
    assert quote_rate(quote, currency, date(2026, 3, 1), rates) == rate


@pytest.mark.parametrize(("quote", "currency"), [("USDT", "EUR"), ("USDT", "GBP"), ("EUR", "USD")])
def test_a_conversion_without_rates_says_what_is_missing(quote: str, currency: str) -> None:
    # What is missing, with its facts; how to give the rates is the command line's to say (tests/cli).
    with pytest.raises(MissingRates) as caught:
        quote_rate(quote, currency, date(2026, 3, 1), None)
    assert str(caught.value) == (
        f"tax: rates: the bot's fills are quoted in {quote} (the first on 2026-03-01); a {currency} "
        f"report needs daily {quote}->{currency} rates"
    )
    assert (caught.value.quote, caught.value.currency, caught.value.day) == (
        quote,
        currency,
        date(2026, 3, 1),
    )
    assert "--rates" not in str(caught.value)


def test_a_day_before_the_rates_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"rates.csv: date: no rate on or before 2025-12-31"):
        quote_rate("USDT", "EUR", date(2025, 12, 31), EUR_RATES)


def test_a_buy_with_a_fee_in_the_bought_asset_keeps_a_crypto_fee() -> None:
    # 0.5 BTC at 60,000 USDT, rate 0.9: price 54,000 EUR; the 0.0005 BTC fee stays in BTC.
    events = events_of("BTC/USDT", Side.BUY, fill("0.5", "60000", "0.0005", "BTC"), "EUR", EUR_RATES)
    assert events == [
        TaxEvent(AT, "paper", EventType.BUY, "BTC", D("0.5"), D("54000.0"), D("0.0005"), "BTC"),
    ]


def test_a_sell_with_a_fee_in_the_quote_pays_it_in_the_report_currency() -> None:
    # 30 USDT x 0.9 = 27 EUR
    events = events_of("BTC/USDT", Side.SELL, fill("0.5", "60000", "30", "USDT"), "EUR", EUR_RATES)
    assert events == [TaxEvent(AT, "paper", EventType.SELL, "BTC", D("0.5"), D("54000.0"), D("27.0"), "EUR")]


def test_usdt_is_usd_by_default() -> None:
    events = events_of("BTC/USDT", Side.SELL, fill("0.5", "60000", "30", "USDT"))
    assert events == [TaxEvent(AT, "paper", EventType.SELL, "BTC", D("0.5"), D(60000), D(30), "USD")]


def test_a_pair_in_the_report_currency_is_taken_as_it_is() -> None:
    events = events_of("BTC/EUR", Side.BUY, fill("0.5", "55000", "2.75", "EUR"), "EUR")
    assert events == [TaxEvent(AT, "paper", EventType.BUY, "BTC", D("0.5"), D(55000), D("2.75"), "EUR")]


def test_a_fee_in_a_third_asset_is_its_own_fee_event_at_the_snapshot_price() -> None:
    # 0.01 BNB at 600 USDT x 0.9 = 540 EUR a BNB
    events = events_of("BTC/USDT", Side.BUY, fill("0.5", "60000", "0.01", "BNB"), "EUR", EUR_RATES)
    assert events == [
        TaxEvent(AT, "paper", EventType.BUY, "BTC", D("0.5"), D("54000.0")),
        TaxEvent(AT, "paper", EventType.FEE, "BNB", D("0.01"), D("540.0")),
    ]


def test_a_fee_in_an_asset_without_a_price_is_a_tax_error() -> None:
    with pytest.raises(TaxError, match=r"paid a fee of 0\.1 XYZ, which has no price in its run's snapshot"):
        events_of("BTC/USDT", Side.BUY, fill("0.5", "60000", "0.1", "XYZ"))


def test_no_fee_means_no_fee_asset() -> None:
    (event,) = events_of("BTC/USDT", Side.BUY, fill("0.5", "60000", "0", "BTC"))
    assert (event.fee, event.fee_asset) == (0, "")


def test_only_live_fills_on_the_wallets_venue_count(ledger: LedgerStore) -> None:
    sell = fill("0.1", "60000", "6", "USDT")
    record_run(ledger, [("BTC/USDT", Side.SELL, [sell])], at=AT, prices=PRICES)
    record_run(ledger, [("BTC/USDT", Side.SELL, [sell])], at=AT, prices=PRICES, mode="dry-run")
    record_run(ledger, [("BTC/USDT", Side.SELL, [sell])], at=AT, prices=PRICES, venue="binance")

    events = bot_fills_as_events(ledger, rates=None, report_currency="USD", wallet="paper")

    assert events == [TaxEvent(AT, "paper", EventType.SELL, "BTC", D("0.1"), D(60000), D(6), "USD")]
    binance = bot_fills_as_events(ledger, rates=None, report_currency="USD", wallet="binance")
    assert [e.wallet for e in binance] == ["binance"]


def test_a_eur_history_of_bot_fills_needs_rates(ledger: LedgerStore) -> None:
    record_run(ledger, [("BTC/USDT", Side.SELL, [fill("0.1", "60000")])], at=AT, prices=PRICES)
    with pytest.raises(MissingRates, match="a EUR report needs daily USDT->EUR rates"):
        bot_fills_as_events(ledger, rates=None, report_currency="EUR", wallet="paper")
    assert bot_fills_as_events(ledger, rates=None, report_currency="EUR", wallet="binance") == []


def test_all_events_merges_the_imported_history_and_the_fills_by_time(ledger: LedgerStore) -> None:
    bought = TaxEvent(
        datetime(2024, 1, 2, 12, tzinfo=UTC), "paper", EventType.BUY, "BTC", D(1), D(40000), line=2
    )
    tie = TaxEvent(AT, "paper", EventType.BUY, "ETH", D(1), D(3000), line=3)
    after = TaxEvent(AT + timedelta(days=1), "paper", EventType.BUY, "SOL", D(1), D(100), line=4)
    ledger.record_tax_events([after, tie, bought], source="h.csv", report_currency="USD", imported_at=AT)
    ledger.record_tax_events([bought], source="h.csv", report_currency="EUR", imported_at=AT)
    sell = fill("0.5", "60000", "30", "USDT")
    record_run(ledger, [("BTC/USDT", Side.SELL, [sell])], at=AT, prices=PRICES)

    events = all_events(ledger, rates=None, report_currency="USD", wallet="paper")

    sold = TaxEvent(AT, "paper", EventType.SELL, "BTC", D("0.5"), D(60000), D(30), "USD")
    assert events == [bought, tie, sold, after]  # a tie keeps the imported event first

    # Sold 0.5 of the BTC bought at 40,000: proceeds 30,000 - 30 fee = 29,970; cost 20,000;
    # held 2 Jan 2024 - 1 Mar 2026, long-term: gain 9,970.
    report = us_report(normalize(events, "USD"), year=2026)
    (row,) = report.disposals
    assert (row.amount, row.proceeds, row.cost, row.gain, row.term) == (
        D("0.5"),
        D(29970),
        D(20000),
        D(9970),
        Term.LONG,
    )


def test_a_eur_history_merges_eur_and_converted_usd_events_and_cuts_at_before(ledger: LedgerStore) -> None:
    early = datetime(2026, 1, 5, 9, tzinfo=UTC)
    in_eur = TaxEvent(early, "w", EventType.BUY, "BTC", D(1), D(36000), line=2)
    in_usd = TaxEvent(early, "w", EventType.BUY, "ETH", D(2), D(3000), D(10), "USD", line=2)
    later_usd = TaxEvent(AT - timedelta(days=1), "w", EventType.SELL, "ETH", D(1), D(3100), line=3)
    late = TaxEvent(AT + timedelta(days=1), "w", EventType.SELL, "BTC", D(1), D(50000), line=3)
    ledger.record_tax_events([late, in_eur], source="eur.csv", report_currency="EUR", imported_at=AT)
    ledger.record_tax_events([later_usd, in_usd], source="usd.csv", report_currency="USD", imported_at=AT)
    ledger.record_tax_events([in_eur, late], source="gbp.csv", report_currency="GBP", imported_at=AT)

    history = ledger_history(
        ledger, rates=EUR_RATES, report_currency="EUR", wallet="paper", before=late.timestamp
    )

    assert history.events == [
        in_eur,  # a tie: the EUR event first (by currency), then the USD one converted at 0.9
        TaxEvent(early, "w", EventType.BUY, "ETH", D(2), D("2700.0"), D("9.0"), "EUR", line=2),
        TaxEvent(later_usd.timestamp, "w", EventType.SELL, "ETH", D(1), D("2790.0"), line=3),
    ]  # `late` is at the horizon: left out
    assert history.left_out == {"GBP": 1}  # counted before the horizon only
    with pytest.raises(MissingRates, match="a EUR report needs daily USD->EUR rates"):
        ledger_history(ledger, rates=None, report_currency="EUR", wallet="paper")

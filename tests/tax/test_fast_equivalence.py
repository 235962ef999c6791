"""The fast lot book and report walks give exactly what the straightforward reference gives.

The reference (tests/support/tax_reference.py) is the code as it was before it was made fast: it sorts
every candidate lot at every sale. Random histories of a few thousand events across three wallets and
three assets, 2023-2025 (US pools change from universal to per wallet on 1 Jan 2025), with fees in
money and in the coin, fee rows, swaps at one timestamp, and prices and amounts from small sets so
that unit costs and gains tie often (the tie-breaks are where a fast order most easily differs).
Every row, total and open lot must be equal, in the same order.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tax_reference import (
    ReferenceBook,
    reference_de,
    reference_records,
    reference_uk,
    reference_us,
)
from tax_reference import order_for as reference_order

from trimtab.errors import TaxError
from trimtab.tax.germany import de_reports
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.lots import LotBook
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.normalize import Acquisition, normalize, records_in_time_order
from trimtab.tax.uk_match import match_uk
from trimtab.tax.us import METHODS, US_ZONE, Method, USReport, order_for, us_reports, us_reports_on_book

D = Decimal
WALLETS = ("alpha", "beta", "gamma")
ASSETS = {"BTC": D(30000), "ETH": D(2000), "SOL": D(100)}
START = datetime(2023, 1, 1, tzinfo=UTC)
YEARS = (2023, 2024, 2025)
# "0.50" and "1.000": equal to others in value, not in exponent (which a report prints)
AMOUNTS = [D("0.1"), D("0.25"), D("0.5"), D(1), D("0.333"), D("1.2"), D("0.05"), D("0.50"), D("1.000")]
FACTORS = [D("0.8"), D("0.9"), D(1), D(1), D("1.1"), D("1.25"), D("0.95")]


def history(seed: int, count: int) -> list[TaxEvent]:
    """``count`` events (about) that never sell more than a wallet holds, wallet by wallet."""
    rng = random.Random(seed)
    held = {(asset, wallet): D(0) for asset in ASSETS for wallet in WALLETS}
    events: list[TaxEvent] = []
    moment = START
    line = 1
    while len(events) < count:
        moment += timedelta(minutes=rng.choice([0, 7, 90, 600, 1440, 3000]))
        wallet, asset = rng.choice(WALLETS), rng.choice(list(ASSETS))
        price = ASSETS[asset] * rng.choice(FACTORS)
        key = (asset, wallet)
        line += 1
        roll = rng.random()
        if held[key] > 0 and roll < 0.4:
            amount = held[key] if rng.random() < 0.15 else min(held[key], rng.choice(AMOUNTS))
            fee = rng.choice([D(0), D("1.5"), D(3)])
            events.append(
                TaxEvent(
                    moment, wallet, EventType.SELL, asset, amount, price, fee, "USD" if fee else "", line
                )
            )
            held[key] -= amount
            if rng.random() < 0.3:  # a swap: the proceeds buy another coin at the same time
                other = rng.choice([a for a in ASSETS if a != asset])
                bought = (amount * price / ASSETS[other]).quantize(D("0.00000001"))
                if bought > 0:
                    line += 1
                    events.append(
                        TaxEvent(moment, wallet, EventType.BUY, other, bought, ASSETS[other], line=line)
                    )
                    held[other, wallet] += bought
        elif held[key] > D("0.01") and roll < 0.45:
            amount = D("0.001")
            events.append(TaxEvent(moment, wallet, EventType.FEE, asset, amount, price, line=line))
            held[key] -= amount
        else:
            amount = rng.choice(AMOUNTS)
            if rng.random() < 0.3:
                fee, fee_asset = (amount / 1000).quantize(D("0.0000001")), asset
                held[key] += amount - fee
            else:
                fee, fee_asset = rng.choice([(D(0), ""), (D(2), "USD"), (D("0.7"), "USD")])
                held[key] += amount
            events.append(TaxEvent(moment, wallet, EventType.BUY, asset, amount, price, fee, fee_asset, line))
    # Each wallet's events as one block, as exports concatenate: out of time order across wallets,
    # in order within one (a swap's two legs stay sell, then buy).
    return sorted(events, key=lambda event: WALLETS.index(event.wallet))


def priced_in(events: list[TaxEvent], currency: str) -> list[TaxEvent]:
    """The same events with their money fees paid in ``currency``."""
    return [replace(e, fee_asset=currency) if e.fee_asset == "USD" else e for e in events]


@pytest.fixture(scope="module", params=[1, 2])
def events(request: pytest.FixtureRequest) -> list[TaxEvent]:
    return history(request.param, 2500)


def test_records_are_the_reference_records(events: list[TaxEvent]) -> None:
    assert normalize(events, "USD") == reference_records(events, "USD")
    assert list(records_in_time_order(events, "USD")) == reference_records(events, "USD")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("zone", [US_ZONE, ZoneInfo("Asia/Tokyo")])
def test_us_reports_are_the_reference_reports(events: list[TaxEvent], method: Method, zone: ZoneInfo) -> None:
    records = reference_records(events, "USD")
    expected = reference_us(records, years=YEARS, method=method, zone=zone)
    streamed = us_reports(records_in_time_order(events, "USD"), years=YEARS, method=method, zone=zone)
    listed = us_reports(records, years=(2024,), method=method, zone=zone)
    for year in YEARS:
        _assert_same_us(streamed[year], expected[year])
    assert listed[2024].disposals == expected[2024][0]


@pytest.mark.parametrize("method", METHODS)
def test_us_reports_with_wash_sales_are_the_reference_reports(method: Method) -> None:
    # The rule splits replacement lots into numbered pieces (a short history: they multiply).
    events = history(3, 100)
    expected = reference_us(reference_records(events, "USD"), years=YEARS, method=method, wash_sale=True)
    reports = us_reports(records_in_time_order(events, "USD"), years=YEARS, method=method, wash_sale=True)
    assert any(row.adjustment for year in YEARS for row in reports[year].disposals)
    for year in YEARS:
        _assert_same_us(reports[year], expected[year])


def _assert_same_us(report: USReport, expected: tuple[Any, ...]) -> None:
    rows, short, long, lots = expected
    assert report.disposals == rows
    assert (report.short_term, report.long_term) == (short, long)
    assert report.book.open_lots() == lots


@pytest.mark.parametrize("per_wallet", [True, False])
def test_german_reports_are_the_reference_reports(events: list[TaxEvent], per_wallet: bool) -> None:
    events = priced_in(events, "EUR")
    records = reference_records(events, "EUR")
    expected = reference_de(records, years=YEARS, per_wallet=per_wallet)
    reports = de_reports(records_in_time_order(events, "EUR"), years=YEARS, per_wallet=per_wallet)
    for year in YEARS:
        rows, result, taxed, free, lots = expected[year]
        report = reports[year]
        assert report.disposals == rows
        assert (report.taxable_result, report.taxable, report.tax_free_result) == (result, taxed, free)
        assert report.book.open_lots() == lots


def test_uk_matching_is_the_reference_matching(events: list[TaxEvent]) -> None:
    events = priced_in(events, "GBP")
    zone = ZoneInfo("Europe/London")
    expected = reference_uk(reference_records(events, "GBP"), zone)
    assert match_uk(records_in_time_order(events, "GBP"), zone) == expected
    rules = TaxRules.defaults("uk")
    for year in (2023, 2024):
        assert rules.report(events, year).disposals == tuple(
            sorted(
                (
                    row
                    for match in expected.values()
                    for row in match.disposals
                    if _in_uk_year(row.disposed, year)
                ),
                key=lambda row: (row.disposed, row.asset),
            )
        )


def _in_uk_year(day: date, year: int) -> bool:
    return date(year, 4, 6) <= day <= date(year + 1, 4, 5)


@pytest.mark.parametrize("method", METHODS)
def test_previews_on_the_walked_book_are_the_reference_previews(
    events: list[TaxEvent], method: Method
) -> None:
    # A book walked through the history, then asked about sales on earlier and later days, in any
    # order (the min-tax heaps must rebuild when a preview goes back in time), without changing it.
    records = reference_records(events, "USD")
    book, reference = LotBook(), ReferenceBook()
    for record in records:
        if isinstance(record, Acquisition):
            book.add(record)
            reference.add(record)
        else:
            for each, order in ((book, order_for), (reference, reference_order)):
                each.consume(
                    record.asset,
                    record.wallet,
                    record.amount,
                    order(method, record.proceeds / record.amount, record.time.date(), US_ZONE),
                    universal=record.time.year < 2025,
                    when=record.time,
                )
    rng = random.Random(7)
    for _ in range(60):
        asset, wallet = rng.choice(list(ASSETS)), rng.choice(WALLETS)
        held = reference.held(asset, wallet)
        if held == 0:
            continue
        amount = min(held, rng.choice(AMOUNTS))
        day = date(rng.choice([2024, 2025, 2026]), rng.randint(1, 12), rng.randint(1, 28))
        price = ASSETS[asset] * rng.choice(FACTORS)
        universal = day.year < 2025
        fast = book.pick(asset, wallet, amount, order_for(method, price, day), universal=universal)
        slow = reference.pick(asset, wallet, amount, reference_order(method, price, day), universal=universal)
        assert fast == slow, (asset, wallet, amount, day)
    assert book.open_lots() == reference.open_lots()
    assert book.copy().open_lots() == reference.copy().open_lots()


@pytest.mark.parametrize("seed", [1, 4, 5])
@pytest.mark.parametrize("zone", [US_ZONE, ZoneInfo("Asia/Tokyo")])
def test_the_fifo_walk_is_the_book_walk_digit_for_digit(seed: int, zone: ZoneInfo) -> None:
    # us_reports walks FIFO without wash sales on FifoWalk, not on the book (whose walk the tests above
    # hold to the reference). Equal Decimals may differ in exponent ("0.50", "0.5"), and a report
    # prints them: the rows, totals and lots must be the same digits, not only the same values.
    events = history(seed, 3000)
    fast = us_reports(records_in_time_order(events, "USD"), years=YEARS, zone=zone)
    book = us_reports_on_book(records_in_time_order(events, "USD"), years=YEARS, zone=zone)
    for year in YEARS:
        assert repr(fast[year].disposals) == repr(book[year].disposals)
        assert repr((fast[year].short_term, fast[year].long_term)) == repr(
            (book[year].short_term, book[year].long_term)
        )
    assert repr(fast[2025].book.open_lots()) == repr(book[2025].book.open_lots())
    # The lots left serve previews as the book's do, in every order and pool.
    rng = random.Random(seed)
    for _ in range(40):
        asset, wallet = rng.choice(list(ASSETS)), rng.choice(WALLETS)
        held = book[2025].book.held(asset, wallet)
        if held == 0:
            continue
        amount = min(held, rng.choice(AMOUNTS))
        day = date(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28))
        order = order_for(rng.choice(METHODS), ASSETS[asset], day)
        universal = day.year < 2025
        assert repr(fast[2025].book.pick(asset, wallet, amount, order, universal=universal)) == repr(
            book[2025].book.pick(asset, wallet, amount, order, universal=universal)
        )


@pytest.mark.parametrize(
    ("wallet", "asset", "amount", "when"),
    [
        ("alpha", "BTC", D(1000), datetime(2024, 6, 1, tzinfo=UTC)),  # universal pool, more than held
        ("alpha", "BTC", D(1000), datetime(2025, 6, 1, tzinfo=UTC)),  # per wallet
        ("nowhere", "BTC", D("0.1"), datetime(2024, 6, 1, tzinfo=UTC)),  # a wallet that never held any
        ("alpha", "XRP", D("0.1"), datetime(2024, 6, 1, tzinfo=UTC)),  # an asset never bought
    ],
)
def test_the_fifo_walk_refuses_an_oversale_as_the_book_does(
    wallet: str, asset: str, amount: Decimal, when: datetime
) -> None:
    events = [e for e in history(6, 400) if e.timestamp < when]
    events.append(TaxEvent(when, wallet, EventType.SELL, asset, amount, D(100), line=9999))
    with pytest.raises(TaxError) as fast:
        us_reports(records_in_time_order(events, "USD"), years=(2024,))
    with pytest.raises(TaxError) as book:
        us_reports_on_book(records_in_time_order(events, "USD"), years=(2024,))
    assert type(fast.value) is type(book.value)
    assert str(fast.value) == str(book.value)
    assert "line 9999" in str(fast.value)


@pytest.mark.parametrize("method", ["hifo", "min-tax"])
@pytest.mark.parametrize("seed", [1, 4, 5])
@pytest.mark.parametrize("zone", [US_ZONE, ZoneInfo("Asia/Tokyo")])
def test_the_cost_walk_is_the_book_walk_digit_for_digit(method: Method, seed: int, zone: ZoneInfo) -> None:
    # HIFO and min-tax without wash sales walk on CostWalk. Before 2025 their sales take other
    # wallets' pieces and the seller hands its oldest over, in runs of pieces moved at once: the rows,
    # totals, lots left and their places must be the book's, digit for digit.
    events = history(seed, 3000)
    fast = us_reports(records_in_time_order(events, "USD"), years=YEARS, method=method, zone=zone)
    book = us_reports_on_book(records_in_time_order(events, "USD"), years=YEARS, method=method, zone=zone)
    for year in YEARS:
        assert repr(fast[year].disposals) == repr(book[year].disposals)
        assert repr((fast[year].short_term, fast[year].long_term)) == repr(
            (book[year].short_term, book[year].long_term)
        )
    # Sales took other wallets' lots (so the sellers handed theirs over), and lots moved wallets.
    records = list(records_in_time_order(events, "USD"))
    bought_by = {
        str(n): record.wallet
        for n, record in enumerate((r for r in records if isinstance(r, Acquisition)), start=1)
    }
    assert any(row.wallet != bought_by[row.lot_ids[0]] for row in fast[2024].disposals)
    # The lots as the universal pool left them on 1 January 2025 (moved, split, handed on).
    before = [event for event in events if event.timestamp < datetime(2024, 12, 31, tzinfo=UTC)]
    fast_lots = us_reports(records_in_time_order(before, "USD"), years=(2024,), method=method, zone=zone)
    book_lots = us_reports_on_book(
        records_in_time_order(before, "USD"), years=(2024,), method=method, zone=zone
    )
    assert repr(fast_lots[2024].book.open_lots()) == repr(book_lots[2024].book.open_lots())
    assert any(lot.wallet != bought_by[lot.lot_id] for lot in fast_lots[2024].book.open_lots())
    assert repr(fast[2025].book.open_lots()) == repr(book[2025].book.open_lots())
    for asset in ASSETS:
        for wallet in WALLETS:
            assert repr(fast[2025].book.held(asset, wallet)) == repr(book[2025].book.held(asset, wallet))
    rng = random.Random(seed)
    for _ in range(40):
        asset, wallet = rng.choice(list(ASSETS)), rng.choice(WALLETS)
        held = book[2025].book.held(asset, wallet)
        if held == 0:
            continue
        amount = min(held, rng.choice(AMOUNTS))
        day = date(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28))
        order = order_for(method, ASSETS[asset] * rng.choice(FACTORS), day, zone)
        universal = day.year < 2025
        assert repr(fast[2025].book.pick(asset, wallet, amount, order, universal=universal)) == repr(
            book[2025].book.pick(asset, wallet, amount, order, universal=universal)
        )


@pytest.mark.parametrize("method", ["hifo", "min-tax"])
@pytest.mark.parametrize(
    ("wallet", "asset", "amount", "when"),
    [
        ("alpha", "BTC", D(1000), datetime(2024, 6, 1, tzinfo=UTC)),
        ("alpha", "BTC", D(1000), datetime(2025, 6, 1, tzinfo=UTC)),
        ("nowhere", "BTC", D("0.1"), datetime(2024, 6, 1, tzinfo=UTC)),
        ("alpha", "XRP", D("0.1"), datetime(2024, 6, 1, tzinfo=UTC)),
    ],
)
def test_the_cost_walk_refuses_an_oversale_as_the_book_does(
    method: Method, wallet: str, asset: str, amount: Decimal, when: datetime
) -> None:
    events = [e for e in history(6, 400) if e.timestamp < when]
    events.append(TaxEvent(when, wallet, EventType.SELL, asset, amount, D(100), line=9999))
    with pytest.raises(TaxError) as fast:
        us_reports(records_in_time_order(events, "USD"), years=(2024,), method=method)
    with pytest.raises(TaxError) as book:
        us_reports_on_book(records_in_time_order(events, "USD"), years=(2024,), method=method)
    assert type(fast.value) is type(book.value)
    assert str(fast.value) == str(book.value)
    assert "line 9999" in str(fast.value)

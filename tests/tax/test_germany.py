"""German § 23 report: worked examples, computed by hand in the comments (Europe/Berlin dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tax_records import buy, sell

from trimtab.errors import TaxError
from trimtab.tax.germany import de_report, freigrenze
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.normalize import Record, Sale, normalize

D = Decimal  # short for the many literals below


def utc(y: int, m: int, d: int, h: int = 12) -> datetime:
    """12:00 UTC is 13:00 or 14:00 in Berlin: the same calendar date."""
    return datetime(y, m, d, h, tzinfo=UTC)


def rows(
    records: list[Record], year: int, *, per_wallet: bool = True
) -> list[tuple[str, date | None, date, bool | None, Decimal]]:
    report = de_report(records, year=year, per_wallet=per_wallet)
    return [(d.lot_ids[0], d.acquired, d.disposed, d.taxable, d.gain) for d in report.disposals]


def test_one_year_boundary_10_march() -> None:
    # Bought 2 BTC on 10.03.2024 for 100,000. Sold 1 on 10.03.2025 for 60,000: "nicht mehr als ein
    # Jahr" -> taxable, +10,000. Sold 1 on 11.03.2025 for 60,000: tax-free, +10,000.
    records = [
        buy("2", "100000", utc(2024, 3, 10)),
        sell("1", "60000", utc(2025, 3, 10)),
        sell("1", "60000", utc(2025, 3, 11)),
    ]
    assert rows(records, 2025) == [
        ("1", date(2024, 3, 10), date(2025, 3, 10), True, D(10000)),
        ("1", date(2024, 3, 10), date(2025, 3, 11), False, D(10000)),
    ]
    report = de_report(records, year=2025)
    assert (report.taxable_result, report.taxable, report.tax_free_result) == (D(10000), D(10000), D(10000))


def test_29_february_period_ends_28_february() -> None:
    # Bought 29.02.2024: the period ends 28.02.2025 (§ 188(3) BGB). Sold 28.02.2025 taxable, 01.03.2025 free.
    records = [
        buy("2", "2000", utc(2024, 2, 29)),
        sell("1", "1500", utc(2025, 2, 28)),
        sell("1", "1500", utc(2025, 3, 1)),
    ]
    assert [(r[3], r[4]) for r in rows(records, 2025)] == [(True, D(500)), (False, D(500))]


def test_the_berlin_date_counts_not_the_utc_date() -> None:
    # Bought 10.03.2024 23:30 UTC = 11.03.2024 00:30 CET: the period ends 11.03.2025, so a sale on
    # 11.03.2025 is still taxable (UTC dates would call it tax-free).
    records = [
        buy("1", "50000", datetime(2024, 3, 10, 23, 30, tzinfo=UTC)),
        sell("1", "61000", utc(2025, 3, 11)),
    ]
    assert rows(records, 2025) == [("1", date(2024, 3, 11), date(2025, 3, 11), True, D(11000))]


def test_per_wallet_fifo_makes_a_gain_taxable_that_global_fifo_calls_tax_free() -> None:
    # 15.01.2023: 1 BTC into "cold" for 15,000. 01.06.2024: 1 BTC on "exchange" for 60,000.
    # 01.02.2025: sell 1 BTC on "exchange" for 90,000.
    records = [
        buy("1", "15000", utc(2023, 1, 15), "cold"),
        buy("1", "60000", utc(2024, 6, 1), "exchange"),
        sell("1", "90000", utc(2025, 2, 1), "exchange"),
    ]
    # Per wallet (BMF 06.03.2025 Rz. 61-62): the exchange's own lot 2, held 8 months: +30,000 taxable.
    report = de_report(records, year=2025)
    assert rows(records, 2025) == [("2", date(2024, 6, 1), date(2025, 2, 1), True, D(30000))]
    assert (report.taxable_result, report.taxable) == (D(30000), D(30000))
    # Legacy global FIFO: the cold wallet's 2023 lot, held two years: +75,000 tax-free, nothing taxed.
    legacy = de_report(records, year=2025, per_wallet=False)
    assert rows(records, 2025, per_wallet=False) == [
        ("1", date(2023, 1, 15), date(2025, 2, 1), False, D(75000))
    ]
    assert (legacy.taxable_result, legacy.taxable, legacy.tax_free_result) == (D(0), D(0), D(75000))


def one_sale(year: int, proceeds: str, cost: str = "2000.00") -> list[Record]:
    return [buy("1", cost, utc(year, 1, 10), asset="ETH"), sell("1", proceeds, utc(year, 5, 10), asset="ETH")]


@pytest.mark.parametrize(
    ("year", "proceeds", "result", "taxed"),
    [
        (2024, "2999.99", "999.99", "0"),  # weniger als 1,000: tax-free
        (2024, "3000.00", "1000.00", "1000.00"),  # exactly 1,000.00: all of it is taxed
        (2024, "3500.00", "1500.00", "1500.00"),  # a cliff, not an allowance: not 500
        (2023, "2599.99", "599.99", "0"),  # 2023: the threshold is 600
        (2023, "2600.00", "600.00", "600.00"),
        (2024, "1500.00", "-500.00", "0"),  # a net loss: reported, taxed nothing
    ],
)
def test_freigrenze_cliff(year: int, proceeds: str, result: str, taxed: str) -> None:
    report = de_report(one_sale(year, proceeds), year=year)
    assert (report.taxable_result, report.taxable) == (D(result), D(taxed))
    assert report.freigrenze == (D(1000) if year >= 2024 else D(600))


def test_taxable_gains_and_losses_net_and_tax_free_losses_do_not_count() -> None:
    # 2024: ETH +1,500 taxable; SOL -600 taxable; BTC bought 2022, sold 2024 at -5,000 (tax-free, ignored).
    # Net 900 < 1,000: nothing taxed.
    records = [
        buy("1", "10000", utc(2022, 1, 10)),
        *one_sale(2024, "3500.00"),
        buy("10", "1600", utc(2024, 2, 1), asset="SOL"),
        sell("10", "1000", utc(2024, 3, 1), asset="SOL"),
        sell("1", "5000", utc(2024, 6, 1)),
    ]
    report = de_report(records, year=2024)
    assert (report.taxable_result, report.taxable, report.tax_free_result) == (D(900), D(0), D(-5000))
    assert [d.taxable for d in report.disposals] == [True, True, False]


def test_swap_with_a_crypto_fee() -> None:
    # 10.01.2024: buy 2 ETH @ 2,000 EUR + 4 EUR fee -> lot 1: 2 ETH, cost 4,004 (2,002 per ETH).
    # 01.07.2024: swap 1 ETH @ 3,000 for 0.05 BTC @ 60,000 (3,000), fee 0.01 ETH (30 EUR):
    #   - sale of 1 ETH: proceeds 3,000 - 30 = 2,970, cost 2,002 -> +968 taxable;
    #   - the fee units: 0.01 ETH disposed at 30, cost 20.02 -> +9.98 taxable;
    #   - lot 2: 0.05 BTC, cost 3,000 (Rz. 59).
    # 01.12.2024: sell 0.05 BTC @ 62,000 (3,100) - 10 EUR fee = 3,090 -> +90 taxable.
    # Net 968 + 9.98 + 90 = 1,067.98 >= 1,000: all taxed. Left: 0.99 ETH at 4,004 - 2,002 - 20.02 = 1,981.98.
    events = [
        TaxEvent(utc(2024, 1, 10), "kraken", EventType.BUY, "ETH", D(2), D(2000), D(4), "EUR", line=2),
        TaxEvent(utc(2024, 7, 1), "kraken", EventType.SELL, "ETH", D(1), D(3000), D("0.01"), "ETH", line=3),
        TaxEvent(utc(2024, 7, 1), "kraken", EventType.BUY, "BTC", D("0.05"), D(60000), line=4),
        TaxEvent(
            utc(2024, 12, 1), "kraken", EventType.SELL, "BTC", D("0.05"), D(62000), D(10), "EUR", line=5
        ),
    ]
    report = de_report(normalize(events, "EUR"), year=2024)
    assert [(d.asset, d.amount, d.proceeds, d.cost, d.gain, d.taxable) for d in report.disposals] == [
        ("ETH", D(1), D(2970), D(2002), D(968), True),
        ("ETH", D("0.01"), D(30), D("20.02"), D("9.98"), True),
        ("BTC", D("0.05"), D(3090), D(3000), D(90), True),
    ]
    assert (report.taxable_result, report.taxable) == (D("1067.98"), D("1067.98"))
    assert [(lot.asset, lot.amount, lot.cost) for lot in report.book.open_lots()] == [
        ("ETH", D("0.99"), D("1981.98"))
    ]


def test_a_sale_fee_is_split_between_taxable_and_tax_free_pieces() -> None:
    # Lot 1: 1 BTC on 01.02.2023 for 20,000; lot 2: 1 BTC on 01.02.2024 for 40,000.
    # 01.06.2024: sell 2 BTC @ 50,000 - 100 fee = 99,900, shared 49,950 each (Rz. 57):
    # lot 1 tax-free +29,950; lot 2 taxable +9,950.
    events = [
        TaxEvent(utc(2023, 2, 1), "w", EventType.BUY, "BTC", D(1), D(20000)),
        TaxEvent(utc(2024, 2, 1), "w", EventType.BUY, "BTC", D(1), D(40000)),
        TaxEvent(utc(2024, 6, 1), "w", EventType.SELL, "BTC", D(2), D(50000), D(100), "EUR"),
    ]
    records = normalize(events, "EUR")
    assert [(r[0], r[3], r[4]) for r in rows(records, 2024)] == [("1", False, D(29950)), ("2", True, D(9950))]


def test_selling_from_a_wallet_that_holds_too_little() -> None:
    # cold holds 1 BTC, exchange none: per wallet, the exchange cannot sell.
    records: list[Record] = [
        buy("1", "15000", utc(2023, 1, 15), "cold"),
        Sale("BTC", "exchange", D(1), D(90000), utc(2025, 2, 1), line=9),
    ]
    with pytest.raises(
        TaxError,
        match=r"^selling 1 BTC from wallet 'exchange' at 2025-02-01T12:00:00\+00:00 \(line 9\): it holds only 0$",
    ):
        de_report(records, year=2025)


def test_freigrenze_table() -> None:
    assert [freigrenze(y) for y in (2009, 2023, 2024, 2030)] == [D(600), D(600), D(1000), D(1000)]
    with pytest.raises(TaxError, match="no § 23 Freigrenze known for 2008"):
        freigrenze(2008)


def test_only_the_report_year_counts() -> None:
    # A 2024 sale is not in the 2025 report; lots bought in 2024 still feed 2025.
    records = [
        buy("2", "2000", utc(2024, 1, 10)),
        sell("1", "1500", utc(2024, 6, 1)),
        sell("1", "1700", utc(2025, 1, 5)),
    ]
    assert rows(records, 2025) == [("1", date(2024, 1, 10), date(2025, 1, 5), True, D(700))]
    assert de_report(records, year=2025).taxable == D(0)

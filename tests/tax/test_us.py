"""US report: worked examples, computed by hand in the comments (New York dates unless stated)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from tax_records import buy, sell

from trimtab.errors import TaxError
from trimtab.tax.model import EventType, TaxEvent, Term
from trimtab.tax.normalize import Record, Sale, normalize
from trimtab.tax.us import lot_order, preview_sale, us_report
from trimtab.tax.wash_sale import WASH_SALE_DEFAULT, wash_sale_enabled

D = Decimal  # short for the many literals below


def utc(y: int, m: int, d: int, h: int = 16) -> datetime:
    """16:00 UTC is 11:00 or 12:00 in New York: the same calendar date."""
    return datetime(y, m, d, h, tzinfo=UTC)


def rows(
    records: list[Record], year: int, *, wash_sale: bool | None = None
) -> list[tuple[str, Decimal, date | None, Term | None, Decimal]]:
    report = us_report(records, year=year, wash_sale=wash_sale)
    return [(d.lot_ids[0], d.amount, d.acquired, d.term, d.gain) for d in report.disposals]


def test_fifo_vs_hifo_with_fees_inside_cost_and_proceeds() -> None:
    # buy 1 BTC @ 40,000 + 40 fee -> lot 1 cost 40,040; buy 1 BTC @ 50,000 + 50 fee -> lot 2 cost 50,050;
    # sell 1.5 BTC @ 60,000 - 90 fee -> proceeds 89,910, shared 59,940 per BTC.
    events = [
        TaxEvent(utc(2025, 1, 10), "w", EventType.BUY, "BTC", D(1), D(40000), D(40), "USD"),
        TaxEvent(utc(2025, 2, 10), "w", EventType.BUY, "BTC", D(1), D(50000), D(50), "USD"),
        TaxEvent(utc(2025, 6, 10), "w", EventType.SELL, "BTC", D("1.5"), D(60000), D(90), "USD"),
    ]
    records = normalize(events, "USD")
    # FIFO: lot 1 whole: 59,940 - 40,040 = 19,900; 0.5 of lot 2: 29,970 - 25,025 = 4,945. Total 24,845.
    fifo = us_report(records, year=2025)
    assert [(d.lot_ids, d.proceeds, d.cost, d.gain) for d in fifo.disposals] == [
        (("1",), D(59940), D(40040), D(19900)),
        (("2",), D(29970), D(25025), D(4945)),
    ]
    assert (fifo.short_term, fifo.long_term) == (D(24845), D(0))
    # HIFO: lot 2 whole (50,050/BTC): 59,940 - 50,050 = 9,890; 0.5 of lot 1: 29,970 - 20,020 = 9,950.
    hifo = us_report(records, year=2025, method="hifo")
    assert [(d.lot_ids, d.proceeds, d.cost, d.gain) for d in hifo.disposals] == [
        (("2",), D(59940), D(50050), D(9890)),
        (("1",), D(29970), D(20020), D(9950)),
    ]
    assert hifo.short_term == D(19840)
    assert [(lot.lot_id, lot.amount, lot.cost) for lot in hifo.book.open_lots()] == [
        ("1", D("0.5"), D(20020))
    ]


# Lots for the min-tax examples (ids follow the time order), sold on 1 Jun 2025 at 100 per unit:
#   lot 1: 2024-01-01 @ 50  -> long, +50    lot 4: 2025-03-01 @ 80  -> short, +20
#   lot 2: 2024-02-01 @ 120 -> long, -20    lot 5: 2025-04-01 @ 130 -> short, -30
#   lot 3: 2024-03-01 @ 90  -> long, +10    lot 6: 2025-05-01 @ 110 -> short, -10
MIN_TAX_LOTS = [
    buy("1", "50", utc(2024, 1, 1)),
    buy("1", "120", utc(2024, 2, 1)),
    buy("1", "90", utc(2024, 3, 1)),
    buy("1", "80", utc(2025, 3, 1)),
    buy("1", "130", utc(2025, 4, 1)),
    buy("1", "110", utc(2025, 5, 1)),
]


def test_min_tax_order_short_losses_long_losses_long_gains_short_gains() -> None:
    # short losses (largest first) 5, 6; long loss 2; long gains (lowest first) 3, 1; short gain 4
    book = us_report(MIN_TAX_LOTS, year=2025).book
    ordered = lot_order("min-tax", book.open_lots(), D(100), date(2025, 6, 1))
    assert [lot.lot_id for lot in ordered] == ["5", "6", "2", "3", "1", "4"]
    # HIFO by unit cost: 130, 120, 110, 90, 80, 50
    hifo = lot_order("hifo", book.open_lots(), D(100), date(2025, 6, 1))
    assert [lot.lot_id for lot in hifo] == ["5", "2", "6", "3", "4", "1"]


def test_min_tax_sale_versus_fifo() -> None:
    # Sell 3.5 for 350 (100/unit). min-tax: lot 5 -30 S, lot 6 -10 S, lot 2 -20 L, 0.5 of lot 3
    # (cost 45, proceeds 50) +5 L -> short -40, long -15.
    records = [*MIN_TAX_LOTS, sell("3.5", "350", utc(2025, 6, 1))]
    report = us_report(records, year=2025, method="min-tax")
    assert [(d.lot_ids[0], d.term, d.gain) for d in report.disposals] == [
        ("5", Term.SHORT, D(-30)),
        ("6", Term.SHORT, D(-10)),
        ("2", Term.LONG, D(-20)),
        ("3", Term.LONG, D(5)),
    ]
    assert (report.short_term, report.long_term) == (D(-40), D(-15))
    # FIFO: lot 1 +50 L, lot 2 -20 L, lot 3 +10 L, 0.5 of lot 4 (cost 40, proceeds 50) +10 S
    fifo = us_report(records, year=2025)
    assert (fifo.short_term, fifo.long_term) == (D(10), D(40))


def test_anniversary_is_short_the_day_after_is_long() -> None:
    # bought 15 Jun 2024; anniversary 15 Jun 2025 is not "more than one year" (IRS Pub. 544)
    records = [
        buy("2", "200", utc(2024, 6, 15)),
        sell("1", "150", utc(2025, 6, 15)),
        sell("1", "150", utc(2025, 6, 16)),
    ]
    assert rows(records, 2025) == [
        ("1", D(1), date(2024, 6, 15), Term.SHORT, D(50)),
        ("1", D(1), date(2024, 6, 15), Term.LONG, D(50)),
    ]
    report = us_report(records, year=2025)
    assert (report.short_term, report.long_term) == (D(50), D(50))


def test_29_february_and_28_february_before_a_leap_year() -> None:
    # 29 Feb 2024 -> anniversary 28 Feb 2025: sold 28 Feb short, 1 Mar long.
    leap = [
        buy("2", "200", utc(2024, 2, 29)),
        sell("1", "100", utc(2025, 2, 28)),
        sell("1", "100", utc(2025, 3, 1)),
    ]
    assert [(r[3], r[4]) for r in rows(leap, 2025)] == [(Term.SHORT, D(0)), (Term.LONG, D(0))]
    # 28 Feb 2023 is a month end: under the month-end convention (to verify) the
    # anniversary is 29 Feb 2024, so a sale on 29 Feb 2024 is still short, on 1 Mar 2024 long.
    before = [
        buy("2", "200", utc(2023, 2, 28)),
        sell("1", "90", utc(2024, 2, 29)),
        sell("1", "90", utc(2024, 3, 1)),
    ]
    assert [(r[3], r[4]) for r in rows(before, 2024)] == [(Term.SHORT, D(-10)), (Term.LONG, D(-10))]


def test_a_trade_at_2am_utc_on_1_january_is_31_december_in_new_york() -> None:
    # 2025-01-01 02:00 UTC = 2024-12-31 21:00 EST: the sale belongs to tax year 2024.
    records = [buy("1", "100", utc(2024, 3, 1)), sell("1", "160", datetime(2025, 1, 1, 2, tzinfo=UTC))]
    assert rows(records, 2024) == [("1", D(1), date(2024, 3, 1), Term.SHORT, D(60))]
    assert rows(records, 2025) == []
    # Bought 2024-01-01 03:00 UTC = 31 Dec 2023 in New York (a month end: anniversary 31 Dec 2024):
    # a sale on 1 Jan 2025 is long-term, though the UTC dates 2024-01-01 -> 2025-01-01 would say short.
    records = [buy("1", "100", datetime(2024, 1, 1, 3, tzinfo=UTC)), sell("1", "90", utc(2025, 1, 1))]
    assert rows(records, 2025) == [("1", D(1), date(2023, 12, 31), Term.LONG, D(-10))]


# Lot 1: 1 BTC in "cold" on 1 Mar 2023 for 10,000; lot 2: 1 BTC in "hot" on 1 Mar 2024 for 40,000.
WALLETS = [buy("1", "10000", utc(2023, 3, 1), "cold"), buy("1", "40000", utc(2024, 3, 1), "hot")]


def test_universal_pool_before_2025_per_wallet_from_2025() -> None:
    # 2024: selling 1 BTC from "hot" for 50,000 uses the universal FIFO lot, lot 1 of "cold":
    # 50,000 - 10,000 = 40,000 long (1 Mar 2023 -> 2 Sep 2024). "hot" hands its unit (lot 2) to "cold".
    universal = [*WALLETS, sell("1", "50000", utc(2024, 9, 2), "hot")]
    report = us_report(universal, year=2024)
    assert rows(universal, 2024) == [("1", D(1), date(2023, 3, 1), Term.LONG, D(40000))]
    assert [(lot.lot_id, lot.wallet, lot.cost) for lot in report.book.open_lots()] == [
        ("2", "cold", D(40000))
    ]
    # 2025: the same sale uses "hot"'s own lot 2: 50,000 - 40,000 = 10,000, short (1 Mar 2024 -> 3 Feb 2025).
    per_wallet = [*WALLETS, sell("1", "50000", utc(2025, 2, 3), "hot")]
    assert rows(per_wallet, 2025) == [("2", D(1), date(2024, 3, 1), Term.SHORT, D(10000))]
    # After the 2024 sale, "cold" holds lot 2's basis: selling it on 2 Jun 2025 for 45,000 gains 5,000 long;
    # "hot" is empty.
    later = [*universal, sell("1", "45000", utc(2025, 6, 2), "cold")]
    assert rows(later, 2025) == [("2", D(1), date(2024, 3, 1), Term.LONG, D(5000))]
    with pytest.raises(TaxError, match=r"selling 1 BTC from wallet 'hot' at 2025-06-02.*holds only 0"):
        us_report([*universal, sell("1", "45000", utc(2025, 6, 2), "hot")], year=2025)


def test_the_local_date_decides_the_pool() -> None:
    # 2025-01-01 02:00 UTC is 31 Dec 2024 in New York: still the universal pool, so lot 1 of "cold".
    records = [*WALLETS, sell("1", "50000", datetime(2025, 1, 1, 2, tzinfo=UTC), "hot")]
    assert rows(records, 2024) == [("1", D(1), date(2023, 3, 1), Term.LONG, D(40000))]


def test_selling_more_than_held_is_one_clear_line() -> None:
    records: list[Record] = [
        buy("0.5", "100", utc(2025, 1, 2)),
        Sale("BTC", "w", D(1), D(300), utc(2025, 2, 3), line=12),
    ]
    with pytest.raises(TaxError) as caught:
        us_report(records, year=2025)
    assert (
        str(caught.value)
        == "selling 1 BTC from wallet 'w' at 2025-02-03T16:00:00+00:00 (line 12): it holds only 0.5"
    )


def test_unknown_method_is_refused() -> None:
    with pytest.raises(TaxError, match="unknown lot method 'lifo'"):
        us_report([], year=2025, method="lifo")  # type: ignore[arg-type]


def test_wash_sale_is_off_for_every_year_so_far() -> None:
    assert not any(WASH_SALE_DEFAULT.values())
    assert not wash_sale_enabled(2025)
    assert not wash_sale_enabled(2031)
    assert wash_sale_enabled(2025, True)


# ETH bought 2 Jan 2025 for 3,000; sold 3 Mar 2025 for 2,000 (loss 1,000); bought back 20 Mar 2025
# (17 days later) for 2,100; sold 1 Feb 2026 for 2,500.
BUYBACK = [
    buy("1", "3000", utc(2025, 1, 2), asset="ETH"),
    sell("1", "2000", utc(2025, 3, 3), asset="ETH"),
    buy("1", "2100", utc(2025, 3, 20), asset="ETH"),
    sell("1", "2500", utc(2026, 2, 1), asset="ETH"),
]


def test_wash_sale_off_by_default() -> None:
    # 2025: -1,000 short. 2026: lot 2 (20 Mar 2025 -> 1 Feb 2026) 2,500 - 2,100 = +400 short.
    assert us_report(BUYBACK, year=2025).short_term == D(-1000)
    report = us_report(BUYBACK, year=2026)
    assert rows(BUYBACK, 2026) == [("2", D(1), date(2025, 3, 20), Term.SHORT, D(400))]
    assert not report.wash_sale


def test_wash_sale_replacement_after_the_sale() -> None:
    # On: the 1,000 loss is disallowed (adjustment 1,000, gain 0) and added to the buy-back: piece
    # "2.1" costs 2,100 + 1,000 = 3,100 and is held since 2 Jan 2025 (tacked). Sold 1 Feb 2026:
    # more than a year after 2 Jan 2025 -> long, 2,500 - 3,100 = -600.
    first = us_report(BUYBACK, year=2025, wash_sale=True)
    assert [(d.gain, d.adjustment) for d in first.disposals] == [(D(0), D(1000))]
    assert first.wash_sale
    assert rows(BUYBACK, 2026, wash_sale=True) == [("2.1", D(1), date(2025, 1, 2), Term.LONG, D(-600))]


def test_wash_sale_replacement_before_the_sale_and_partial() -> None:
    # 2 Jan: 2 BTC in "a" for 100,000 (lot 1). 20 May: 0.5 BTC in "b" for 20,000 (lot 2).
    # 1 Jun: sell the 2 BTC from "a" for 80,000: loss 20,000 (10,000 per BTC).
    # - lot 2 (12 days before, another wallet) replaces 0.5 BTC: 5,000 disallowed -> "2.1" costs 25,000.
    # - 1 Jul (30 days after): 1 BTC for 45,000 (lot 3) replaces 1 BTC: 10,000 -> "3.1" costs 55,000.
    # - 2 Jul (31 days after): 1 BTC (lot 4): outside the window, no match.
    # Disallowed 15,000 of 20,000: adjustment 15,000, gain -5,000.
    records = [
        buy("2", "100000", utc(2025, 1, 2), "a"),
        buy("0.5", "20000", utc(2025, 5, 20), "b"),
        sell("2", "80000", utc(2025, 6, 1), "a"),
        buy("1", "45000", utc(2025, 7, 1), "a"),
        buy("1", "46000", utc(2025, 7, 2), "a"),
    ]
    report = us_report(records, year=2025, wash_sale=True)
    assert [(d.proceeds, d.cost, d.adjustment, d.gain) for d in report.disposals] == [
        (D(80000), D(100000), D(15000), D(-5000))
    ]
    assert [
        (lot.lot_id, lot.wallet, lot.amount, lot.cost, lot.acquired) for lot in report.book.open_lots()
    ] == [
        ("2.1", "b", D("0.5"), D(25000), utc(2025, 1, 2)),
        ("3.1", "a", D(1), D(55000), utc(2025, 1, 2)),
        ("4", "a", D(1), D(46000), utc(2025, 7, 2)),
    ]
    off = us_report(records, year=2025)
    assert [(d.adjustment, d.gain) for d in off.disposals] == [(D(0), D(-20000))]
    assert [lot.lot_id for lot in off.book.open_lots()] == ["2", "3", "4"]


def test_wash_sale_ignores_the_rest_of_the_same_purchase() -> None:
    # 2 BTC bought on 2 Jan, 1 sold at a loss on 12 Jan: the other unit of the same purchase is not a
    # replacement (Rev. Rul. 56-602): the 300 loss stands.
    records = [buy("2", "1000", utc(2025, 1, 2)), sell("1", "200", utc(2025, 1, 12))]
    report = us_report(records, year=2025, wash_sale=True)
    assert [(d.adjustment, d.gain) for d in report.disposals] == [(D(0), D(-300))]


def test_preview_sale_is_a_dry_run() -> None:
    # Same lots as the min-tax example; a sale of 2 for 190 (95/unit, net of fees) on 1 Jun 2025:
    # min-tax takes lot 5 (95 - 130 = -35 S) and lot 6 (95 - 110 = -15 S).
    book = us_report(MIN_TAX_LOTS, year=2025).book
    before = book.open_lots()
    preview = preview_sale(book, "BTC", "w", D(2), D(190), utc(2025, 6, 1), method="min-tax")
    assert [(d.lot_ids[0], d.term, d.gain) for d in preview.disposals] == [
        ("5", Term.SHORT, D(-35)),
        ("6", Term.SHORT, D(-15)),
    ]
    assert (preview.short_term, preview.long_term, preview.total) == (D(-50), D(0), D(-50))
    assert book.open_lots() == before
    fifo = preview_sale(book, "BTC", "w", D(2), D(190), utc(2025, 6, 1))
    # FIFO: lot 1 (95 - 50 = +45 L), lot 2 (95 - 120 = -25 L)
    assert (fifo.short_term, fifo.long_term) == (D(0), D(20))

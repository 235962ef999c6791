"""UK CGT matching (same day s105, 30 days s106A, section 104 pool) and the year's totals.

Every expected figure is worked by hand in the comments. The HMRC examples are from the Cryptoassets
Manual, pooling examples CRYPTO22251-22256 (gov.uk/hmrc-internal-manuals/cryptoassets-manual), whose
dates are "20XX": they are placed in 2024/25 here. HMRC prints whole pounds and rounds an allowable
cost up (£937.50 -> £938); the engine keeps exact Decimals, so the exact figure is asserted and the
rounding noted.

Timestamps without a time are 12:00 UTC, the same local date in GMT and BST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

import pytest

from trimtab.tax.model import Disposal, EventType, MatchRule, TaxEvent
from trimtab.tax.normalize import Acquisition, Record, Sale, normalize
from trimtab.tax.uk import (
    UK_ZONE,
    UKReport,
    annual_exempt_amount,
    reporting_proceeds_threshold,
    uk_report,
)
from trimtab.tax.uk_match import Section104Pool, match_token, match_uk

D = Decimal
SAME, THIRTY, POOL = MatchRule.SAME_DAY, MatchRule.THIRTY_DAY, MatchRule.POOL


def at(text: str) -> datetime:
    """``"2024-06-01"`` (12:00 UTC) or ``"2024-06-01T23:30"`` (UTC)."""
    return datetime.fromisoformat(text if "T" in text else f"{text}T12:00").replace(tzinfo=UTC)


def buy(when: str, amount: str | int, cost: str | int, asset: str = "TOK", wallet: str = "w") -> Acquisition:
    return Acquisition(asset, wallet, D(amount), D(cost), at(when))


def sell(when: str, amount: str | int, proceeds: str | int, asset: str = "TOK", wallet: str = "w") -> Sale:
    return Sale(asset, wallet, D(amount), D(proceeds), at(when))


Row = tuple[MatchRule | None, date | None, date, Decimal, Decimal, Decimal]


def rows(disposals: tuple[Disposal, ...]) -> list[Row]:
    """(rule, acquired, disposed, amount, proceeds, cost) per row."""
    return [(d.rule, d.acquired, d.disposed, d.amount, d.proceeds, d.cost) for d in disposals]


def pool(report: UKReport, asset: str = "TOK") -> tuple[Decimal, Decimal]:
    found = [(p.amount, p.cost) for p in report.pools if p.asset == asset]
    return found[0] if found else (D(0), D(0))


# --- section 104 pool -------------------------------------------------------------------------------


def test_pool_disposal_at_average_cost() -> None:
    # Buy 1 for £10,000, later 1 for £20,000: pool 2 units, £30,000. Sell 1 for £25,000:
    # cost = 30,000 x 1/2 = 15,000; gain = 25,000 - 15,000 = 10,000. Pool left: 1 unit, £15,000.
    report = uk_report(
        [buy("2024-05-01", 1, 10000), buy("2024-06-01", 1, 20000), sell("2024-08-01", 1, 25000)], year=2024
    )
    assert rows(report.disposals) == [(POOL, None, date(2024, 8, 1), D(1), D(25000), D(15000))]
    assert report.net_gain == D(10000)
    assert pool(report) == (D(1), D(15000))


def test_hmrc_crypto22251_basic_section_104_pool() -> None:
    # CRYPTO22251 (Victoria): 100 token A for £1,000; on 18 Sep 50 more for £125,000: pool 150, £126,000.
    # On 1 Dec she sells 50 for £300,000: cost 126,000 x 50/150 = £42,000, gain £258,000; the pool
    # keeps 100 token A and £84,000.
    report = uk_report(
        [
            buy("2024-04-10", 100, 1000, "A"),
            buy("2024-09-18", 50, 125000, "A"),
            sell("2024-12-01", 50, 300000, "A"),
        ],
        year=2024,
    )
    assert rows(report.disposals) == [(POOL, None, date(2024, 12, 1), D(50), D(300000), D(42000))]
    assert report.gains == D(258000)
    assert pool(report, "A") == (D(100), D(84000))


def test_fees_are_allowable_cost_and_deducted_from_proceeds() -> None:
    # Via normalize: buy 1 BTC at £10,000 + £50 fee -> cost 10,050; sell 1 BTC at £12,000 - £60 fee ->
    # proceeds 11,940. Gain = 11,940 - 10,050 = 1,890 (fees are allowable costs, CRYPTO22200).
    events = [
        TaxEvent(at("2024-05-01"), "ex", EventType.BUY, "BTC", D(1), D(10000), D(50), "GBP"),
        TaxEvent(at("2024-09-01"), "ex", EventType.SELL, "BTC", D(1), D(12000), D(60), "GBP"),
    ]
    report = uk_report(normalize(events, "GBP"), year=2024)
    assert rows(report.disposals) == [(POOL, None, date(2024, 9, 1), D(1), D(11940), D(10050))]
    assert report.net_gain == D(1890)


def test_fee_paid_in_the_token_is_a_same_day_disposal() -> None:
    # Buy 2 BTC at £10,000 with a 0.001 BTC fee (worth £10): normalize gives an acquisition of 2 BTC
    # costing 20,010 and a disposal of 0.001 BTC for 10 at the same time. Same day (s105): cost
    # 20,010 x 0.001/2 = 10.005, loss 0.005. The other 1.999 BTC enter the pool at
    # 20,010 - 10.005 = 19,999.995.
    events = [TaxEvent(at("2024-05-01"), "ex", EventType.BUY, "BTC", D(2), D(10000), D("0.001"), "BTC")]
    report = uk_report(normalize(events, "GBP"), year=2024)
    assert rows(report.disposals) == [
        (SAME, date(2024, 5, 1), date(2024, 5, 1), D("0.001"), D("10.000"), D("10.005"))
    ]
    assert report.losses == D("0.005")
    assert pool(report, "BTC") == (D("1.999"), D("19999.995"))


# --- same day ---------------------------------------------------------------------------------------


def test_same_day_rule_beats_the_pool() -> None:
    # Pool: 10 units for £1,000 (£100 each). On 1 Jul: sell 5 for £1,500 at 09:00, buy 5 for £1,200 at
    # 15:00. The later purchase is matched first (s105): cost 1,200, gain 300 (the pool would have
    # given cost 500, gain 1,000). The pool is untouched: 10 units, £1,000.
    report = uk_report(
        [buy("2024-05-01", 10, 1000), sell("2024-07-01T09:00", 5, 1500), buy("2024-07-01T15:00", 5, 1200)],
        year=2024,
    )
    assert rows(report.disposals) == [(SAME, date(2024, 7, 1), date(2024, 7, 1), D(5), D(1500), D(1200))]
    assert report.net_gain == D(300)
    assert pool(report) == (D(10), D(1000))


def test_hmrc_crypto22252_same_day_rule() -> None:
    # CRYPTO22252 (Martyn): pool 5,000 token B, £500. On 23 June: morning sell 1,000 for £800,
    # afternoon buy 1,600 for £1,000, evening sell 500 for £600. One disposal of 1,500 for £1,400,
    # matched with the day's acquisition: cost 1,000 x 1,500/1,600 = 937.50 (HMRC: £938), gain 462.50
    # (HMRC: £462). The other 100 and their 62.50 join the pool: 5,100, £562.50 (HMRC: £562).
    report = uk_report(
        [
            buy("2024-04-20", 5000, 500, "B"),
            sell("2024-06-23T08:00", 1000, 800, "B"),
            buy("2024-06-23T13:00", 1600, 1000, "B"),
            sell("2024-06-23T19:00", 500, 600, "B"),
        ],
        year=2024,
    )
    assert rows(report.disposals) == [
        (SAME, date(2024, 6, 23), date(2024, 6, 23), D(1500), D(1400), D("937.5"))
    ]
    assert report.disposals[0].cost.quantize(D(1), ROUND_CEILING) == D(938)
    assert report.gains == D("462.5")
    assert report.disposal_count == 1
    assert pool(report, "B") == (D(5100), D("562.5"))


def test_hmrc_crypto22254_same_day_then_pool() -> None:
    # CRYPTO22254 (Daniel): pool 8,000 token D, £1,000. On 31 Jan: sell 5,000 for £500; buy 4,000 for
    # £320, 1,000 for £75, 1,000 for £70; sell 2,000 for £142; buy 500 for £35. One disposal of 7,000
    # for £642, one acquisition of 6,500 for £500. Same day: 6,500 at £500. Pool: 500 at
    # 1,000 x 500/8,000 = 62.50 (HMRC: £63). Gain 642 - 500 - 62.50 = 79.50 (HMRC: £79).
    # Proceeds pro rata: 642 x 6,500/7,000 = 596.142857...; the pool row gets the rest, 45.857142...
    # Pool after: 7,500, £937.50 (HMRC: £937).
    report = uk_report(
        [
            buy("2024-06-01", 8000, 1000, "D"),
            sell("2025-01-31T09:00", 5000, 500, "D"),
            buy("2025-01-31T10:00", 4000, 320, "D"),
            buy("2025-01-31T11:00", 1000, 75, "D"),
            buy("2025-01-31T12:00", 1000, 70, "D"),
            sell("2025-01-31T13:00", 2000, 142, "D"),
            buy("2025-01-31T14:00", 500, 35, "D"),
        ],
        year=2024,
    )
    day = date(2025, 1, 31)
    assert rows(report.disposals) == [
        (SAME, day, day, D(6500), D("596.1428571428571428571428571"), D(500)),
        (POOL, None, day, D(500), D("45.8571428571428571428571429"), D("62.5")),
    ]
    assert report.proceeds == D(642)
    assert report.net_gain == D("79.5")
    assert pool(report, "D") == (D(7500), D("937.5"))


# --- 30 days ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buyback", "expected_rows", "expected_pool"),
    [
        # Day 10: matched with the buyback (s106A): cost 2,200, loss 200. The pool keeps 10 / 10,000;
        # the buyback never enters it.
        ("2024-06-11", [(THIRTY, date(2024, 6, 11), D(2200))], (D(10), D(10000))),
        # Day 30 (1 Jul = 1 Jun + 30): still inside the window.
        ("2024-07-01", [(THIRTY, date(2024, 7, 1), D(2200))], (D(10), D(10000))),
        # Day 31 (2 Jul): outside. Pool cost 10,000 x 4/10 = 4,000, loss 2,000; pool 6 / 6,000, then the
        # buyback joins: 10 / 8,200.
        ("2024-07-02", [(POOL, None, D(4000))], (D(10), D(8200))),
    ],
)
def test_thirty_day_rule_and_its_window(
    buyback: str,
    expected_rows: list[tuple[MatchRule, date | None, Decimal]],
    expected_pool: tuple[Decimal, Decimal],
) -> None:
    # Pool: 10 units for £10,000. On 1 Jun sell 4 for £2,000 (a £2,000 loss against the pool), then buy 4
    # back for £2,200.
    report = uk_report(
        [buy("2024-05-01", 10, 10000), sell("2024-06-01", 4, 2000), buy(buyback, 4, 2200)], year=2024
    )
    assert [(d.rule, d.acquired, d.cost) for d in report.disposals] == expected_rows
    assert all(d.proceeds == D(2000) and d.disposed == date(2024, 6, 1) for d in report.disposals)
    assert pool(report) == expected_pool


def test_hmrc_crypto22253_thirty_day_rule_across_the_tax_year_end() -> None:
    # CRYPTO22253 (Rachel): pool 2,000 token C, £1,000. Sell 1,000 for £400 on 31 Mar (tax year 2024)
    # and 500 for £150 on 20 Apr (2025); buy 700 for £175 on 21 Apr, 500 for £100 on 28 Apr, 500 for
    # £150 on 1 May.
    # 31 Mar (window to 30 Apr): 700 of 21 Apr (£175) + 300 of 28 Apr (100 x 300/500 = £60), gain
    #   400 - 235 = £165; proceeds 400 x 700/1,000 = 280 and 120.
    # 20 Apr: 200 of 28 Apr (£40) + 300 of 1 May (150 x 300/500 = £90), gain 150 - 130 = £20;
    #   proceeds 150 x 200/500 = 60 and 90.
    # The other 200 of 1 May (£60) enter the pool: 2,200, £1,060. The pool paid for none of it.
    records: list[Record] = [
        buy("2024-04-10", 2000, 1000, "C"),
        sell("2025-03-31", 1000, 400, "C"),
        sell("2025-04-20", 500, 150, "C"),
        buy("2025-04-21", 700, 175, "C"),
        buy("2025-04-28", 500, 100, "C"),
        buy("2025-05-01", 500, 150, "C"),
    ]
    first = uk_report(records, year=2024)
    assert rows(first.disposals) == [
        (THIRTY, date(2025, 4, 21), date(2025, 3, 31), D(700), D(280), D(175)),
        (THIRTY, date(2025, 4, 28), date(2025, 3, 31), D(300), D(120), D(60)),
    ]
    assert first.gains == D(165)
    assert pool(first, "C") == (D(2000), D(1000))  # on 5 Apr 2025
    second = uk_report(records, year=2025)
    assert rows(second.disposals) == [
        (THIRTY, date(2025, 4, 28), date(2025, 4, 20), D(200), D(60), D(40)),
        (THIRTY, date(2025, 5, 1), date(2025, 4, 20), D(300), D(90), D(90)),
    ]
    assert second.gains == D(20)
    assert pool(second, "C") == (D(2200), D(1060))


def test_hmrc_crypto22255_partial_thirty_day_match_rest_from_pool() -> None:
    # CRYPTO22255 (Melanie): pool 14,000 token E, £200,000. On 30 Aug she sells 4,000 for £160,000; on
    # 11 Sep she buys 500 for £17,500. 30 days: 500 at £17,500 (proceeds 160,000 x 500/4,000 = 20,000);
    # pool: 3,500 at 200,000 x 3,500/14,000 = £50,000 (proceeds 140,000). Gain £92,500, one disposal.
    # Pool after: 10,500, £150,000.
    report = uk_report(
        [
            buy("2024-04-10", 14000, 200000, "E"),
            sell("2024-08-30", 4000, 160000, "E"),
            buy("2024-09-11", 500, 17500, "E"),
        ],
        year=2024,
    )
    assert rows(report.disposals) == [
        (THIRTY, date(2024, 9, 11), date(2024, 8, 30), D(500), D(20000), D(17500)),
        (POOL, None, date(2024, 8, 30), D(3500), D(140000), D(50000)),
    ]
    assert report.gains == D(92500)
    assert report.disposal_count == 1
    assert pool(report, "E") == (D(10500), D(150000))


# --- same day before 30 days ------------------------------------------------------------------------


def test_same_day_is_applied_before_thirty_days() -> None:
    # Pool: 10 units, £1,000. Day D (3 Jun): sell 6 for £1,200, buy 4 for £880. D+5: buy 5 for £1,050.
    # Right (s105 first): same day 4 at £880 (proceeds 1,200 x 4/6 = 800, loss 80); 30 days 2 of D+5 at
    # 1,050 x 2/5 = £420 (proceeds 400, loss 20). D+5's other 3 (£630) enter the pool: 13, £1,630.
    # (30 days first would take 5 of D+5 and only 1 of D.)
    report = uk_report(
        [
            buy("2024-05-01", 10, 1000),
            sell("2024-06-03T09:00", 6, 1200),
            buy("2024-06-03T16:00", 4, 880),
            buy("2024-06-08", 5, 1050),
        ],
        year=2024,
    )
    assert rows(report.disposals) == [
        (SAME, date(2024, 6, 3), date(2024, 6, 3), D(4), D(800), D(880)),
        (THIRTY, date(2024, 6, 8), date(2024, 6, 3), D(2), D(400), D(420)),
    ]
    assert report.losses == D(100)
    assert pool(report) == (D(13), D(1630))


def test_a_later_days_same_day_match_comes_before_an_earlier_disposals_thirty_days() -> None:
    # Pool: 10 units, £1,000. 3 Jun: sell 3 for £900. 8 Jun: buy 4 for £1,000 and sell 2 for £700.
    # 8 Jun same day first: 2 of the 4 at £500, gain 200. Only the other 2 (£500) are left for the
    # 3 Jun disposal's 30 days: proceeds 900 x 2/3 = 600, gain 100; its last unit from the pool at £100,
    # proceeds 300, gain 200. Pool: 9, £900. (The cgt-calc PR #38 bug gave 3 Jun three of the 4.)
    report = uk_report(
        [
            buy("2024-05-01", 10, 1000),
            sell("2024-06-03", 3, 900),
            buy("2024-06-08T09:00", 4, 1000),
            sell("2024-06-08T10:00", 2, 700),
        ],
        year=2024,
    )
    assert rows(report.disposals) == [
        (THIRTY, date(2024, 6, 8), date(2024, 6, 3), D(2), D(600), D(500)),
        (POOL, None, date(2024, 6, 3), D(1), D(300), D(100)),
        (SAME, date(2024, 6, 8), date(2024, 6, 8), D(2), D(700), D(500)),
    ]
    assert report.gains == D(500)
    assert pool(report) == (D(9), D(900))


def test_hmrc_crypto22256_same_day_thirty_days_and_pool() -> None:
    # CRYPTO22256 (Gulferaz): pool 100,000 token F, £300,000.
    # 31 Jul: buy 10,000 for £45,000; sell 30,000 for £150,000. Same day 10,000 at £45,000 (proceeds
    #   150,000 x 10,000/30,000 = 50,000); 30 days 20,000 of 6 Aug at 225,000 x 20,000/50,000 = £90,000
    #   (proceeds 100,000). Gain £15,000.
    # 5 Aug: sell 20,000 for £100,000. 30 days: 20,000 more of 6 Aug at £90,000. Gain £10,000.
    # 6 Aug: buy 50,000 for £225,000: the other 10,000 (£45,000) enter the pool: 110,000, £345,000.
    # 7 Aug: sell 100,000 for £150,000 from the pool: cost 345,000 x 100,000/110,000 = 313,636.36...
    #   (HMRC: £313,637), loss 163,636.36... (HMRC: £163,637). Pool: 10,000, £31,363.63...
    report = uk_report(
        [
            buy("2024-05-01", 100000, 300000, "F"),
            buy("2024-07-31T09:00", 10000, 45000, "F"),
            sell("2024-07-31T15:00", 30000, 150000, "F"),
            sell("2024-08-05", 20000, 100000, "F"),
            buy("2024-08-06", 50000, 225000, "F"),
            sell("2024-08-07", 100000, 150000, "F"),
        ],
        year=2024,
    )
    cost = D("313636.3636363636363636363636")
    assert rows(report.disposals) == [
        (SAME, date(2024, 7, 31), date(2024, 7, 31), D(10000), D(50000), D(45000)),
        (THIRTY, date(2024, 8, 6), date(2024, 7, 31), D(20000), D(100000), D(90000)),
        (THIRTY, date(2024, 8, 6), date(2024, 8, 5), D(20000), D(100000), D(90000)),
        (POOL, None, date(2024, 8, 7), D(100000), D(150000), cost),
    ]
    assert cost.quantize(D(1), ROUND_CEILING) == D(313637)
    assert report.gains == D(25000)
    assert report.losses == D("163636.3636363636363636363636")
    assert report.net_gain == D("-138636.3636363636363636363636")
    assert report.taxable_gain == D(0)
    assert pool(report, "F") == (D(10000), D("31363.6363636363636363636364"))


# --- local days and tax years -----------------------------------------------------------------------


def test_a_disposal_at_2330_utc_in_summer_is_on_the_next_local_day() -> None:
    # Pool: 10 units, £1,000. Buy 2 for £300 on 1 Jul 12:00 UTC: pool 12, £1,300. Sell 2 for £500 at
    # 1 Jul 23:30 UTC = 2 Jul 00:30 BST: a disposal of 2 Jul, after the purchase's day, so no same-day
    # match (a UTC calendar would have matched the 1 Jul purchase). Pool: 1,300 x 2/12 = 216.66...
    report = uk_report(
        [buy("2024-05-01", 10, 1000), buy("2024-07-01", 2, 300), sell("2024-07-01T23:30", 2, 500)], year=2024
    )
    assert rows(report.disposals) == [
        (POOL, None, date(2024, 7, 2), D(2), D(500), D("216.6666666666666666666666667"))
    ]


def test_same_day_follows_the_local_day() -> None:
    # A purchase at 30 Jun 23:30 UTC is 1 Jul 00:30 BST: the same local day as a sale on 1 Jul.
    # Same day: cost £500, gain £100 (on UTC days it would be the pool, 1,000 x 100/1,000 = £100).
    report = uk_report(
        [
            buy("2024-05-01", 1000, 1000),
            buy("2024-06-30T23:30", 100, 500),
            sell("2024-07-01T10:00", 100, 600),
        ],
        year=2024,
    )
    assert rows(report.disposals) == [(SAME, date(2024, 7, 1), date(2024, 7, 1), D(100), D(600), D(500))]


@pytest.mark.parametrize(
    ("moment", "local", "year"),
    [
        ("2025-04-05T22:59", date(2025, 4, 5), 2024),  # 23:59 BST on 5 Apr: the last day of 2024/25
        ("2025-04-05T23:30", date(2025, 4, 6), 2025),  # 00:30 BST on 6 Apr: the first day of 2025/26
        ("2025-01-05T23:30", date(2025, 1, 5), 2024),  # GMT in winter: 23:30 UTC is 23:30 local
    ],
)
def test_tax_year_of_a_disposal_follows_the_local_date(moment: str, local: date, year: int) -> None:
    records: list[Record] = [buy("2024-05-01", 10, 1000), sell(moment, 1, 150)]
    assert [d.disposed for d in uk_report(records, year=year).disposals] == [local]
    other_year = 2024 if year == 2025 else 2025
    assert uk_report(records, year=other_year).disposals == ()


def test_zone_is_a_parameter() -> None:
    # The same 23:30 UTC sale on 5 Apr 2025 is in 2024/25 on UTC days.
    records: list[Record] = [buy("2024-05-01", 10, 1000), sell("2025-04-05T23:30", 1, 150)]
    assert len(uk_report(records, year=2024, zone=ZoneInfo("UTC")).disposals) == 1
    assert UK_ZONE.key == "Europe/London"


# --- wallets, tokens, exactness, errors ------------------------------------------------------------


def test_one_pool_across_wallets() -> None:
    # Buy 2 for £200 on an exchange, 2 for £600 in a hardware wallet: one pool, 4 units, £800. Sell 1 from
    # the exchange for £300: cost £200, gain £100; the row names the exchange. Two sales on one day from
    # two wallets are one disposal, so its rows name no wallet.
    report = uk_report(
        [
            buy("2024-05-01", 2, 200, wallet="exchange"),
            buy("2024-05-02", 2, 600, wallet="ledger"),
            sell("2024-06-01", 1, 300, wallet="exchange"),
            sell("2024-07-01T09:00", 1, 250, wallet="exchange"),
            sell("2024-07-01T10:00", 1, 250, wallet="ledger"),
        ],
        year=2024,
    )
    assert [(d.wallet, d.amount, d.cost) for d in report.disposals] == [
        ("exchange", D(1), D(200)),
        ("", D(2), D(400)),
    ]
    assert pool(report) == (D(1), D(200))


def test_tokens_are_matched_separately() -> None:
    # A same-day purchase of another token does not match: BTC comes from its pool.
    report = uk_report(
        [
            buy("2024-05-01", 1, 100, "BTC"),
            sell("2024-06-01", 1, 150, "BTC"),
            buy("2024-06-01", 1, 90, "ETH"),
        ],
        year=2024,
    )
    assert [(d.asset, d.rule, d.cost) for d in report.disposals] == [("BTC", POOL, D(100))]
    assert report.pools == (Section104Pool("ETH", D(1), D(90)),)


def test_proceeds_split_exactly_over_three_pieces() -> None:
    # Pool: 10 units, £10. 1 Jun: buy 1 for £1, sell 3 for £100. 11 Jun: buy 1 for £2.
    # Same day 1 (£1), 30 days 1 (£2), pool 1 (£1). Proceeds 100 x 1/3 = 33.33... twice; the last row gets
    # the remainder, 33.33...34, so the rows add up to exactly £100.
    report = uk_report(
        [
            buy("2024-05-01", 10, 10),
            buy("2024-06-01", 1, 1),
            sell("2024-06-01", 3, 100),
            buy("2024-06-11", 1, 2),
        ],
        year=2024,
    )
    third = D("33.33333333333333333333333333")
    assert [(d.rule, d.proceeds, d.cost) for d in report.disposals] == [
        (SAME, third, D(1)),
        (THIRTY, third, D(2)),
        (POOL, D("33.33333333333333333333333334"), D(1)),
    ]
    assert sum(d.proceeds for d in report.disposals) == D(100)
    assert report.net_gain == D(96)


def test_disposing_of_more_than_held_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"need 2 from the section 104 pool, which holds 1"):
        uk_report([buy("2024-05-01", 1, 100), sell("2024-06-01", 2, 300)], year=2024)


def test_a_sale_covered_by_a_later_purchase_is_not_an_oversell() -> None:
    # Sell 1 for £300 with nothing held, buy 1 for £250 five days later: the 30-day rule matches it.
    report = uk_report([sell("2024-06-01", 1, 300), buy("2024-06-06", 1, 250)], year=2024)
    assert rows(report.disposals) == [(THIRTY, date(2024, 6, 6), date(2024, 6, 1), D(1), D(300), D(250))]


def test_match_token_rejects_other_tokens_and_empty_amounts() -> None:
    with pytest.raises(ValueError, match="ETH record among the BTC"):
        match_token("BTC", [buy("2024-05-01", 1, 1, "ETH")], UK_ZONE)
    with pytest.raises(ValueError, match="not positive"):
        match_uk([buy("2024-05-01", 0, 1)], UK_ZONE)


def test_pool_history() -> None:
    match = match_uk([buy("2024-05-01", 2, 100), sell("2024-06-01", 1, 80)], UK_ZONE)["TOK"]
    assert match.pool_at(date(2024, 4, 30)) == Section104Pool("TOK", D(0), D(0))
    assert match.pool_at(date(2024, 5, 31)) == Section104Pool("TOK", D(2), D(100))
    assert match.pool_at(date(2025, 1, 1)) == Section104Pool("TOK", D(1), D(50))
    assert match.pool_at(date(2025, 1, 1)).unit_cost == D(50)


# --- totals -----------------------------------------------------------------------------------------


def test_totals_net_gain_exempt_amount_and_taxable_gain() -> None:
    # A: buy 1 for £1,000, sell for £11,000: gain 10,000. B: buy 10 for £5,000, sell for £2,500: loss
    # 2,500. Net 7,500; 2024/25 exempt amount £3,000; taxable 4,500. Proceeds 13,500, costs 6,000.
    report = uk_report(
        [
            buy("2024-05-01", 1, 1000, "A"),
            buy("2024-05-01", 10, 5000, "B"),
            sell("2024-06-01", 1, 11000, "A"),
            sell("2024-07-01", 10, 2500, "B"),
        ],
        year=2024,
    )
    assert (report.gains, report.losses, report.net_gain) == (D(10000), D(2500), D(7500))
    assert (report.annual_exempt_amount, report.taxable_gain) == (D(3000), D(4500))
    assert (report.proceeds, report.allowable_costs, report.disposal_count) == (D(13500), D(6000), 2)


def test_losses_of_the_year_are_netted_before_the_exempt_amount() -> None:
    # HMRC CG18030: the year's losses are deducted in full even when that wastes exempt amount. Gains 5,000,
    # losses 3,000: net 2,000 < £3,000, taxable 0 (not 5,000 - 3,000 exempt - 3,000 losses).
    report = uk_report(
        [
            buy("2024-05-01", 1, 1000, "A"),
            buy("2024-05-01", 1, 4000, "B"),
            sell("2024-06-01", 1, 6000, "A"),
            sell("2024-06-01", 1, 1000, "B"),
        ],
        year=2024,
    )
    assert (report.net_gain, report.taxable_gain) == (D(2000), D(0))


def test_gains_and_losses_count_whole_disposals() -> None:
    # Pool: 10 units, £1,000. 1 Jun: buy 2 for £500, sell 4 for £800. Same day: proceeds 400, cost 500
    # (-100); pool: proceeds 400, cost 200 (+200). One disposal with a gain of 100: gains 100, losses 0.
    report = uk_report(
        [buy("2024-05-01", 10, 1000), buy("2024-06-01", 2, 500), sell("2024-06-01", 4, 800)], year=2024
    )
    assert [d.gain for d in report.disposals] == [D(-100), D(200)]
    assert (report.gains, report.losses) == (D(100), D(0))


def test_empty_year() -> None:
    report = uk_report([buy("2024-05-01", 1, 100)], year=2025)
    assert report.disposals == ()
    assert (report.proceeds, report.net_gain, report.taxable_gain) == (D(0), D(0), D(0))
    assert report.pools == (Section104Pool("TOK", D(1), D(100)),)


@pytest.mark.parametrize(
    ("year", "amount"),
    [(2020, 12300), (2021, 12300), (2022, 12300), (2023, 6000), (2024, 3000), (2025, 3000), (2030, 3000)],
)
def test_annual_exempt_amount(year: int, amount: int) -> None:
    assert annual_exempt_amount(year) == D(amount)


def test_no_exempt_amount_before_the_table() -> None:
    with pytest.raises(ValueError, match="2019"):
        annual_exempt_amount(2019)
    with pytest.raises(ValueError, match="2019"):
        uk_report([], year=2019)


def test_proceeds_reporting_threshold() -> None:
    # £50,000 from 2023/24; four times the exempt amount before (4 x 12,300 = 49,200).
    assert reporting_proceeds_threshold(2024) == D(50000)
    assert reporting_proceeds_threshold(2022) == D(49200)
    at_threshold = uk_report([buy("2024-05-01", 2, 100), sell("2024-06-01", 1, 50000)], year=2024)
    assert not at_threshold.over_proceeds_threshold
    above = uk_report([buy("2024-05-01", 2, 100), sell("2024-06-01", 1, "50000.01")], year=2024)
    assert above.over_proceeds_threshold

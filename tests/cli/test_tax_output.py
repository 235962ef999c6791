"""A tax report's JSON, CSV and table, from reports built by hand (the figures are the test's own)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from trimtab.cli.tax_output import (
    DE_COLUMNS,
    NOT_TAX_ADVICE,
    ROW_LIMIT,
    UK_COLUMNS,
    US_COLUMNS,
    TaxReport,
    csv_chunks,
    csv_text,
    print_report,
    report_json,
    totals_lines,
)
from trimtab.files import write_atomically
from trimtab.model.money import cents
from trimtab.tax.germany import GermanReport
from trimtab.tax.lots import LotBook
from trimtab.tax.model import Disposal, MatchRule, Term
from trimtab.tax.uk import UKReport
from trimtab.tax.us import USReport

D = Decimal

LONG = Disposal(
    "BTC", "coinbase", D(1), date(2023, 1, 10), date(2024, 6, 3), D(69986), D(20010), term=Term.LONG
)
# VARIOUS acquisition dates and a wash-sale adjustment (code W): exact gain 100.005 - 50.004 + 10.5 = 60.501
WASHED = Disposal(
    "ETH", "kraken", D("0.25"), None, date(2024, 12, 31), D("100.005"), D("50.004"), term=Term.SHORT,
    adjustment=D("10.5"),
)  # fmt: skip
US = USReport(2024, "hifo", True, (LONG, WASHED), D("60.501"), D(49976), LotBook())

TAXABLE = Disposal("ETH", "kraken", D(2), date(2023, 9, 1), date(2024, 3, 1), D(5994), D(3200), taxable=True)
FREE = Disposal("ETH", "kraken", D(10), date(2023, 2, 1), date(2024, 3, 1), D(29970), D(15015), taxable=False)
DE = GermanReport(2024, (FREE, TAXABLE), D(2794), D(2794), D(1000), D(14955), LotBook())

SAME = Disposal(
    "BTC", "w", D(1), date(2024, 6, 10), date(2024, 6, 10), D(55000), D(50000), rule=MatchRule.SAME_DAY
)
POOL = Disposal("BTC", "w", D("0.5"), None, date(2024, 6, 10), D(27500), D(10000), rule=MatchRule.POOL)
UK = UKReport(2024, (SAME, POOL), 1, D(82500), D(60000), D(22500), D(0), D(3000), ())


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_cents_round_half_up() -> None:
    assert [cents(D(v)) for v in ("0.005", "-0.005", "0.004", "12")] == [
        D("0.01"),
        D("-0.01"),
        D("0.00"),
        D("12.00"),
    ]


def test_us_json_has_the_term_and_exact_money() -> None:
    data = report_json(US)
    assert {k: data[k] for k in ("jurisdiction", "year", "currency", "method")} == {
        "jurisdiction": "us",
        "year": 2024,
        "currency": "USD",
        "method": "hifo",
    }
    assert data["disposals"] == [
        {
            "asset": "BTC",
            "wallet": "coinbase",
            "amount": "1",
            "acquired": "2023-01-10",
            "disposed": "2024-06-03",
            "proceeds": "69986",
            "cost": "20010",
            "gain": "49976",
            "term": "long",
        },
        {
            "asset": "ETH",
            "wallet": "kraken",
            "amount": "0.25",
            "acquired": None,
            "disposed": "2024-12-31",
            "proceeds": "100.005",
            "cost": "50.004",
            "gain": "60.501",
            "term": "short",
            "adjustment": "10.5",
        },
    ]
    assert data["totals"] == {"short_term": "60.501", "long_term": "49976", "total": "50036.501"}


def test_german_json_has_the_taxable_flag_and_the_freigrenze() -> None:
    data = report_json(DE)
    assert "method" not in data
    assert [(row["amount"], row["taxable"]) for row in data["disposals"]] == [("10", False), ("2", True)]
    assert data["totals"] == {
        "taxable_result": "2794",
        "taxable": "2794",
        "freigrenze": "1000",
        "tax_free_result": "14955",
    }


def test_uk_json_has_the_rule_and_null_for_the_pool() -> None:
    data = report_json(UK)
    assert data["currency"] == "GBP"
    assert [(row["rule"], row["acquired"]) for row in data["disposals"]] == [
        ("same-day", "2024-06-10"),
        ("pool", None),
    ]
    assert data["totals"] == {
        "net_gain": "22500",
        "gains": "22500",
        "losses": "0",
        "annual_exempt_amount": "3000",
        "taxable_gain": "19500",
        "proceeds": "82500",
        "allowable_costs": "60000",
        "disposal_count": 1,
    }


def test_us_csv_follows_form_8949_short_term_first() -> None:
    rows = rows_of(csv_text(US))
    assert tuple(rows[0]) == US_COLUMNS
    assert rows[1:] == [
        # (d) 100.005 -> 100.01 and (e) 50.004 -> 50.00: (h) = 100.01 - 50.00 + 10.50, as printed
        ["short", "0.25 ETH", "VARIOUS", "12/31/2024", "100.01", "50.00", "W", "10.50", "60.51"],
        ["long", "1 BTC", "01/10/2023", "06/03/2024", "69986.00", "20010.00", "", "", "49976.00"],
    ]


def test_german_csv_follows_anlage_so() -> None:
    rows = rows_of(csv_text(DE))
    assert rows[0] == [
        "Art des Wirtschaftsguts",
        "Anschaffungsdatum",
        "Veräußerungsdatum",
        "Veräußerungspreis",
        "Anschaffungskosten",
        "Gewinn/Verlust",
        "steuerpflichtig",
    ]
    assert tuple(rows[0]) == DE_COLUMNS
    assert rows[1:] == [
        ["10 ETH", "01.02.2023", "01.03.2024", "29970.00", "15015.00", "14955.00", "nein"],
        ["2 ETH", "01.09.2023", "01.03.2024", "5994.00", "3200.00", "2794.00", "ja"],
    ]


def test_uk_csv_names_the_pool() -> None:
    rows = rows_of(csv_text(UK))
    assert tuple(rows[0]) == UK_COLUMNS
    assert rows[1:] == [
        ["BTC", "1", "2024-06-10", "2024-06-10", "55000.00", "50000.00", "5000.00", "same-day"],
        ["BTC", "0.5", "pool", "2024-06-10", "27500.00", "10000.00", "17500.00", "pool"],
    ]


def test_csv_lines_end_with_newlines_only() -> None:
    assert "\r" not in csv_text(US)
    assert csv_text(US).endswith("49976.00\n")


def test_totals_lines() -> None:
    assert totals_lines(US) == [
        "Short-term gain (loss): 60.50 USD",
        "Long-term gain (loss): 49,976.00 USD",
        "Total: 50,036.50 USD",
    ]
    assert totals_lines(DE) == [
        "Taxable result (held 1 year or less): 2,794.00 EUR",
        "Freigrenze 2024: 1,000.00 EUR; taxable after it: 2,794.00 EUR",
        "Tax-free result (held more than 1 year): 14,955.00 EUR",
    ]
    assert totals_lines(UK) == [
        "Disposals: 1; proceeds 82,500.00 GBP, allowable costs 60,000.00 GBP",
        "Gains 22,500.00 GBP, losses 0.00 GBP, net gain 22,500.00 GBP",
        "Annual exempt amount: 3,000.00 GBP; taxable gain: 19,500.00 GBP",
    ]


def printed(report: TaxReport, *, limit: int = ROW_LIMIT, csv_path: str | None = None) -> str:
    console = Console(record=True, width=120, highlight=False)
    print_report(console, report, limit=limit, csv_path=csv_path)
    return console.export_text()


def test_the_table_shows_the_rows_then_the_totals_then_the_disclaimer() -> None:
    text = printed(US)
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[0] == "US disposals 2024 (USD, lots hifo)"
    header = next(line for line in lines if "acquired" in line)
    assert header.split() == ["asset", "wallet", "acquired", "disposed", "proceeds", "cost", "gain", "term"]
    assert any(line.split()[:3] == ["0.25", "ETH", "kraken"] for line in lines if line)
    assert any("various" in line.split() for line in lines)
    assert lines[-4:] == [*totals_lines(US), NOT_TAX_ADVICE]


def test_one_wallet_needs_no_wallet_column() -> None:
    header = next(line for line in printed(DE).splitlines() if "acquired" in line)
    assert header.split() == ["asset", "acquired", "disposed", "proceeds", "cost", "gain", "taxable"]
    assert "UK disposals 2024/25 (GBP, share matching)" in printed(UK)


def test_rows_beyond_the_limit_are_counted() -> None:
    text = printed(US, limit=1)
    assert "0.25 ETH" not in text
    assert "… 1 more disposal (use --csv FILE for all of them)" in text
    assert "… 1 more disposal (all of them are in out.csv)" in printed(US, limit=1, csv_path="out.csv")


def test_a_year_without_disposals_still_has_totals() -> None:
    empty = USReport(2024, "fifo", False, (), D(0), D(0), LotBook())
    lines = printed(empty).splitlines()
    assert lines[0] == "US disposals 2024 (USD, lots fifo): no disposals."
    assert lines[-1] == NOT_TAX_ADVICE


def test_the_csv_is_written_in_pieces_that_add_up_to_the_whole() -> None:
    for report in (US, DE, UK):
        whole = csv_text(report)
        for size in (1, 2, 1000):
            pieces = list(csv_chunks(report, rows_per_chunk=size))
            assert "".join(pieces) == whole
        assert (
            len(list(csv_chunks(report, rows_per_chunk=1))) == len(whole.splitlines()) - 1
        )  # header rides along


def test_a_file_written_in_pieces_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def pieces() -> Iterator[str]:
        yield "a,b\n"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, pieces())
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.csv"]
    write_atomically(target, iter(["a,b\n", "1,2\n"]))
    assert target.read_text(encoding="utf-8") == "a,b\n1,2\n"

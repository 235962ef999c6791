"""The history CSV importer: good files become exact UTC events; any bad cell stops the whole import."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from trimtab.errors import ConfigError
from trimtab.tax.importer import read_events
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.normalize import Acquisition, Sale, normalize

HEADER = "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
GOOD = "2024-01-02T10:00:00Z,binance,buy,BTC,1,40000,10,USD\n"


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding=encoding)
    return path


def error_of(path: Path, currency: str = "USD") -> str:
    with pytest.raises(ConfigError) as caught:
        read_events(path, report_currency=currency)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_reads_a_swap_with_a_crypto_fee(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + GOOD + "2024-03-01T12:00:00Z,binance,sell,BTC,0.5,60000,,\n"
        "2024-03-01T12:00:00Z,binance,buy,ETH,10,3000,0.01,ETH\n",
    )
    events = read_events(path, report_currency="USD")
    noon = datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert events == [
        TaxEvent(
            datetime(2024, 1, 2, 10, tzinfo=UTC),
            "binance",
            EventType.BUY,
            "BTC",
            Decimal(1),
            Decimal(40000),
            Decimal(10),
            "USD",
            2,
        ),
        TaxEvent(noon, "binance", EventType.SELL, "BTC", Decimal("0.5"), Decimal(60000), line=3),
        TaxEvent(
            noon, "binance", EventType.BUY, "ETH", Decimal(10), Decimal(3000), Decimal("0.01"), "ETH", 4
        ),
    ]
    # exact decimals as written, never via float
    assert str(events[1].amount) == "0.5"
    assert str(events[2].fee) == "0.01"
    # the swap's legs stay in file order, and the ETH fee becomes its own disposal worth 0.01 x 3000
    records = normalize(events, "USD")
    assert [type(r) for r in records] == [Acquisition, Sale, Acquisition, Sale]
    assert records[3] == Sale("ETH", "binance", Decimal("0.01"), Decimal("30.00"), noon, 4, fee=True)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-03-01T14:05:00+01:00", datetime(2024, 3, 1, 13, 5, tzinfo=UTC)),
        ("2024-03-01T01:30-05:00", datetime(2024, 3, 1, 6, 30, tzinfo=UTC)),
        ("2024-03-01T20:00:00+0530", datetime(2024, 3, 1, 14, 30, tzinfo=UTC)),
        ("2024-12-31T23:30:00-02:00", datetime(2025, 1, 1, 1, 30, tzinfo=UTC)),
        ("2024-03-01T14:05:07.25Z", datetime(2024, 3, 1, 14, 5, 7, 250000, tzinfo=UTC)),
        ("2024-03-01 14:05", datetime(2024, 3, 1, 14, 5, tzinfo=UTC)),
        ("2024-03-01T14:05:09", datetime(2024, 3, 1, 14, 5, 9, tzinfo=UTC)),
    ],
)
def test_times_are_converted_to_utc(tmp_path: Path, cell: str, expected: datetime) -> None:
    path = write(tmp_path, HEADER + f"{cell},w,buy,BTC,1,100,,\n")
    [event] = read_events(path, report_currency="USD")
    assert event.timestamp == expected
    assert event.timestamp.tzinfo == UTC


def test_columns_in_any_order_and_cells_are_tidied(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        " Fee_Asset ,fee,price,amount,asset,TYPE,wallet,timestamp\n"
        " eth , 0.5 , 2000 , 3 , eth , SELL , kraken , 2024-05-05T05:05:05Z \n",
    )
    [event] = read_events(path, report_currency="usd")
    assert (event.wallet, event.type, event.asset, event.fee_asset) == (
        "kraken",
        EventType.SELL,
        "ETH",
        "ETH",
    )
    assert (event.amount, event.price, event.fee) == (Decimal(3), Decimal(2000), Decimal("0.5"))


def test_fee_in_the_report_currency_matches_it_case_insensitively(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-01-02T10:00:00Z,w,buy,BTC,1,100,2,eur\n")
    [event] = read_events(path, report_currency="eur")
    assert event.fee_asset == "EUR"
    assert normalize([event], "EUR")[0] == Acquisition(
        "BTC", "w", Decimal(1), Decimal(102), event.timestamp, 2
    )


def test_no_fee_when_fee_is_empty_or_zero(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER + "2024-01-02T10:00Z,w,buy,BTC,1,100,,BTC\n2024-01-02T11:00Z,w,buy,BTC,1,100,0,SOL\n"
    )
    events = read_events(path, report_currency="USD")
    assert [(e.fee, e.fee_asset) for e in events] == [(Decimal(0), ""), (Decimal(0), "")]


def test_fee_row_may_be_worth_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-01-02T10:00Z,w,FEE,DUST,5,0,,\n")
    [event] = read_events(path, report_currency="USD")
    assert (event.type, event.price, event.value) == (EventType.FEE, Decimal(0), Decimal(0))


def test_reads_a_utf8_bom_and_crlf_and_counts_file_lines(tmp_path: Path) -> None:
    text = HEADER + GOOD + "\n" + "2024-01-03T10:00:00Z,w,sell,BTC,1,41000,,\n"
    path = write(tmp_path, text.replace("\n", "\r\n"), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    events = read_events(path, report_currency="USD")
    assert [(e.type, e.line) for e in events] == [(EventType.BUY, 2), (EventType.SELL, 4)]


BAD_ROWS = [
    ("2024-02-30,w,buy,BTC,1,100,,", "timestamp", "expected a real date"),
    ("yesterday,w,buy,BTC,1,100,,", "timestamp", "expected an ISO 8601 time"),
    ("2024-02-30 10:00,w,buy,BTC,1,100,,", "timestamp", "expected a real date and time"),
    ("2024-03-01T10:00+24:00,w,buy,BTC,1,100,,", "timestamp", "expected a real date and time"),
    ("2024-03-01 10:00,,buy,BTC,1,100,,", "wallet", "expected the wallet"),
    ("2024-03-01 10:00,w,transfer,BTC,1,100,,", "type", "expected buy, sell or fee, got 'transfer'"),
    ("2024-03-01 10:00,w,buy, ,1,100,,", "asset", "expected an asset symbol"),
    ("2024-03-01 10:00,w,buy,BTC,-1,100,,", "amount", "expected a number above 0, got '-1'"),
    ("2024-03-01 10:00,w,buy,BTC,0,100,,", "amount", "expected a number above 0, got '0'"),
    ("2024-03-01 10:00,w,buy,BTC,,100,,", "amount", "expected a number above 0 in plain digits"),
    ("2024-03-01 10:00,w,buy,BTC,NaN,100,,", "amount", "got 'NaN'"),
    ("2024-03-01 10:00,w,buy,BTC,Infinity,100,,", "amount", "got 'Infinity'"),
    ("2024-03-01 10:00,w,buy,BTC,1e3,100,,", "amount", "got '1e3'"),
    ("2024-03-01 10:00,w,buy,BTC,1_000,100,,", "amount", "got '1_000'"),
    ("2024-03-01 10:00,w,sell,BTC,1,0,,", "price", "expected a number above 0, got '0'"),
    ("2024-03-01 10:00,w,fee,BTC,1,-5,,", "price", "expected a number of 0 or more, got '-5'"),
    ("2024-03-01 10:00,w,buy,BTC,1,100,-0.1,USD", "fee", "expected a number of 0 or more, got '-0.1'"),
    ("2024-03-01 10:00,w,fee,BTC,1,100,0.1,BTC", "fee", "expected no fee on a 'fee' row"),
    ("2024-03-01 10:00,w,buy,BTC,1,100,0.1,", "fee_asset", "expected the asset the fee of 0.1 was paid in"),
    ("2024-03-01 10:00,w,buy,BTC,1,100,0.1,BNB", "fee_asset", "expected USD or BTC"),
]


@pytest.mark.parametrize(("row", "key", "fragment"), BAD_ROWS)
def test_bad_cell_names_line_and_column(tmp_path: Path, row: str, key: str, fragment: str) -> None:
    path = write(tmp_path, HEADER + GOOD + row + "\n" + GOOD)
    message = error_of(path)
    assert message.startswith(f"{path}:3: {key}: expected ")
    assert fragment in message
    assert "\n" not in message


def test_unvalued_fee_asset_says_to_write_a_fee_row(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-03-01 10:00,w,sell,ETH,1,3000,0.001,bnb\n")
    assert error_of(path) == (
        f"{path}:2: fee_asset: expected USD or ETH (the fee assets this row can value), "
        "got 'bnb': write the fee as its own 'fee' row of BNB with its price"
    )


def test_the_first_bad_row_stops_the_import(tmp_path: Path) -> None:
    rows = [GOOD, GOOD, "2024-03-01 10:00,w,buy,BTC,-1,100,,\n", GOOD, "2024-03-01,w,buy,BTC,1,100,,\n"]
    path = write(tmp_path, HEADER + "".join(rows))
    assert error_of(path) == f"{path}:4: amount: expected a number above 0, got '-1'"


def test_a_row_with_the_wrong_number_of_cells(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + "2024-03-01 10:00,w,buy,BTC,1,100\n")
    assert error_of(path) == f"{path}:3: expected 8 cells, got 6"


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("timestamp,wallet,type,asset,amount,price,fee", "missing fee_asset"),
        ("timestamp,wallet,type,asset,amount,price,fee,fee_asset,note", "unexpected note"),
        ("timestamp,wallet,type,asset,amount,price,fee,fee_asset,fee", "repeated fee"),
        ("time,wallet,type,asset,amount,price,fee,fee_asset", "missing timestamp; unexpected time"),
    ],
)
def test_header_must_name_exactly_the_columns(tmp_path: Path, header: str, fragment: str) -> None:
    path = write(tmp_path, header + "\n" + GOOD)
    message = error_of(path)
    assert message.startswith(f"{path}:1: header: expected the columns timestamp,wallet,")
    assert message.endswith(fragment)


@pytest.mark.parametrize("text", ["", " \n\n", HEADER, HEADER + "\n ,,,,,,,\n\n"])
def test_no_rows(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert error_of(path) == (
        f"{path}: no rows (expected a header timestamp,wallet,type,asset,amount,price,fee,fee_asset "
        "and rows below it)"
    )


def test_a_blank_first_line_is_not_a_header(tmp_path: Path) -> None:
    path = write(tmp_path, "\n" + HEADER + GOOD)
    assert error_of(path).startswith(f"{path}:1: header: expected the columns timestamp,")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    assert error_of(path).startswith(f"{path}: cannot read the file")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_bytes(HEADER.encode() + "2024-01-02 10:00,caf\xe9,buy,BTC,1,1,,\n".encode("latin-1"))
    assert error_of(path) == f"{path}: not a UTF-8 text file"


def test_a_quoted_cell_over_two_lines_keeps_line_numbers_right(tmp_path: Path) -> None:
    text = (
        HEADER
        + '2024-01-02 10:00,"cold\nstorage",buy,BTC,1,100,,\n'
        + "2024-01-03 10:00,w,buy,BTC,-2,100,,\n"
    )
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}:4: amount: expected a number above 0, got '-2'"
    path = write(tmp_path, text.replace("-2", "2"))
    events = read_events(path, report_currency="USD")
    assert [(e.wallet, e.line) for e in events] == [("cold\nstorage", 2), ("w", 4)]


def test_broken_csv_is_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD + '2024-01-03 10:00,"cold"x,buy,BTC,1,1,,\n')
    message = error_of(path)
    assert message.startswith(f"{path}:3: not a valid CSV line (")
    assert "\n" not in message


# -- a date without a time of day; a fee in another money -----------------------------------------


@pytest.mark.parametrize(
    ("currency", "zone", "start_utc"),
    [
        # 00:00 of the day in the taxpayer's zone, so the row keeps its date where the rules count dates.
        ("USD", None, datetime(2024, 3, 1, 5, tzinfo=UTC)),  # New York, EST (UTC-5)
        ("EUR", None, datetime(2024, 2, 29, 23, tzinfo=UTC)),  # Berlin, CET (UTC+1)
        ("GBP", None, datetime(2024, 3, 1, tzinfo=UTC)),  # London, GMT
        ("USD", "America/Los_Angeles", datetime(2024, 3, 1, 8, tzinfo=UTC)),
    ],
)
def test_a_bare_date_is_midnight_in_the_tax_time_zone(
    tmp_path: Path, currency: str, zone: str | None, start_utc: datetime
) -> None:
    path = write(tmp_path, HEADER + "2024-03-01,w,buy,BTC,1,100,,\n")
    day_zone = ZoneInfo(zone) if zone else None
    [event] = read_events(path, report_currency=currency, day_zone=day_zone)
    assert event.timestamp == start_utc
    local = ZoneInfo(
        zone or {"USD": "America/New_York", "EUR": "Europe/Berlin", "GBP": "Europe/London"}[currency]
    )
    assert event.timestamp.astimezone(local).date().isoformat() == "2024-03-01"


def test_a_bare_date_sorts_before_the_timed_rows_of_its_day(tmp_path: Path) -> None:
    # The buy is dated by day only, the sale on the same New York day at 09:30: the buy comes first.
    path = write(tmp_path, HEADER + "2024-03-01 14:30,w,sell,BTC,1,200,,\n2024-03-01,w,buy,BTC,1,100,,\n")
    records = normalize(read_events(path, report_currency="USD"), "USD")
    assert [type(record) for record in records] == [Acquisition, Sale]


def test_a_fee_in_another_money_says_the_file_may_be_priced_in_it(tmp_path: Path) -> None:
    # A USD export read as a GBP file: the first USD fee shows it, and the hint names the currency
    # parameter (the command line's --currency: tests/cli/test_tax_inputs.py).
    path = write(tmp_path, HEADER + "2024-03-01 10:00,w,buy,BTC,1,40000,10,USD\n")
    assert error_of(path, "GBP") == (
        f"{path}:2: fee_asset: a fee in USD, but the prices of this file are read as GBP "
        "(currency GBP); if the file is priced in USD, give currency USD"
    )

"""USDT -> report currency rates: latest rate on or before the day, never a guess before the first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from trimtab.errors import ConfigError
from trimtab.tax.rates import RateTable, load_rates

TABLE = RateTable(
    "rates.csv",
    (date(2024, 1, 2), date(2024, 1, 5), date(2024, 2, 1)),
    (Decimal("0.9123"), Decimal("0.92"), Decimal("0.93")),
)


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding=encoding)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_rates(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (date(2024, 1, 2), "0.9123"),  # on the first date
        (date(2024, 1, 4), "0.9123"),  # between: the earlier date's rate
        (date(2024, 1, 5), "0.92"),  # on a later date
        (date(2024, 1, 31), "0.92"),
        (date(2024, 2, 1), "0.93"),  # the last date
        (date(2030, 6, 1), "0.93"),  # after the last date
    ],
)
def test_rate_is_the_latest_on_or_before_the_day(day: date, rate: str) -> None:
    assert TABLE.rate_on(day) == Decimal(rate)


def test_before_the_first_date_names_the_file_and_the_date() -> None:
    with pytest.raises(ConfigError) as caught:
        TABLE.rate_on(date(2024, 1, 1))
    assert str(caught.value) == (
        "rates.csv: date: no rate on or before 2024-01-01 (the first rate is for 2024-01-02)"
    )


def test_convert_is_exact() -> None:
    assert TABLE.convert(Decimal("1234.5678"), date(2024, 1, 3)) == Decimal("1126.29620394")
    assert TABLE.convert(Decimal(0), date(2024, 3, 1)) == 0


@pytest.mark.parametrize("day", [date(1, 1, 1), date(2009, 1, 3), date(2024, 2, 29), date(9999, 12, 31)])
def test_identity_is_one_on_every_day(day: date) -> None:
    identity = RateTable.identity()
    assert identity.rate_on(day) == 1
    assert identity.convert(Decimal("12.345"), day) == Decimal("12.345")


@pytest.mark.parametrize(
    ("days", "rates"),
    [
        ((), ()),
        ((date(2024, 1, 2),), ()),
        ((date(2024, 1, 2), date(2024, 1, 2)), (Decimal(1), Decimal(1))),
        ((date(2024, 1, 2),), (Decimal(0),)),
        ((date(2024, 1, 2),), (Decimal("NaN"),)),
    ],
)
def test_table_refuses_inconsistent_data(days: tuple[date, ...], rates: tuple[Decimal, ...]) -> None:
    with pytest.raises(ValueError, match="rate"):
        RateTable("x", days, rates)


def test_load_rates_reads_a_bom_file_in_any_column_order(tmp_path: Path) -> None:
    path = write(tmp_path, "Rate,Date\r\n0.91,2024-01-02\r\n\r\n0.9150,2024-01-08\r\n", encoding="utf-8-sig")
    table = load_rates(path)
    assert table == RateTable(
        str(path), (date(2024, 1, 2), date(2024, 1, 8)), (Decimal("0.91"), Decimal("0.9150"))
    )
    assert table.rate_on(date(2024, 1, 7)) == Decimal("0.91")
    with pytest.raises(ConfigError, match=r"rates\.csv: date: no rate on or before 2023-12-31"):
        table.rate_on(date(2023, 12, 31))


@pytest.mark.parametrize(
    ("row", "key", "fragment"),
    [
        ("2024/01/09,0.9", "date", "expected a date YYYY-MM-DD, got '2024/01/09'"),
        ("2024-1-9,0.9", "date", "expected a date YYYY-MM-DD, got '2024-1-9'"),
        ("2024-02-30,0.9", "date", "expected a date YYYY-MM-DD, got '2024-02-30'"),
        ("2024-01-09 10:00,0.9", "date", "expected a date YYYY-MM-DD"),
        (
            "2024-01-03,0.9",
            "date",
            "expected a date after 2024-01-05 (dates must increase), got '2024-01-03'",
        ),
        ("2024-01-05,0.9", "date", "expected a date after 2024-01-05"),
        ("2024-01-09,0", "rate", "expected a number above 0, got '0'"),
        ("2024-01-09,-0.9", "rate", "expected a number above 0, got '-0.9'"),
        ("2024-01-09,NaN", "rate", "got 'NaN'"),
        ("2024-01-09,9e-1", "rate", "got '9e-1'"),
        ("2024-01-09,", "rate", "got ''"),
    ],
)
def test_bad_row_names_line_and_column(tmp_path: Path, row: str, key: str, fragment: str) -> None:
    path = write(tmp_path, f"date,rate\n2024-01-02,0.91\n2024-01-05,0.92\n{row}\n2024-02-01,0.93\n")
    message = error_of(path)
    assert message.startswith(f"{path}:4: {key}: expected ")
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date,rate\n", "{path}: no rows (expected a header date,rate and rows below it)"),
        ("", "{path}: no rows (expected a header date,rate and rows below it)"),
        (
            "date,usd\n2024-01-02,1\n",
            "{path}:1: header: expected the columns date,rate (any order), missing rate; unexpected usd",
        ),
        (
            "2024-01-02,0.91\n",
            "{path}:1: header: expected the columns date,rate (any order), missing date, rate; unexpected 2024-01-02, 0.91",
        ),
        ("date,rate\n2024-01-02,0.91,x\n", "{path}:2: expected 2 cells, got 3"),
    ],
)
def test_bad_file(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    assert error_of(path) == expected.format(path=path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    assert error_of(path).startswith(f"{path}: cannot read the file")

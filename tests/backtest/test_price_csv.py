"""Price files in the common shapes: every accepted time format and header loads to the same frame, and a
bad cell is one error naming the file, the line, the column, the value and the formats read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from trimtab.backtest.data import PriceFrame, load_price_frame, parse_price_frame
from trimtab.errors import ConfigError

HOURS = 30  # more than a day, so hourly and daily spacing cannot be confused
START = datetime(2024, 2, 28, 20, tzinfo=UTC)  # across a leap day and a month end
CELLS = [(f"{100 + i * 1.25:g}", "" if i < 3 else f"{0.5 + i / 1000:g}") for i in range(HOURS)]
Stamp = Callable[[datetime], str]

HOURLY_SHAPES: dict[str, tuple[str, Stamp]] = {
    "datetime_utc, YYYY-MM-DD HH:MM": ("datetime_utc", lambda t: t.strftime("%Y-%m-%d %H:%M")),
    "pandas' to_csv": ("datetime", lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    "pandas' unnamed index": ("", lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    "pandas, time zone aware": ("time", lambda t: t.strftime("%Y-%m-%d %H:%M:%S+00:00")),
    "ISO 8601 with T and Z": ("timestamp", lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    "ISO 8601 with T, minutes, Z": ("Date", lambda t: t.strftime("%Y-%m-%dT%H:%MZ")),
    "ISO 8601 with milliseconds": ("date", lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")),
    "offset +02:00, converted": ("Open time", lambda t: (t + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M+02:00")),
    "offset -0500, converted": ("openTime", lambda t: (t - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S-0500")),
    "offset +05:30, converted": ("time_utc", lambda t: (t + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M+05:30")),
    "epoch seconds": ("timestamp", lambda t: str(int(t.timestamp()))),
    "epoch milliseconds (ccxt)": ("timestamp", lambda t: str(int(t.timestamp()) * 1000)),
    "epoch microseconds": ("ts", lambda t: str(int(t.timestamp()) * 1_000_000)),
    "epoch nanoseconds": ("unix", lambda t: str(int(t.timestamp()) * 1_000_000_000)),
}  # fmt: skip


def hourly_text(header: str, stamp: Stamp, rows: list[tuple[str, str]] = CELLS) -> str:
    lines = [f"{header},AAA,BBB"]
    lines += [f"{stamp(START + timedelta(hours=i))},{a},{b}" for i, (a, b) in enumerate(rows)]
    return "\n".join(lines) + "\n"


def same_frame(frame: PriceFrame, reference: PriceFrame) -> None:
    assert (frame.bar, frame.assets) == (reference.bar, reference.assets)
    np.testing.assert_array_equal(frame.times, reference.times)
    np.testing.assert_array_equal(frame.closes, reference.closes)


REFERENCE = parse_price_frame(hourly_text(*HOURLY_SHAPES["datetime_utc, YYYY-MM-DD HH:MM"]), "reference")


def test_the_reference_is_hourly_closes_one_hour_after_each_row() -> None:
    assert REFERENCE.bar == "1h"
    assert REFERENCE.times[0] == np.datetime64("2024-02-28T21:00", "s")
    assert REFERENCE.times[-1] == np.datetime64("2024-03-01T02:00", "s")
    assert REFERENCE.closes[0, 0] == 100.0
    assert np.isnan(REFERENCE.closes[2, 1])
    assert REFERENCE.closes[3, 1] == 0.503


@pytest.mark.parametrize("shape", list(HOURLY_SHAPES))
def test_every_hourly_shape_reads_as_the_same_frame(shape: str, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(hourly_text(*HOURLY_SHAPES[shape]), encoding="utf-8")
    same_frame(load_price_frame(path), REFERENCE)


@pytest.mark.parametrize("shape", list(HOURLY_SHAPES))
def test_every_shape_reads_the_same_through_the_careful_reader(shape: str) -> None:
    # Quotes and blank lines send the file to the csv module, row by row: the same frame.
    text = hourly_text(*HOURLY_SHAPES[shape]).replace(",100,", ',"100",').replace("\n", "\n\n", 3)
    same_frame(parse_price_frame(text, "fancy.csv"), REFERENCE)


def test_stamps_in_several_layouts_read_row_by_row() -> None:
    # One file mixing Z, +00:00, an offset, no seconds and a space: every row is still one instant.
    layouts: list[Stamp] = [
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        lambda t: t.strftime("%Y-%m-%d %H:%M:%S+00:00"),
        lambda t: (t + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M+01:00"),
        lambda t: t.strftime("%Y-%m-%d %H:%M"),
    ]
    rows = [f"{layouts[i % 4](START + timedelta(hours=i))},{a},{b}" for i, (a, b) in enumerate(CELLS)]
    same_frame(parse_price_frame("time,AAA,BBB\n" + "\n".join(rows) + "\n", "mixed.csv"), REFERENCE)


@pytest.mark.parametrize(
    "stamp",
    [
        lambda d: d.strftime("%Y-%m-%d"),
        lambda d: d.strftime("%Y-%m-%d 00:00:00"),
        lambda d: d.strftime("%Y-%m-%dT00:00:00Z"),
        lambda d: str(int(d.timestamp()) * 1000),
    ],
    ids=["date", "pandas midnight", "ISO Z", "epoch ms"],
)
def test_daily_rows_in_any_shape_are_daily_bars(stamp: Stamp) -> None:
    days = [datetime(2024, 2, 27, tzinfo=UTC) + timedelta(days=i) for i in range(4)]
    text = "date,AAA\n" + "".join(f"{stamp(d)},{i + 1}\n" for i, d in enumerate(days))
    frame = parse_price_frame(text, "daily.csv")
    assert frame.bar == "1d"
    # the 2024-02-27 candle closes at 2024-02-28 00:00 UTC
    assert list(frame.times) == [
        np.datetime64(f"2024-{md}T00:00", "s") for md in ("02-28", "02-29", "03-01", "03-02")
    ]
    np.testing.assert_array_equal(frame.closes[:, 0], [1.0, 2.0, 3.0, 4.0])


def test_the_bundled_hourly_layout_and_the_daily_layout_still_read() -> None:
    text = "datetime_utc,AAA\n2024-03-01 00:00,1\n2024-03-01 01:00,2\n2024-03-01 03:00,3\n"
    frame = parse_price_frame(text, "h.csv")
    assert (frame.bar, len(frame.times)) == ("1h", 4)  # the 02:00 hour is an outage, filled
    np.testing.assert_array_equal(frame.closes[:, 0], [1.0, 2.0, 2.0, 3.0])


def test_a_file_written_newest_first_reads_the_same() -> None:
    # CryptoDataDownload's exports, for one, list the newest row first.
    header, *rows = hourly_text(*HOURLY_SHAPES["epoch milliseconds (ccxt)"]).splitlines()
    same_frame(parse_price_frame("\n".join([header, *reversed(rows)]) + "\n", "newest-first.csv"), REFERENCE)


def test_many_empty_cells_read_as_missing_prices() -> None:
    # Above 10,000 empty cells the fast reader fills them in bulk; the result is the same.
    rows = [f"{(START + timedelta(hours=i)).strftime('%Y-%m-%d %H:%M')},{i + 1},{'' if i < 12_000 else 7}"
            for i in range(12_005)]  # fmt: skip
    frame = parse_price_frame("datetime_utc,AAA,BBB\n" + "\n".join(rows) + "\n", "late.csv")
    assert np.isnan(frame.closes[:12_000, 1]).all()
    assert (frame.closes[12_000:, 1] == 7).all()
    assert frame.closes[-1, 0] == 12_005
    rows[12_002] = rows[12_002].rsplit(",", 1)[0] + ",0"  # a zero among them is no empty cell
    with pytest.raises(
        ConfigError, match=r"^late.csv: line 12004: BBB: prices must be positive and finite, got 0$"
    ):
        parse_price_frame("datetime_utc,AAA,BBB\n" + "\n".join(rows) + "\n", "late.csv")


def test_windows_line_endings_a_byte_order_mark_and_no_final_newline() -> None:
    text = hourly_text(*HOURLY_SHAPES["ISO 8601 with T and Z"])
    same_frame(
        parse_price_frame(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), "crlf.csv"), REFERENCE
    )
    same_frame(parse_price_frame(text.rstrip("\n"), "unterminated.csv"), REFERENCE)


# -- errors: the file, the line, the column, the value and what was expected -------------------------------

FORMATS = (
    "(the formats read: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] ('T' or a space; a zone Z or +HH:MM, else UTC), "
    "or epoch seconds or milliseconds)"
)


def long_file(
    header: str, stamp: Stamp, bad_row: int, bad_stamp: str | None = None, bad_cell: str = ""
) -> str:
    """A file of 5,000 plain rows (the fast reader's case) with one bad stamp or cell at ``bad_row``."""
    lines = [f"{header},AAA,BBB"]
    for i in range(5_000):
        cell = bad_cell if i == bad_row and bad_cell else "2"
        text = bad_stamp if i == bad_row and bad_stamp is not None else stamp(START + timedelta(hours=i))
        lines.append(f"{text},1.5,{cell}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("header", "stamp", "bad", "expected"),
    [
        ("datetime", HOURLY_SHAPES["pandas' to_csv"][1], "2024-03-01 25:00:00", "YYYY-MM-DD HH:MM:SS"),
        (
            "timestamp",
            HOURLY_SHAPES["ISO 8601 with T and Z"][1],
            "2024-03-01 5:00:00Z",
            "YYYY-MM-DDTHH:MM:SSZ",
        ),
        (
            "time",
            HOURLY_SHAPES["pandas, time zone aware"][1],
            "2024-02-30 05:00:00+00:00",
            "YYYY-MM-DD HH:MM:SS+HH:MM",
        ),
        ("timestamp", HOURLY_SHAPES["epoch milliseconds (ccxt)"][1], "1709269200", "epoch milliseconds"),
        ("timestamp", HOURLY_SHAPES["epoch seconds"][1], "17092692OO", "epoch seconds"),
        ("date", HOURLY_SHAPES["datetime_utc, YYYY-MM-DD HH:MM"][1], "", "YYYY-MM-DD HH:MM"),
    ],
    ids=["hour 25", "one-digit hour", "30 February", "seconds among milliseconds", "letters", "empty"],
)
def test_a_bad_stamp_deep_in_a_plain_file_names_its_line(
    header: str, stamp: Stamp, bad: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_price_frame(long_file(header, stamp, 4_321, bad_stamp=bad), "prices.csv")
    error = caught.value
    assert (error.source, error.key, error.exit_code) == ("prices.csv", "line 4323", 2)
    assert error.message == f"column {header}: expected a time {expected} like line 2 {FORMATS}, got {bad!r}"


def test_an_unknown_first_stamp_lists_the_formats_read() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_price_frame("timestamp,AAA\n01/03/2024 10:00,1\n", "prices.csv")
    assert str(caught.value) == (
        "prices.csv: line 2: column timestamp: expected a time as YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] "
        "('T' or a space; a zone Z or +HH:MM, else UTC), or epoch seconds or milliseconds, got '01/03/2024 10:00'"
    )


def test_a_fraction_of_a_second_is_named() -> None:
    text = "timestamp,AAA\n1709269200000,1\n1709272800500,2\n"
    with pytest.raises(ConfigError, match=r"line 3: .*got '1709272800500' \(not a whole second\)$"):
        parse_price_frame(text, "prices.csv")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("abc", "BBB: expected a price, got 'abc'"),
        ("nan", "BBB: expected a price, got 'nan'"),
        ("inf", "BBB: expected a price, got 'inf'"),
        ("1,5", "expected 3 columns, got 4"),
        ("-2", "BBB: prices must be positive and finite, got -2"),
        ("1e999", "BBB: prices must be positive and finite, got inf"),
    ],
)
def test_a_bad_price_deep_in_a_plain_file_names_its_line(cell: str, message: str) -> None:
    text = long_file("timestamp", HOURLY_SHAPES["epoch milliseconds (ccxt)"][1], 2_999, bad_cell=cell)
    with pytest.raises(ConfigError) as caught:
        parse_price_frame(text, "prices.csv")
    assert (caught.value.key, caught.value.message) == ("line 3001", message)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("BTC,ETH\n1,2\n", "line 1", "expected a header whose first column holds the times, named like date"),
        (
            "timestamp,open,high,low,close,volume\n1709269200000,1,2,0.5,1.5,100\n",
            "line 1",
            "columns open, high, low, close, volume look like the candles of one market; expected one "
            "column of closes per asset, named by the asset (e.g. timestamp,BTC,ETH)",
        ),
        (
            "time,AAA\n2024-03-01 00:00,1\n2024-03-01 00:15,2\n2024-03-01 00:30,3\n",
            "line 3",
            "most rows are 15 minutes apart (2024-03-01 00:00, 2024-03-01 00:15); "
            "expected one row a day or one an hour",
        ),
        (
            "time,AAA\n2024-03-01 00:00,1\n2024-03-02 00:00,2\n2024-03-03 00:00,3\n2024-03-04 06:00,3\n"
            "2024-03-05 00:00,3\n",
            "line 5",
            "expected one row a day at 00:00:00 UTC like line 2, got '2024-03-04 06:00'",
        ),
        ("time,AAA\n2024-03-01T06:00+01:00,1\n2024-03-01T05:00Z,1\n", "line 3", "times must increase"),
        ("date,AAA\n2024-03-01,1\n2024-03-01 01:00,1\n", "line 3", "expected a time YYYY-MM-DD like line 2"),
    ],
    ids=["no time column", "candles", "quarter hours", "daily off the clock", "same instant", "kinds mixed"],
)
def test_file_shape_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_price_frame(text, "prices.csv")
    assert caught.value.key == where
    assert message in caught.value.message
    assert "\n" not in str(caught.value)


# -- reading only the columns a run needs ------------------------------------------------------------------


@pytest.mark.parametrize("careful", [False, True], ids=["fast reader", "careful reader"])
def test_only_the_asked_columns_are_read(careful: bool) -> None:
    rows = [line.split(",") for line in hourly_text(*HOURLY_SHAPES["pandas' to_csv"]).splitlines()[1:]]
    text = "\n".join(["datetime,AAA,JUNK,BBB"] + [f"{t},{a},not a price,{b}" for t, a, b in rows]) + "\n"
    if careful:
        text = text.replace("\n", "\n\n", 2)  # a blank line: the csv module reads it
    frame = parse_price_frame(text, "wide.csv", only=["BBB", "AAA"])
    same_frame(frame, REFERENCE)  # the file's order, AAA then BBB; JUNK never parsed
    with pytest.raises(ConfigError, match=r"line 2: JUNK: expected a price, got 'not a price'"):
        parse_price_frame(text if not careful else text.replace("\n\n", "\n"), "wide.csv")


def test_asking_for_a_column_the_file_lacks_names_the_ones_it_has() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_price_frame(hourly_text(*HOURLY_SHAPES["epoch seconds"]), "prices.csv", only=["AAA", "SOL"])
    assert str(caught.value) == "prices.csv: assets: unknown asset SOL; available: AAA, BBB"


# -- a span of rows: a backtest of part of a long file reads the closes of that part only --------------


def daily_text(days: int, bad_line: int | None = None) -> str:
    """``days`` daily rows from 2024-01-01 of two assets; ``bad_line`` (a file line) holds a number numpy
    cannot read, though every byte of it is one a plain file may hold."""
    rows = ["date,AAA,BBB"]
    for i in range(days):
        day = (datetime(2024, 1, 1) + timedelta(days=i)).strftime("%Y-%m-%d")
        rows.append(f"{day},{'1.2.3' if i + 2 == bad_line else 100 + i},{50 + i / 4:g}")
    return "\n".join(rows) + "\n"


def seconds_of(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def test_a_span_reads_just_its_rows_with_the_closes_of_the_whole_file() -> None:
    text = daily_text(60)
    whole = parse_price_frame(text, "prices.csv")
    span = (seconds_of("2024-01-20"), seconds_of("2024-02-10"))
    part = parse_price_frame(text, "prices.csv", between=span)
    assert part.times[0] == np.datetime64("2024-01-21", "s")  # the bar of 2024-01-20 closes a day later
    assert part.times[-1] == np.datetime64("2024-02-11", "s")
    rows = slice(19, 41)
    np.testing.assert_array_equal(part.times, whole.times[rows])
    np.testing.assert_array_equal(part.closes, whole.closes[rows])


def test_a_bad_number_outside_the_span_is_not_read_and_inside_it_is_named() -> None:
    text = daily_text(60, bad_line=5)  # 2024-01-04
    with pytest.raises(ConfigError, match=r"line 5.*AAA.*1\.2\.3"):
        parse_price_frame(text, "prices.csv")
    part = parse_price_frame(text, "prices.csv", between=(seconds_of("2024-01-20"), seconds_of("2024-02-10")))
    assert len(part.times) == 22
    with pytest.raises(ConfigError, match=r"line 5.*AAA.*1\.2\.3"):
        parse_price_frame(text, "prices.csv", between=(seconds_of("2024-01-01"), seconds_of("2024-01-10")))


@pytest.mark.parametrize(
    "span",
    [("2023-01-01", "2023-06-30"), ("2025-01-01", "2025-12-31"), ("2024-01-10", "2024-01-10")],
    ids=["before the file", "after the file", "one row"],
)
def test_a_span_that_holds_fewer_than_two_rows_reads_the_whole_file(span: tuple[str, str]) -> None:
    text = daily_text(30)
    part = parse_price_frame(text, "prices.csv", between=(seconds_of(span[0]), seconds_of(span[1])))
    same_frame(part, parse_price_frame(text, "prices.csv"))


def test_a_file_written_newest_first_is_read_whole_whatever_the_span() -> None:
    header, *rows = daily_text(30).splitlines()
    newest_first = "\n".join([header, *reversed(rows)]) + "\n"
    part = parse_price_frame(
        newest_first, "prices.csv", between=(seconds_of("2024-01-05"), seconds_of("2024-01-09"))
    )
    same_frame(part, parse_price_frame(daily_text(30), "prices.csv"))

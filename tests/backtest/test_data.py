"""Loading wide close-price CSVs into a PriceFrame: bar close times, gap filling, selection and errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from trimtab.backtest.data import PriceFrame, load_price_frame
from trimtab.errors import ConfigError

NAN = np.nan


def write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def at(stamp: str) -> np.datetime64:
    return np.datetime64(stamp, "s")


# --- the bundled daily file -------------------------------------------------------------------------------


def test_bundled_daily_bars_close_at_midnight_after_their_date() -> None:
    frame = load_price_frame()
    assert frame.bar == "1d"
    assert frame.bars_per_year == 365.0
    assert len(frame.assets) == 19
    # the first row is dated 2017-08-17 (candle open); its close is at 2017-08-18 00:00 UTC
    assert frame.times[0] == at("2017-08-18T00:00")
    assert frame.times.dtype == np.dtype("datetime64[s]")
    assert np.all(np.diff(frame.times) == np.timedelta64(86_400, "s"))
    assert frame.closes[0, frame.assets.index("BTC")] == 4285.08


def test_bundled_frame_is_cached_and_read_only() -> None:
    frame = load_price_frame()
    assert load_price_frame() is frame
    with pytest.raises(ValueError, match="read-only"):
        frame.closes[0, 0] = 1.0


def test_sol_cannot_start_before_its_first_close() -> None:
    # SOL's first row is dated 2020-08-11; that candle closes at 2020-08-12 00:00 UTC, the first SOL price
    with pytest.raises(ConfigError) as caught:
        load_price_frame().select(["BTC", "SOL"], date(2020, 8, 11), None)
    assert str(caught.value) == (
        "bundled daily_close_usd.csv: start: SOL has no price before 2020-08-12 00:00 UTC "
        "(the close of its first daily candle, opened 2020-08-11); start on or after 2020-08-12"
    )
    frame = load_price_frame().select(["BTC", "SOL"], date(2020, 8, 12), None)
    assert frame.times[0] == at("2020-08-12T00:00")
    assert frame.closes[0, 1] == 3.2985  # SOURCES.md: SOL first close 2020-08-11 = 3.30


def test_the_latest_listing_asset_sets_the_earliest_start() -> None:
    # DOT's first candle opens 2020-08-18, after SOL's and LINK's: its start suits all three
    with pytest.raises(
        ConfigError, match=r"DOT has no price .*start on or after 2020-08-19 \(that also suits LINK, SOL"
    ):
        load_price_frame().select(["BTC", "SOL", "DOT", "LINK"], date(2019, 1, 1), None)


def test_select_cuts_by_bar_close_date_inclusive() -> None:
    frame = load_price_frame().select(["ETH", "BTC"], date(2024, 1, 1), date(2024, 1, 31))
    assert frame.assets == ("ETH", "BTC")
    assert len(frame.times) == 31  # closes at 00:00 of 2024-01-01 .. 2024-01-31
    assert frame.times[0] == at("2024-01-01T00:00")
    assert frame.times[-1] == at("2024-01-31T00:00")
    # the close at 2024-01-01 00:00 is the candle dated 2023-12-31: BTC 42,283.58 (SOURCES.md: "42,283.6")
    assert frame.closes[0, 1] == 42283.58
    assert frame.bars_per_year == 365.0


def test_select_with_open_ends_keeps_everything() -> None:
    full = load_price_frame()
    frame = full.select(["BTC"])
    assert len(frame.times) == len(full.times)


@pytest.mark.parametrize(
    ("assets", "start", "end", "message"),
    [
        (["BTC", "FOO"], None, None, "assets: unknown asset FOO; available: BTC, ETH, SOL,"),
        ([], None, None, "assets: select at least one asset"),
        (["BTC", "BTC"], None, None, "assets: BTC selected more than once"),
        (["BTC"], date(2030, 1, 1), None, "start: no bars between 2030-01-01 and the end; the file covers"),
        (["BTC"], date(2024, 2, 1), date(2024, 1, 1), "no bars between 2024-02-01 and 2024-01-01"),
    ],
)
def test_bad_selections_are_config_errors(
    assets: list[str], start: date | None, end: date | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=r"^bundled daily_close_usd\.csv: ") as caught:
        load_price_frame().select(assets, start, end)
    assert message in str(caught.value)


# --- synthetic files --------------------------------------------------------------------------------------

HOURLY_WITH_GAPS = """datetime_utc,AAA,BBB
2024-03-01 00:00,10,
2024-03-01 01:00,11,
2024-03-01 04:00,12,5
2024-03-01 05:00,,6
"""


def test_hourly_gaps_are_forward_filled_on_a_complete_grid(tmp_path: Path) -> None:
    frame = load_price_frame(write(tmp_path, HOURLY_WITH_GAPS))
    assert frame.bar == "1h"
    assert frame.bars_per_year == 8760.0
    assert frame.assets == ("AAA", "BBB")
    # opens 00:00 .. 05:00 -> closes 01:00 .. 06:00; the 02:00 and 03:00 bars are missing (an outage)
    assert list(frame.times) == [at(f"2024-03-01T{h:02d}:00") for h in range(1, 7)]
    expected = [
        [10, NAN],  # 01:00
        [11, NAN],  # 02:00
        [11, NAN],  # 03:00 outage: last close carried
        [11, NAN],  # 04:00 outage
        [12, 5],  # 05:00 BBB lists
        [12, 6],  # 06:00 AAA cell empty after listing: carried
    ]
    np.testing.assert_array_equal(frame.closes, np.array(expected, dtype=float))


def test_daily_gaps_are_forward_filled_too(tmp_path: Path) -> None:
    frame = load_price_frame(write(tmp_path, "date,AAA\n2024-02-28,1\n2024-03-01,2\n"))
    # candles of 02-28, (02-29 missing), 03-01 close at 02-29, 03-01, 03-02 00:00
    assert list(frame.times) == [at("2024-02-29"), at("2024-03-01"), at("2024-03-02")]
    np.testing.assert_array_equal(frame.closes[:, 0], [1.0, 1.0, 2.0])


def test_hourly_listing_mid_day_starts_the_next_day(tmp_path: Path) -> None:
    rows = [f"2024-03-01 {h:02d}:00,100,{'' if h < 6 else 5}" for h in range(24)] + ["2024-03-02 00:00,101,6"]
    path = write(tmp_path, "datetime_utc,AAA,BBB\n" + "\n".join(rows) + "\n")
    # BBB's first candle opens 06:00 and closes 07:00 on 2024-03-01; the first bar of 2024-03-01 closes at
    # 00:00 that day, without BBB, so the first whole day is 2024-03-02
    with pytest.raises(
        ConfigError,
        match=r"BBB has no price before 2024-03-01 07:00 UTC \(the close of its first "
        r"hourly candle, opened 2024-03-01 06:00\); start on or after 2024-03-02$",
    ):
        load_price_frame(path).select(["AAA", "BBB"], date(2024, 3, 1), None)
    frame = load_price_frame(path).select(["AAA", "BBB"], date(2024, 3, 2), None)
    assert frame.times[0] == at("2024-03-02T00:00")  # the 23:00 candle of 03-01
    np.testing.assert_array_equal(frame.closes, [[100.0, 5.0], [101.0, 6.0]])


def test_quoted_cells_and_blank_lines_read_the_same(tmp_path: Path) -> None:
    plain = load_price_frame(write(tmp_path, HOURLY_WITH_GAPS, "plain.csv"))
    fancy_text = HOURLY_WITH_GAPS.replace("10,", '"10",').replace("12,5", "12,5\n\n")
    fancy = load_price_frame(write(tmp_path, fancy_text, "fancy.csv"))
    np.testing.assert_array_equal(fancy.closes, plain.closes)
    np.testing.assert_array_equal(fancy.times, plain.times)


def test_windows_line_endings_read_the_same(tmp_path: Path) -> None:
    plain = load_price_frame(write(tmp_path, HOURLY_WITH_GAPS, "plain.csv"))
    crlf = load_price_frame(write(tmp_path, HOURLY_WITH_GAPS.replace("\n", "\r\n"), "crlf.csv"))
    assert crlf.assets == plain.assets
    np.testing.assert_array_equal(crlf.closes, plain.closes)


def test_frames_built_directly_do_not_freeze_the_callers_arrays() -> None:
    closes = np.array([[1.0], [2.0]])
    frame = PriceFrame(
        "mine", np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"), ("A",), closes, "1d"
    )
    closes[0, 0] = 3.0  # still writeable for the caller
    assert frame.times.dtype == np.dtype("datetime64[s]")
    assert not frame.closes.flags.writeable


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("BTC,ETH\n1,2\n", "line 1", "expected a header whose first column holds the times, named like date"),
        ("date\n2024-01-01\n", "line 1", "expected at least one asset column"),
        ("date,BTC,BTC\n2024-01-01,1,2\n", "line 1", "asset column BTC appears more than once"),
        ("date,BTC\n", "", "the file has a header but no rows"),
        (
            "date,BTC\n2024-01-01,1\n2024-01-32,2\n",
            "line 3",
            "column date: expected a time YYYY-MM-DD like line 2 (the formats read: YYYY-MM-DD, "
            "YYYY-MM-DD HH:MM[:SS] ('T' or a space; a zone Z or +HH:MM, else UTC), or epoch seconds or "
            "milliseconds), got '2024-01-32'",
        ),
        ("date,BTC\n2024-01-01,1\n2024-1-2,2\n", "line 3", "expected a time YYYY-MM-DD like line 2"),
        ("datetime_utc,BTC\n2024-01-01 00:30,1\n", "line 2", "expected a whole hour, got '2024-01-01 00:30'"),
        ("date,BTC\n2024-01-01,1\n2024-01-02,abc\n", "line 3", "BTC: expected a price, got 'abc'"),
        ("date,BTC\n2024-01-01,1\n2024-01-02,nan\n", "line 3", "BTC: expected a price, got 'nan'"),
        ("date,BTC\n2024-01-01,1\n2024-01-02,1,2\n", "line 3", "expected 2 columns, got 3"),
        (
            "date,BTC\n2024-01-01,1\n2024-01-03,1\n2024-01-02,2\n",  # neither order: newest first reverses
            "line 4",
            "column date: times must increase, 2024-01-02 follows 2024-01-03",
        ),
        ("date,BTC\n2024-01-01,1\n2024-01-01,2\n", "line 3", "times must increase"),
        (
            "date,BTC,ETH\n2024-01-01,1,1\n2024-01-02,2,0\n",
            "line 3",
            "ETH: prices must be positive and finite, got 0",
        ),
        ("date,BTC\n2024-01-01,-5\n", "line 2", "BTC: prices must be positive and finite, got -5"),
        ("date,BTC\n2024-01-01,1e999\n", "line 2", "BTC: prices must be positive and finite, got inf"),
        (
            "date,BTC\n2024-01-01,1\n2042-01-01,2\n",
            "line 3",
            "a gap of more than 7 days looks like a wrong date",
        ),
    ],
)
def test_bad_files_are_one_config_error_line_naming_file_and_line(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_price_frame(path)
    error = caught.value
    assert error.exit_code == 2
    assert (error.source, error.key) == (str(path), where)
    assert message in error.message
    assert "\n" not in str(error)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(ConfigError, match=r"nope.csv: cannot read the file \(No such file or directory\)"):
        load_price_frame(path)

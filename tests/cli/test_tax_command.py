"""``trimtab tax import`` and ``trimtab tax report`` in process (typer's runner), on real SQLite ledgers
and real paper fills. Every expected figure is worked by hand in the comments."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from trimtab.cli.main import app
from trimtab.cli.tax_output import NOT_TAX_ADVICE
from trimtab.ledger import LedgerStore
from trimtab.model.orders import Side

D = Decimal
runner = CliRunner()
HEADER = "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
THIS_YEAR = datetime.now(UTC).year

# US, FIFO: lot 1 = 1 BTC for 20,000 + 10 fee = 20,010; lot 2 = 1 BTC for 60,000.
# 3 Jun 2024, sell 1.5 at 70,000 - 21 fee = 104,979, shared by units: 2/3 = 69,986 to lot 1 (held
# since 10 Jan 2023: long, gain 49,976), 1/3 = 34,993 to half of lot 2 (cost 30,000: short, gain 4,993).
# 1 Jan 2025 03:00 UTC is still 31 Dec 2024 in New York: sell 0.5 at 80,000 = 40,000 against the other
# half of lot 2 (30,000): short, gain 10,000. Short 14,993, long 49,976.
US_HISTORY = HEADER + (
    "2023-01-10T15:00:00Z,coinbase,buy,BTC,1,20000,10,USD\n"
    "2024-03-01T15:00:00Z,coinbase,buy,BTC,1,60000,,\n"
    "2024-06-03T15:00:00Z,coinbase,sell,BTC,1.5,70000,21,USD\n"
    "2025-01-01T03:00:00Z,coinbase,sell,BTC,0.5,80000,,\n"
)
# Germany, FIFO per wallet: kraken lot 1 = 10 ETH for 15,000 + 15 = 15,015; lot 2 = 10 ETH for 16,000.
# 1 Mar 2024, kraken sells 12 at 3,000 - 36 fee = 35,964: 10/12 = 29,970 to lot 1 (held > 1 year:
# tax-free, gain 14,955), 2/12 = 5,994 to 2 ETH of lot 2 (cost 3,200: taxable, gain 2,794).
# The ledger wallet's sale uses its own lot (per wallet): 2,000 - 2,500 = -500, taxable.
# Taxable result 2,294 >= the 1,000 Freigrenze of 2024: all of it is taxed.
DE_HISTORY = HEADER + (
    "2023-02-01T10:00:00Z,kraken,buy,ETH,10,1500,15,EUR\n"
    "2023-09-01T10:00:00Z,kraken,buy,ETH,10,1600,,\n"
    "2024-01-15T10:00:00Z,ledger,buy,ETH,1,2500,,\n"
    "2024-03-01T10:00:00Z,kraken,sell,ETH,12,3000,36,EUR\n"
    "2024-05-01T10:00:00Z,ledger,sell,ETH,1,2000,,\n"
)
# UK: pool 2 BTC for 40,000. 1 Apr 2024 (tax year 2023/24): 0.1 from the pool (cost 2,000) for 4,500.
# Pool 1.9 for 38,000. 10 Jun 2024: sell 2 for 110,000, matched 1 same day (cost 50,000), 0.5 with the
# buy of 20 Jun (30 days, cost 26,000), 0.5 from the pool (38,000 x 0.5/1.9 = 10,000); proceeds by
# units 55,000 / 27,500 / 27,500: gains 5,000 + 1,500 + 17,500 = 24,000, less 3,000 exempt = 21,000.
UK_HISTORY = HEADER + (
    "2023-05-01T12:00:00Z,w,buy,BTC,2,20000,,\n"
    "2024-04-01T12:00:00Z,w,sell,BTC,0.1,45000,,\n"
    "2024-06-10T09:00:00Z,w,buy,BTC,1,50000,,\n"
    "2024-06-10T15:00:00Z,w,sell,BTC,2,55000,,\n"
    "2024-06-20T12:00:00Z,w,buy,BTC,0.5,52000,,\n"
)
# The drifted paper portfolio of tests/conftest.py, bought on 1 Jan 2024 at these prices (USD).
START_PRICES = {"BTC": D(44000), "ETH": D(2350), "SOL": D(110), "BNB": D(315)}
AMOUNTS = {"BTC": "0.09053", "ETH": "1.2754", "SOL": "13.647", "BNB": "3.189"}
PAPER_START = HEADER + "".join(
    f"2024-01-01T12:00:00Z,paper,buy,{asset},{AMOUNTS[asset]},{price},,\n"
    for asset, price in START_PRICES.items()
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def report(jurisdiction: str, year: str, *args: str) -> tuple[int, str, str]:
    return invoke("tax", "report", "-j", jurisdiction, "--year", year, *args)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def report_json(*args: str) -> dict[str, Any]:
    code, out, err = invoke("tax", "report", *args, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def ledger_of(config: Path) -> LedgerStore:
    return LedgerStore.open(f"sqlite:///{config.parent / 'data' / 'ledger.db'}")


def one_line_error(code: int, out: str, err: str) -> str:
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- import -------------------------------------------------------------------------------------


def test_import_stores_the_history_and_names_its_span(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config, history = write_config(), write(tmp_path, "us.csv", US_HISTORY)
    code, out, err = invoke("tax", "import", str(history), "-c", str(config))
    assert code == 0, err
    assert (
        out == f"imported 4 events priced in USD from {history} (2023-01-10 15:00 .. 2025-01-01 03:00 UTC)\n"
    )
    with ledger_of(config) as ledger:
        events = ledger.tax_events("USD")
        assert [(str(e.type), e.asset, str(e.amount), e.line) for e in events] == [
            ("buy", "BTC", "1", 2),
            ("buy", "BTC", "1", 3),
            ("sell", "BTC", "1.5", 4),
            ("sell", "BTC", "0.5", 5),
        ]
        assert ledger.tax_event_counts() == {"USD": 4}


def test_importing_twice_skips_what_is_there(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config, history = write_config(), write(tmp_path, "us.csv", US_HISTORY)
    assert invoke("tax", "import", str(history), "-c", str(config))[0] == 0
    code, out, _ = invoke("tax", "import", str(history), "-c", str(config))
    assert code == 0
    assert out.endswith("; skipped 4 already in the ledger\n")
    assert out.startswith("imported 0 events priced in USD from")
    # A longer export of the same account later: only its new row goes in.
    longer = write(tmp_path, "us-later.csv", US_HISTORY + "2025-02-01T12:00:00Z,coinbase,buy,ETH,2,3000,,\n")
    code, out, _ = invoke("tax", "import", str(longer), "-c", str(config), "--json")
    assert code == 0
    assert json.loads(out) == {
        "imported": 1,
        "skipped": 4,
        "file": str(longer),
        "currency": "USD",
        "first": "2023-01-10T15:00:00+00:00",
        "last": "2025-02-01T12:00:00+00:00",
    }
    with ledger_of(config) as ledger:
        assert len(ledger.tax_events()) == 5


def test_a_file_with_a_bad_row_imports_nothing(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config()
    history = write(tmp_path, "bad.csv", US_HISTORY + "2025-02-01T12:00:00Z,coinbase,buy,ETH,-1,3000,,\n")
    line = one_line_error(*invoke("tax", "import", str(history), "-c", str(config)))
    assert line == f"error: {history}:6: amount: expected a number above 0, got '-1'"
    assert not (tmp_path / "data").exists()  # the file is checked before the ledger is touched
    with ledger_of(config) as ledger:
        assert ledger.tax_events() == []


def test_import_takes_the_currency_of_the_prices(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config, history = write_config(), write(tmp_path, "de.csv", DE_HISTORY)
    assert invoke("tax", "import", str(history), "-c", str(config), "--currency", "eur")[0] == 0
    with ledger_of(config) as ledger:
        assert ledger.tax_event_counts() == {"EUR": 5}
    line = one_line_error(*invoke("tax", "import", str(history), "-c", str(config), "--currency", "JPY"))
    assert line == "error: command line: --currency: expected one of USD, EUR, GBP, got 'JPY'"


# -- report on a --transactions file ------------------------------------------------------------


def test_us_report(tmp_path: Path) -> None:
    data = report_json(
        "-j", "us", "--year", "2024", "--transactions", str(write(tmp_path, "us.csv", US_HISTORY))
    )
    assert data == {
        "jurisdiction": "us",
        "year": 2024,
        "currency": "USD",
        "method": "fifo",
        "disposals": [
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
                "asset": "BTC",
                "wallet": "coinbase",
                "amount": "0.5",
                "acquired": "2024-03-01",
                "disposed": "2024-06-03",
                "proceeds": "34993",
                "cost": "30000",
                "gain": "4993",
                "term": "short",
            },
            {
                "asset": "BTC",
                "wallet": "coinbase",
                "amount": "0.5",
                "acquired": "2024-03-01",
                "disposed": "2024-12-31",
                "proceeds": "40000",
                "cost": "30000",
                "gain": "10000",
                "term": "short",
            },
        ],
        "totals": {"short_term": "14993", "long_term": "49976", "total": "64969"},
    }


def test_us_report_with_hifo_and_a_time_zone(tmp_path: Path) -> None:
    history = str(write(tmp_path, "us.csv", US_HISTORY))
    # HIFO: the 3 Jun sale takes lot 2 whole first (1 BTC, cost 60,000, proceeds 69,986: short, 9,986),
    # then 0.5 of lot 1 (cost 10,005, proceeds 34,993: long, 24,988); the 31 Dec sale takes the rest
    # of lot 1 (10,005) for 40,000: long, 29,995. Short 9,986, long 54,983.
    hifo = report_json("-j", "us", "--year", "2024", "--transactions", history, "--method", "HIFO")
    assert hifo["method"] == "hifo"
    assert hifo["totals"] == {"short_term": "9986", "long_term": "54983", "total": "64969"}
    # In UTC, the sale at 03:00 on 1 Jan 2025 belongs to 2025.
    utc = report_json("-j", "us", "--year", "2024", "--transactions", history, "--timezone", "UTC")
    assert utc["totals"] == {"short_term": "4993", "long_term": "49976", "total": "54969"}


def test_the_ledger_report_uses_the_config_standing_order(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    """The bot's config says min-tax (the default of a US tax: section): the report of the ledger uses
    it unless --method says otherwise, so it shows the lots the bot's plans chose."""
    config = write_config()
    config.write_text(config.read_text(encoding="utf-8") + "tax: {jurisdiction: us}\n", encoding="utf-8")
    assert invoke("tax", "import", str(write(tmp_path, "us.csv", US_HISTORY)), "-c", str(config))[0] == 0
    standing = report_json("-j", "us", "--year", "2024", "-c", str(config))
    # min-tax on 3 Jun 2024 at 104,979 / 1.5 = 69,986 a unit: both lots are gains, lot 1 long-term
    # (class 2) before lot 2 short-term (class 3): the same lots as FIFO here, so compare with HIFO's
    # opposite choice instead: min-tax takes lot 1 whole (long, 69,986 - 20,010 = 49,976) and half of
    # lot 2 (short, 34,993 - 30,000 = 4,993); the 31 Dec sale takes the rest of lot 2 (short, 10,000).
    assert standing["method"] == "min-tax"
    assert standing["totals"] == {"short_term": "14993", "long_term": "49976", "total": "64969"}
    chosen = report_json("-j", "us", "--year", "2024", "-c", str(config), "--method", "hifo")
    assert chosen["method"] == "hifo"
    assert chosen["totals"] == {"short_term": "9986", "long_term": "54983", "total": "64969"}


def test_german_report(tmp_path: Path) -> None:
    data = report_json(
        "-j", "de", "--year", "2024", "--transactions", str(write(tmp_path, "de.csv", DE_HISTORY))
    )
    assert data["currency"] == "EUR"
    assert "method" not in data
    assert data["disposals"] == [
        {
            "asset": "ETH",
            "wallet": "kraken",
            "amount": "10",
            "acquired": "2023-02-01",
            "disposed": "2024-03-01",
            "proceeds": "29970",
            "cost": "15015",
            "gain": "14955",
            "taxable": False,
        },
        {
            "asset": "ETH",
            "wallet": "kraken",
            "amount": "2",
            "acquired": "2023-09-01",
            "disposed": "2024-03-01",
            "proceeds": "5994",
            "cost": "3200",
            "gain": "2794",
            "taxable": True,
        },
        {
            "asset": "ETH",
            "wallet": "ledger",
            "amount": "1",
            "acquired": "2024-01-15",
            "disposed": "2024-05-01",
            "proceeds": "2000",
            "cost": "2500",
            "gain": "-500",
            "taxable": True,
        },
    ]
    assert data["totals"] == {
        "taxable_result": "2294",
        "taxable": "2294",
        "freigrenze": "1000",
        "tax_free_result": "14955",
    }


def test_uk_report(tmp_path: Path) -> None:
    history = str(write(tmp_path, "uk.csv", UK_HISTORY))
    data = report_json("-j", "uk", "--year", "2024", "--transactions", history)
    assert data["currency"] == "GBP"
    assert [
        (d["rule"], d["amount"], d["acquired"], d["disposed"], d["proceeds"], d["cost"], d["gain"])
        for d in data["disposals"]
    ] == [
        ("same-day", "1", "2024-06-10", "2024-06-10", "55000", "50000", "5000"),
        ("30-day", "0.5", "2024-06-20", "2024-06-10", "27500", "26000", "1500"),
        ("pool", "0.5", None, "2024-06-10", "27500", "10000", "17500"),
    ]
    assert data["totals"] == {
        "net_gain": "24000",
        "gains": "24000",
        "losses": "0",
        "annual_exempt_amount": "3000",
        "taxable_gain": "21000",
        "proceeds": "110000",
        "allowable_costs": "86000",
        "disposal_count": 1,
    }
    # 2023/24 holds only the sale of 1 Apr 2024: 4,500 - 2,000 = 2,500, under the £6,000 exempt amount.
    earlier = report_json("-j", "uk", "--year", "2023", "--transactions", history)
    assert earlier["totals"] == {
        "net_gain": "2500",
        "gains": "2500",
        "losses": "0",
        "annual_exempt_amount": "6000",
        "taxable_gain": "0",
        "proceeds": "4500",
        "allowable_costs": "2000",
        "disposal_count": 1,
    }


@pytest.mark.parametrize(
    ("jurisdiction", "history", "rows"),
    [
        (
            "us",
            US_HISTORY,
            [
                ["term", "(a) Description of property", "(b) Date acquired", "(c) Date sold or disposed of",
                 "(d) Proceeds", "(e) Cost or other basis", "(f) Code", "(g) Amount of adjustment",
                 "(h) Gain or (loss)"],
                ["short", "0.5 BTC", "03/01/2024", "06/03/2024", "34993.00", "30000.00", "", "", "4993.00"],
                ["short", "0.5 BTC", "03/01/2024", "12/31/2024", "40000.00", "30000.00", "", "", "10000.00"],
                ["long", "1 BTC", "01/10/2023", "06/03/2024", "69986.00", "20010.00", "", "", "49976.00"],
            ],
        ),
        (
            "de",
            DE_HISTORY,
            [
                ["Art des Wirtschaftsguts", "Anschaffungsdatum", "Veräußerungsdatum", "Veräußerungspreis",
                 "Anschaffungskosten", "Gewinn/Verlust", "steuerpflichtig"],
                ["10 ETH", "01.02.2023", "01.03.2024", "29970.00", "15015.00", "14955.00", "nein"],
                ["2 ETH", "01.09.2023", "01.03.2024", "5994.00", "3200.00", "2794.00", "ja"],
                ["1 ETH", "15.01.2024", "01.05.2024", "2000.00", "2500.00", "-500.00", "ja"],
            ],
        ),
        (
            "uk",
            UK_HISTORY,
            [
                ["asset", "amount", "acquired", "disposed", "proceeds", "cost", "gain", "rule"],
                ["BTC", "1", "2024-06-10", "2024-06-10", "55000.00", "50000.00", "5000.00", "same-day"],
                ["BTC", "0.5", "2024-06-20", "2024-06-10", "27500.00", "26000.00", "1500.00", "30-day"],
                ["BTC", "0.5", "pool", "2024-06-10", "27500.00", "10000.00", "17500.00", "pool"],
            ],
        ),
    ],
)  # fmt: skip
def test_csv_columns(tmp_path: Path, jurisdiction: str, history: str, rows: list[list[str]]) -> None:
    target = tmp_path / "out" / f"{jurisdiction}.csv"
    transactions = str(write(tmp_path, "history.csv", history))
    code, out, err = report(jurisdiction, "2024", "--transactions", transactions, "--csv", str(target))
    assert code == 0, err
    with target.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == rows
    assert out.rstrip().endswith(f"{NOT_TAX_ADVICE}\nWrote 3 disposals to {target}.")
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind


def test_human_output_has_the_table_the_totals_and_the_disclaimer(tmp_path: Path) -> None:
    history = str(write(tmp_path, "us.csv", US_HISTORY))
    code, out, _ = invoke("tax", "report", "-j", "us", "--year", "2024", "--transactions", history)
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert lines[0] == "US disposals 2024 (USD, lots fifo)"
    assert "0.5 BTC  2024-03-01  2024-12-31  40000.00  30000.00  10000.00  short" in lines
    assert lines[-4:] == [
        "Short-term gain (loss): 14,993.00 USD",
        "Long-term gain (loss): 49,976.00 USD",
        "Total: 64,969.00 USD",
        NOT_TAX_ADVICE,
    ]
    code, out, _ = invoke("tax", "report", "-j", "us", "--year", "2024", "--transactions", history, "--json")
    assert "Not tax advice" not in out


# -- refused flags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "message"),
    [
        ("de", "Germany leaves no choice: FIFO per wallet is the rule (BMF 06.03.2025 Rz. 61-62)"),
        (
            "uk",
            "the UK leaves no choice: share matching (same day, 30 days, section 104 pool) is the law "
            "(TCGA 1992 s104-s106A)",
        ),
    ],
)
def test_a_method_is_refused_where_the_law_fixes_it(tmp_path: Path, jurisdiction: str, message: str) -> None:
    history = str(write(tmp_path, "h.csv", UK_HISTORY))
    result = report(jurisdiction, "2024", "--transactions", history, "--method", "fifo")
    assert one_line_error(*result) == f"error: command line: --method: {message}; leave --method out"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-j", "fr", "--year", "2024"), "--jurisdiction: expected one of us, de, uk, got 'fr'"),
        (("-j", "us", "--year", "24"), f"--year: expected a 4-digit year such as {THIS_YEAR - 1}, got 24"),
        (
            ("-j", "us", "--year", str(THIS_YEAR + 1)),
            f"--year: {THIS_YEAR + 1} has not begun yet (this year is {THIS_YEAR})",
        ),
        (
            ("-j", "us", "--year", "2024", "--method", "lifo"),
            "--method: expected one of fifo, hifo, min-tax, got 'lifo'",
        ),
        (
            ("-j", "de", "--year", "2024", "--timezone", "UTC"),
            "--timezone: only a US report takes a time zone, not a de one",
        ),
        (
            ("-j", "us", "--year", "2024", "--timezone", "Mars/Base"),
            "--timezone: expected an IANA time zone such as America/Chicago, got 'Mars/Base'",
        ),
        (
            ("-j", "us", "--year", "2024", "--rates", "rates.csv"),
            "--rates: {history} is read as priced in USD, the report's currency, so there is nothing to "
            "convert; leave --rates out, or give the file's currency with --currency USD",
        ),
    ],
)
def test_bad_flags_are_one_line_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    history = str(write(tmp_path, "us.csv", US_HISTORY))
    line = one_line_error(*invoke("tax", "report", *args, "--transactions", history))
    assert line == f"error: command line: {message.format(history=history)}"


def test_a_history_that_sells_more_than_it_holds_is_a_one_line_error(tmp_path: Path) -> None:
    history = write(tmp_path, "short.csv", HEADER + "2024-06-03T15:00:00Z,coinbase,sell,BTC,1,70000,,\n")
    line = one_line_error(
        *invoke("tax", "report", "-j", "us", "--year", "2024", "--transactions", str(history))
    )
    assert line.startswith("error: selling 1 BTC from wallet 'coinbase' at 2024-06-03T15:00:00+00:00")
    uk = one_line_error(
        *invoke("tax", "report", "-j", "uk", "--year", "2024", "--transactions", str(history))
    )
    assert "section 104 pool" in uk


def test_an_unwritable_csv_is_a_one_line_error(tmp_path: Path) -> None:
    history = str(write(tmp_path, "us.csv", US_HISTORY))
    line = one_line_error(*report("us", "2024", "--transactions", history, "--csv", str(tmp_path)))
    assert line.startswith(f"error: {tmp_path}: --csv: cannot write the file")


# -- report on the ledger: imported history and real paper fills --------------------------------


def test_paper_fills_feed_the_lots(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config()
    assert invoke("tax", "import", str(write(tmp_path, "start.csv", PAPER_START)), "-c", str(config))[0] == 0
    code, _, err = invoke("rebalance", "-c", str(config), "--json")
    assert code == 0, err
    with ledger_of(config) as ledger:
        fills = ledger.live_fills("paper")
    assert {f.side for f in fills} == {Side.BUY, Side.SELL}
    year = fills[0].fill.timestamp.astimezone(ZoneInfo("America/New_York")).year

    data = report_json("-j", "us", "--year", str(year), "-c", str(config))

    # Every unit disposed of was bought on 1 Jan 2024 (FIFO), so every row is long-term at cost
    # amount x the 2024 price. A sell disposes of its amount for price x amount - the USDT fee; a buy
    # pays its fee in the bought asset, which disposes of the fee units at the fill price.
    expected = []
    for recorded in fills:
        fill, asset = recorded.fill, recorded.symbol.split("/")[0]
        if recorded.side is Side.SELL:
            assert fill.fee_asset == "USDT"
            amount, proceeds = fill.amount, fill.price * fill.amount - fill.fee
        else:
            assert fill.fee_asset == asset
            amount, proceeds = fill.fee, fill.fee * fill.price
        cost = amount * START_PRICES[asset]
        expected.append((asset, amount, "2024-01-01", proceeds, cost, proceeds - cost, "long"))
    rows = [
        (d["asset"], D(d["amount"]), d["acquired"], D(d["proceeds"]), D(d["cost"]), D(d["gain"]), d["term"])
        for d in data["disposals"]
    ]
    assert rows == expected
    assert {d["wallet"] for d in data["disposals"]} == {"paper"}
    assert D(data["totals"]["long_term"]) == sum(row[5] for row in expected)
    assert data["totals"]["short_term"] == "0"

    # A EUR report of fills quoted in USDT needs a rates file; with one (0.9), the fills convert.
    assert (
        invoke("tax", "import", str(tmp_path / "start.csv"), "-c", str(config), "--currency", "EUR")[0] == 0
    )
    line = one_line_error(*invoke("tax", "report", "-j", "de", "--year", str(year), "-c", str(config)))
    # The history imported in USD needs the rates as much as the fills quoted in USDT do.
    assert "--rates: imported history is priced in USD (the first on 2024-01-01)" in line
    assert "a EUR report needs daily USD->EUR rates" in line
    assert line.endswith(
        ": give a CSV of date,rate with --rates (or tax.rates_file)"
    )  # the command line's hint
    rates = write(tmp_path, "rates.csv", "date,rate\n2024-01-01,0.9\n")
    code, out, err = report("de", str(year), "-c", str(config), "--rates", str(rates), "--json")
    assert code == 0, err
    assert err == ""  # the history imported in USD is converted with the same rates, not left out
    sell = next(f for f in fills if f.side is Side.SELL)
    first = next(d for d in json.loads(out)["disposals"] if D(d["amount"]) == sell.fill.amount)
    assert D(first["proceeds"]) == (sell.fill.price * sell.fill.amount - sell.fill.fee) * D("0.9")
    assert first["taxable"] is False  # held since 2024: more than a year


def test_fills_without_their_history_say_what_to_import(write_config: Callable[..., Path]) -> None:
    config = write_config()
    assert invoke("rebalance", "-c", str(config), "--json")[0] == 0
    with ledger_of(config) as ledger:
        year = ledger.live_fills("paper")[0].fill.timestamp.astimezone(ZoneInfo("America/New_York")).year
    line = one_line_error(*report("us", str(year), "-c", str(config)))
    assert "from wallet 'paper'" in line
    assert line.endswith(
        "it holds only 0; import the history of how the wallet got it with `trimtab tax import FILE.csv`"
    )


def test_an_empty_ledger_reports_nothing_and_says_why(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config = write_config()
    history = write(tmp_path, "de.csv", DE_HISTORY)
    assert invoke("tax", "import", str(history), "-c", str(config), "--currency", "EUR")[0] == 0
    code, out, err = invoke("tax", "report", "-j", "us", "--year", "2024", "-c", str(config))
    assert code == 0
    assert out.startswith("US disposals 2024 (USD, lots fifo): no disposals.")
    assert err.splitlines() == [
        "warning: 5 imported events priced in EUR left out of this USD report: it can only use history "
        "priced in USD",
        "warning: the ledger holds no history imported in USD and no fills on paper; import it with "
        "`trimtab tax import FILE.csv --currency USD`",
    ]
    data = report_json("-j", "de", "--year", "2024", "-c", str(config))  # the EUR history is there for de
    assert data["totals"] == {
        "taxable_result": "2294",
        "taxable": "2294",
        "freigrenze": "1000",
        "tax_free_result": "14955",
    }

"""What ``tax import`` and ``tax report`` accept and refuse, and the defaults they take from the config.

In process (typer's runner) on real SQLite ledgers and real paper fills. Figures worked in comments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from configs import DRIFTED_BALANCES, yaml_config
from typer.testing import CliRunner

from trimtab.cli.main import app
from trimtab.ledger import LedgerStore

D = Decimal
runner = CliRunner()
HEADER = "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
# 1 BTC bought for 20,000 in 2023, half sold for 15,000 in 2024: a gain of 5,000 in the file's money.
HISTORY = HEADER + "2023-03-01,w,buy,BTC,1,20000,,\n2024-05-02T12:00:00Z,w,sell,BTC,0.5,30000,,\n"


def paper(tax: str) -> str:
    """The drifted seed portfolio on the paper venue, with ``tax`` (YAML text) appended."""
    exchange = {"name": "paper", "balances": DRIFTED_BALANCES, "prices": "2024-12-31"}
    return yaml_config(rebalancing=None, exchange=exchange, extra=tax + "\n")


# Rates of the report currency per USD.
RATES = "date,rate\n2023-01-02,0.9\n2024-01-02,0.8\n"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(code: int, out: str, err: str) -> str:
    assert (code, out) == (2, "")
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def as_json(*args: str) -> dict[str, Any]:
    code, out, err = invoke(*args, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def imported(config: Path) -> int:
    with LedgerStore.open(f"sqlite:///{config.parent / 'data' / 'ledger.db'}") as ledger:
        return sum(ledger.tax_event_counts().values())


# -- future and repeated rows ----------------------------------------------------------------------


def test_import_refuses_future_and_repeated_rows_naming_their_lines(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config = write_config()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        "2024-01-02T10:00:00Z,w,buy,BTC,1,40000,,\n",  # line 2
        "2024-01-02T10:00:00Z,w,buy,BTC,1.0,40000,,\n",  # line 3: line 2 again (1.0 = 1)
        f"{tomorrow},w,buy,ETH,1,3000,,\n",  # line 4: in the future
        "2024-01-02T10:00:00Z,w,buy,BTC,1,40000,,\n",  # line 5: line 2 again
    ]
    history = write(tmp_path, "h.csv", HEADER + "".join(rows))
    line = one_line_error(*invoke("tax", "import", str(history), "-c", str(config)))
    assert line.startswith(f"error: {history}: 1 row dated in the future (after ")
    assert "UTC): line 4; check the dates and their time zone, or import with --allow-future; " in line
    assert line.endswith(
        "2 rows repeat an earlier row exactly: lines 3 (= line 2), 5 (= line 2); "
        "if these are real, equal trades, import with --allow-duplicates"
    )
    assert imported(config) == 0  # nothing half-imported
    # One flag allows one kind only.
    line = one_line_error(*invoke("tax", "import", str(history), "-c", str(config), "--allow-future"))
    assert "--allow-duplicates" in line
    assert "dated in the future" not in line
    data = as_json("tax", "import", str(history), "-c", str(config), "--allow-future", "--allow-duplicates")
    assert (data["imported"], data["skipped"]) == (4, 0)


def test_a_report_of_a_file_refuses_them_too(tmp_path: Path) -> None:
    history = write(tmp_path, "h.csv", HISTORY + HISTORY.splitlines(keepends=True)[1])
    line = one_line_error(
        *invoke("tax", "report", "-j", "us", "--year", "2024", "--transactions", str(history))
    )
    assert line.endswith("line 4 (= line 2); if these are real, equal trades, import with --allow-duplicates")
    data = as_json(
        "tax", "report", "-j", "us", "--year", "2024", "--transactions", str(history), "--allow-duplicates"
    )
    assert data["totals"]["long_term"] == "5000"  # 0.5 of the first 1 BTC lot, held over a year: cost 10,000


# -- bare dates ------------------------------------------------------------------------------------


def test_a_bare_date_starts_at_midnight_in_the_configs_tax_zone(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config = write_config(paper("tax: {jurisdiction: us, timezone: America/Los_Angeles}"))
    history = write(tmp_path, "h.csv", HEADER + "2024-03-01,w,buy,BTC,1,20000,,\n")
    data = as_json("tax", "import", str(history), "-c", str(config))
    assert data["first"] == "2024-03-01T08:00:00+00:00"  # 00:00 in Los Angeles (PST, UTC-8)
    # Without a tax: section, the zone of the currency's country: EUR, Berlin (CET, UTC+1).
    plain = write_config(paper(""), name="plain.yaml")
    data = as_json("tax", "import", str(history), "-c", str(plain), "--currency", "EUR")
    assert data["first"] == "2024-02-29T23:00:00+00:00"


# -- config defaults and one spelling per concept --------------------------------------------------


def test_the_jurisdiction_rates_and_method_come_from_the_config(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    write(tmp_path, "eur.csv", RATES)
    config = write_config(paper("tax: {jurisdiction: de, rates_file: eur.csv}"))
    history = write(tmp_path, "h.csv", HISTORY)
    # tax import prices the file in the config's currency (EUR) unless told: here it is USD.
    assert as_json("tax", "import", str(history), "-c", str(config), "--currency", "USD")["currency"] == "USD"
    # No -j: the config's de; no --rates: its rates_file. Sold 2 May 2024: proceeds 15,000 USD x 0.8 =
    # 12,000 EUR; cost 10,000 USD x 0.9 (the rate of 2023) = 9,000 EUR; held over a year: tax-free.
    data = as_json("tax", "report", "--year", "2024", "-c", str(config))
    [sale] = data["disposals"]
    assert (sale["proceeds"], sale["cost"], sale["taxable"]) == ("12000", "9000", False)
    assert data == as_json(
        "tax", "report", "-j", "de", "--year", "2024", "-c", str(config), "--rates", str(tmp_path / "eur.csv")
    )


def test_without_a_jurisdiction_anywhere_the_report_says_where_to_give_one(tmp_path: Path) -> None:
    history = write(tmp_path, "h.csv", HISTORY)
    missing = str(tmp_path / "none.yaml")
    line = one_line_error(
        *invoke("tax", "report", "--year", "2024", "--transactions", str(history), "-c", missing)
    )
    assert (
        line
        == "error: command line: --jurisdiction: expected us, de or uk (or a config with tax.jurisdiction), got none"
    )


def test_a_usd_file_in_a_uk_report_needs_its_currency_and_rates(tmp_path: Path) -> None:
    history = write(tmp_path, "h.csv", HEADER + "2023-03-01,w,buy,BTC,1,20000,10,USD\n")
    args = ("tax", "report", "-j", "uk", "--year", "2023", "--transactions", str(history))
    line = one_line_error(*invoke(*args))
    assert line == (
        f"error: {history}:2: fee_asset: a fee in USD, but the prices of this file are read as GBP "
        "(--currency GBP); if the file is priced in USD, give --currency USD"
    )
    line = one_line_error(*invoke(*args, "--currency", "USD"))
    assert "--rates: imported history is priced in USD (the first on 2023-03-01); a GBP report needs" in line
    write(tmp_path, "gbp.csv", RATES)
    assert as_json(*args, "--currency", "USD", "--rates", str(tmp_path / "gbp.csv"))["disposals"] == []
    line = one_line_error(*invoke(*args, "--currency", "EUR"))
    assert line.endswith("a GBP report reads a file priced in GBP, or in USD converted with --rates; got EUR")


def test_currency_belongs_to_a_file(write_config: Callable[..., Path]) -> None:
    config = write_config()
    line = one_line_error(
        *invoke("tax", "report", "-j", "us", "--year", "2024", "-c", str(config), "--currency", "USD")
    )
    assert line.endswith("--currency: only with --transactions: the ledger keeps each import's currency")


# -- rates only for what the year needs -----------------------------------------------------------


def test_fills_after_the_reported_year_need_no_rates(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    """The bot's USDT fills (made today) cannot change a past year's German report: no rates asked;
    a report of this year, which they are in, needs them."""
    config = write_config()
    eur = write(tmp_path, "h.csv", HEADER + "2023-03-01,paper,buy,BTC,1,20000,,\n")
    assert invoke("tax", "import", str(eur), "-c", str(config), "--currency", "EUR")[0] == 0
    assert invoke("rebalance", "-c", str(config))[0] == 0
    last_year = datetime.now(UTC).year - 1
    assert (
        as_json("tax", "report", "-j", "de", "--year", str(last_year), "-c", str(config))["disposals"] == []
    )
    line = one_line_error(
        *invoke("tax", "report", "-j", "de", "--year", str(last_year + 1), "-c", str(config))
    )
    assert "--rates: the bot's fills are quoted in USDT" in line

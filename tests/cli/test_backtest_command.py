"""`trimtab backtest` from the command line: JSON shape, report, trades, clear errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from configs import MONTHLY, yaml_config
from typer.testing import CliRunner

from trimtab.cli.main import app

CONFIG = yaml_config(
    weights={"BTC": 50, "ETH": 40, "USDT": 10}, rebalancing=MONTHLY, data_dir=None, exchange=None
)
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_backtest_json_has_both_sides_and_the_premium(write_config: Callable[..., Path]) -> None:
    code, out, err = invoke(
        "backtest", "-c", str(write_config(CONFIG)), "--start", "2022-01-01", "--end", "2023-12-31", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    for side in ("strategy", "buy_and_hold"):
        assert set(report[side]) >= {
            "final_value",
            "cagr",
            "volatility",
            "sharpe",
            "max_drawdown",
            "turnover",
            "fees",
            "rebalances",
        }
    assert report["strategy"]["rebalances"] == 23  # monthly on the 1st: Feb 2022 .. Dec 2023
    assert report["buy_and_hold"]["rebalances"] == 0
    assert Decimal(report["strategy"]["fees"]) > Decimal(report["buy_and_hold"]["fees"]) > 0
    assert isinstance(report["premium"], str)  # decimal strings, never floats (README "JSON output")
    assert Decimal(report["theoretical_premium"]) == Decimal(report["theoretical_premium"]).quantize(
        Decimal("1e-10")
    )
    assert report["start"].startswith("2022-01-01")


def test_backtest_writes_the_report_and_the_trades(write_config: Callable[..., Path], tmp_path: Path) -> None:
    html, trades = tmp_path / "out" / "report.html", tmp_path / "trades.csv"
    args = (
        "backtest",
        "-c",
        str(write_config(CONFIG)),
        "--start",
        "2023-01-01",
        "--report",
        str(html),
        "--trades",
        str(trades),
    )
    code, out, err = invoke(*args)
    assert code == 0, err
    assert "Rebalancing premium" in out
    text = html.read_text(encoding="utf-8")
    assert "plotly" in text
    assert "Equity (log scale)" in text
    rows = list(csv.DictReader(trades.open(encoding="utf-8")))
    assert rows[0]["side"] == "buy"
    assert {r["symbol"] for r in rows} == {"BTC/USDT", "ETH/USDT"}


def test_a_start_before_an_asset_listed_says_when_to_start(write_config: Callable[..., Path]) -> None:
    config = write_config("portfolio:\n  target_weights: {BTC: 50, SOL: 50}\n")
    code, _, err = invoke("backtest", "-c", str(config), "--start", "2019-01-01")
    assert code == 2
    assert "SOL has no price before 2020-08-12" in err
    assert "start on or after 2020-08-12" in err


def test_bad_flags_are_exit_2(write_config: Callable[..., Path]) -> None:
    config = str(write_config(CONFIG))
    assert invoke("backtest", "-c", config, "--start", "yesterday")[0] == 2
    assert invoke("backtest", "-c", config, "--fee-rate", "-1")[0] == 2
    code, _, err = invoke("backtest", "-c", config, "--prices", "/nonexistent.csv")
    assert code == 2
    assert "/nonexistent.csv" in err


def test_backtest_tax_json_has_each_year_for_both_runs(write_config: Callable[..., Path]) -> None:
    code, out, err = invoke(
        "backtest", "-c", str(write_config(CONFIG)), "--start", "2023-01-01", "--end", "2024-12-31",
        "-j", "DE", "--json",
    )  # fmt: skip
    assert code == 0, err
    tax = json.loads(out)["tax"]
    assert (tax["jurisdiction"], tax["currency"]) == ("de", "EUR")
    assert tax["quote_counted_as_currency"] is True  # no --rates: USDT counted as EUR
    assert tax["rates"] == {"rate_percent": "42"}
    assert [year["year"] for year in tax["years"]] == [2023, 2024]
    for year in tax["years"]:
        for side in ("strategy", "buy_and_hold"):
            assert set(year[side]) == {"realized", "tax"}
            assert all(
                Decimal(value) == Decimal(value).quantize(Decimal("0.01")) for value in year[side].values()
            )
    assert all(year["buy_and_hold"]["tax"] == "0.00" for year in tax["years"])  # it never sells
    assert Decimal(tax["strategy"]["tax_paid"]) > 0  # 2023: monthly rebalancing sells winners within a year
    for side in ("strategy", "buy_and_hold"):
        run = tax[side]
        assert set(run) == {
            "tax_paid",
            "liquidation_tax",
            "final_value",
            "after_tax_final_value",
            "after_tax_cagr",
        }
        after = Decimal(run["final_value"]) - Decimal(run["tax_paid"]) - Decimal(run["liquidation_tax"])
        assert abs(Decimal(run["after_tax_final_value"]) - after) <= Decimal("0.02")  # each rounded to cents
        assert Decimal(run["after_tax_cagr"]) > -1
    assert any("Not tax advice" in note for note in tax["notes"])


def test_backtest_tax_prints_the_years_the_after_tax_values_and_the_caveats(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    html = tmp_path / "report.html"
    code, out, err = invoke(
        "backtest", "-c", str(write_config(CONFIG)), "--start", "2022-01-01", "--end", "2023-12-31",
        "--jurisdiction", "us", "--report", str(html),
    )  # fmt: skip
    assert code == 0, err
    assert "Estimated tax (US, USD)" in out
    assert "after-tax final value" in out
    assert "short-term 24%, long-term 15%" in out
    assert "paid from outside the portfolio" in out
    assert "Not tax advice" in out
    assert "counted 1:1" not in out  # USDT = USD is the documented default
    assert "Estimated tax per tax year" in html.read_text(encoding="utf-8")


def test_backtest_tax_uses_the_config_section_and_its_rates(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "gbp.csv").write_text("date,rate\n2020-01-01,0.8\n", encoding="utf-8")
    config = write_config(CONFIG + "tax: {jurisdiction: uk, rate_percent: 20, rates_file: gbp.csv}\n")
    args = ("backtest", "-c", str(config), "--start", "2022-01-01", "--end", "2023-12-31", "--json")
    code, out, err = invoke(*args)  # the section's jurisdiction is the default
    assert code == 0, err
    assert json.loads(out) == json.loads(invoke(*args, "-j", "uk")[1])
    tax = json.loads(out)["tax"]
    assert tax["rates"] == {"rate_percent": "20"}
    assert tax["conversion"].endswith("gbp.csv")
    assert tax["quote_counted_as_currency"] is False
    assert [year["year"] for year in tax["years"]] == [2021, 2022, 2023]  # UK tax years from 6 April
    # Another jurisdiction ignores the section: its defaults.
    code, out, err = invoke(*args, "-j", "de")
    assert code == 0, err
    assert json.loads(out)["tax"]["rates"] == {"rate_percent": "42"}
    code, out, err = invoke(*args, "-j", "none")  # and no tax at all
    assert code == 0, err
    assert "tax" not in json.loads(out)


def test_bad_tax_flags_are_one_line_errors(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = str(write_config(CONFIG))
    code, _, err = invoke("backtest", "-c", config, "-j", "fr")
    assert code == 2
    assert "--jurisdiction: expected one of us, de, uk, none, got 'fr'" in err
    code, _, err = invoke("backtest", "-c", config, "--rates", "rates.csv")
    assert code == 2
    assert "--rates: only applies with --jurisdiction us|de|uk (or tax.jurisdiction)" in err
    code, _, err = invoke("backtest", "-c", config, "-j", "de", "--rates", str(tmp_path / "none.csv"))
    assert code == 2
    assert "none.csv" in err
    late = tmp_path / "late.csv"
    late.write_text("date,rate\n2023-01-01,0.9\n", encoding="utf-8")
    code, _, err = invoke("backtest", "-c", config, "--start", "2022-01-01", "-j", "de", "--rates", str(late))
    assert code == 2
    assert "no rate on or before 2022-01-01" in err
    code, _, err = invoke("backtest", "-c", config, "--start", "2019-01-01", "-j", "uk")
    assert code == 2
    assert "start on or after 2020-04-06" in err
    assert len(err.strip().splitlines()) == 1


def test_a_tax_section_makes_the_backtest_tax_aware(write_config: Callable[..., Path]) -> None:
    """Like the live bot: with a tax: section sells of young German gains wait (here up to 60 days within
    a 15-point band), which changes the trades; without one (or defer_days 0) nothing is deferred."""
    args = ("--start", "2023-01-01", "--end", "2024-12-31", "--json", "-j", "de")
    aware = write_config(
        CONFIG + "tax: {jurisdiction: de, defer_days: 60, hard_band_percent: 15}\n", name="a.yaml"
    )
    naive = write_config(CONFIG + "tax: {jurisdiction: de, defer_days: 0}\n", name="n.yaml")
    code, out, err = invoke("backtest", "-c", str(aware), *args)
    assert code == 0, err
    with_deferral = json.loads(out)
    assert with_deferral["tax_aware"]["jurisdiction"] == "de"
    assert with_deferral["tax_aware"]["deferred"] > 0
    code, out, err = invoke("backtest", "-c", str(naive), *args)
    assert code == 0, err
    without = json.loads(out)
    assert without["tax_aware"] is None
    assert with_deferral["tax"]["strategy"] != without["tax"]["strategy"]
    code, out, _ = invoke("backtest", "-c", str(aware), "--start", "2023-01-01", "--end", "2024-12-31")
    assert "Tax-aware (de, config tax:):" in out


def test_the_old_tax_flag_spellings_still_work_with_a_warning(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "eur.csv").write_text("date,rate\n2020-01-01,0.9\n", encoding="utf-8")
    args = (
        "backtest",
        "-c",
        str(write_config(CONFIG)),
        "--start",
        "2023-01-01",
        "--end",
        "2023-12-31",
        "--json",
    )
    code, old, err = invoke(*args, "--tax", "de", "--tax-rates", str(tmp_path / "eur.csv"))
    assert code == 0, err
    assert err.splitlines() == [
        "warning: --tax is deprecated: use --jurisdiction (the same flag as in `trimtab tax report`)",
        "warning: --tax-rates is deprecated: use --rates (the same flag as in `trimtab tax report`)",
    ]
    code, new, err = invoke(*args, "-j", "de", "--rates", str(tmp_path / "eur.csv"))
    assert (code, err) == (0, "")
    assert json.loads(old) == json.loads(new)
    assert json.loads(new)["tax"]["conversion"].endswith("eur.csv")
    code, _, err = invoke(*args, "--tax", "de", "-j", "us")
    assert code == 2
    assert "--tax: is the old spelling of --jurisdiction; give only --jurisdiction" in err

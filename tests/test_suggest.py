"""Did-you-mean for misspelt asset symbols: in the config's portfolio, in price data columns, on an exchange."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trimtab.suggest import did_you_mean


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("EHT", "ETH"), ("btcc", "BTC"), ("SOLL", "SOL"), ("DOGO", "DOGE"), ("LNIK", "LINK")],
)
def test_a_misspelt_symbol_gets_the_closest_one(typed: str, expected: str) -> None:
    assert (
        did_you_mean(typed, ["BTC", "ETH", "SOL", "DOGE", "LINK", "USDT"]) == f" (did you mean {expected!r}?)"
    )


def test_nothing_close_suggests_nothing() -> None:
    assert did_you_mean("QQQQ", ["BTC", "ETH"]) == ""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trimtab", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_validate_suggests_the_asset_for_a_typo_in_the_portfolio(tmp_path: Path) -> None:
    config = tmp_path / "trimtab.yaml"
    config.write_text("portfolio:\n  target_weights: {BTC: 40, EHT: 30, USDT: 30}\n", encoding="utf-8")
    result = run("validate", "-c", str(config))
    assert result.returncode == 2
    assert "EHT has no price on the paper exchange" in result.stderr
    assert "(did you mean 'ETH'?)" in result.stderr


def test_backtest_suggests_a_column_of_the_price_file(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("date,BTC,DOGE\n2024-01-01,42000,0.09\n2024-01-02,43000,0.1\n", encoding="utf-8")
    config = tmp_path / "trimtab.yaml"
    config.write_text(
        "portfolio:\n  target_weights: {BTC: 50, DOGO: 50}\nexchange:\n  name: paper\n"
        "  prices: {BTC: 43000, DOGO: 0.1}\n",
        encoding="utf-8",
    )
    result = run("backtest", "-c", str(config), "--prices", str(prices))
    assert result.returncode == 2
    assert "unknown asset DOGO (did you mean 'DOGE'?)" in result.stderr

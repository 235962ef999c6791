"""``trimtab withdraw`` and the external holdings and cash flows in ``status``/``plan``, in process."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()

CONFIG = """
portfolio:
  target_weights: {BTC: 50, ETH: 30, USDT: 20}
  external: {BTC: 0.05}
rebalancing: {strategy: threshold, threshold_percent: 5, min_trade_usd: 20}
data_dir: data
exchange: {name: paper, balances: {BTC: 0.05, ETH: 1.5, USDT: 2000}, prices: 2024-12-31, fee_rate: 0.001}
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_status_and_plan_show_the_external_holdings_apart(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG))
    code, out, _ = invoke("status", "-c", path)
    assert code == 0
    assert "Of which external: 0.05 BTC (counted in the weights, never traded)" in out
    code, out, _ = invoke("plan", "-c", path, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["external"] == {"BTC": "0.05"}
    assert report["weights"]["BTC"]["amount"] == "0.1"  # the exchange's 0.05 and the external 0.05
    assert report["cash_flows"] == []


def test_withdraw_sells_prints_what_it_sold_and_records_a_run(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG))
    code, out, err = invoke("withdraw", "1000", "-c", path)
    assert code == 0, err
    assert "Decision: rebalance — withdraw 1000 USDT: sold the most over-target first" in out
    assert "sell   BTC/USDT" in out
    assert "1000 USDT is withdrawn: it left the paper account (run 1)." in out
    code, out, _ = invoke("history", "-c", path, "--json")
    [run] = json.loads(out)["runs"]
    assert run["command"] == "withdraw"
    code, out, _ = invoke("status", "-c", path, "--json")
    assert json.loads(out)["cash_flows"] == []


def test_withdraw_json_says_what_is_ready(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG))
    code, out, err = invoke("withdraw", "500", "--asset", "usdt", "-c", path, "--json")
    assert code == 0, err
    withdrawal = json.loads(out)["withdrawal"]
    assert withdrawal["asset"] == "USDT"
    assert withdrawal["ready"] == "500"
    assert withdrawal["where"] == "transferred"
    assert set(withdrawal["sells"]) <= {"BTC", "ETH"}


def test_withdraw_dry_run_places_nothing(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG))
    code, out, _ = invoke("withdraw", "1000", "--dry-run", "-c", path)
    assert code == 0
    assert "Dry run: nothing sold" in out
    code, out, _ = invoke("status", "-c", path, "--json")
    assert json.loads(out)["weights"]["USDT"]["amount"] == "2000"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["0"], "command line: AMOUNT:"),
        (["--", "-3"], "command line: AMOUNT:"),
        (["ten"], "command line: AMOUNT:"),
        (["10", "--asset", "DOGE"], "command line: --asset: DOGE is not in the portfolio"),
        (["1000000"], "more than the whole portfolio"),
        ([], "command line: AMOUNT: missing"),
    ],
)
def test_bad_withdrawals_are_one_line_and_exit_2(
    write_config: Callable[..., Path], args: list[str], expected: str
) -> None:
    path = str(write_config(CONFIG))
    code, out, err = invoke("withdraw", "-c", path, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert expected in err
    assert "Traceback" not in err


def test_withdraw_cancel_with_nothing_set_aside(write_config: Callable[..., Path]) -> None:
    code, out, _ = invoke("withdraw", "--cancel", "-c", str(write_config(CONFIG)))
    assert code == 0
    assert "Nothing is set aside for a withdrawal." in out


def test_withdraw_with_a_tax_section_says_how_it_ranked_the_sells(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG + "tax: {jurisdiction: us}\n"))
    code, out, err = invoke("withdraw", "1000", "-c", path, "--json")
    assert code == 0, err
    assert json.loads(out)["withdrawal"]["ranking"].startswith("sold cheapest tax first")

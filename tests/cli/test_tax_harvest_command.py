"""``trimtab tax harvest`` in process (typer's runner) on real SQLite ledgers and the real paper venue.

The portfolio of every test: 0.1 BTC at 60,000, 1 ETH at 3,000 and 1,000 USDT (V = 10,000) against
targets BTC 60, ETH 30, USDT 10, with a 0.1 % fee. The imported history bought the BTC 60 days ago at
80,000 (a loss) and the ETH 200 days ago at 2,000 (a gain). Figures are worked by hand in the comments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from configs import yaml_config
from typer.testing import CliRunner

from trimtab.cli.main import app
from trimtab.cli.tax_output import NOT_TAX_ADVICE
from trimtab.ledger import LedgerStore
from trimtab.model.orders import Side

D = Decimal
runner = CliRunner()
NOW = datetime.now(UTC)


def config_text(tax: str, btc: str = "0.1") -> str:
    """The portfolio of the module docstring, holding ``btc``, with ``tax`` (YAML text) appended."""
    exchange = {
        "name": "paper",
        "balances": {"BTC": btc, "ETH": 1, "USDT": 1000},
        "prices": {"BTC": 60000, "ETH": 3000},
        "fee_rate": "0.001",
    }
    weights = {"BTC": 60, "ETH": 30, "USDT": 10}
    return yaml_config(
        weights=weights,
        risk={"max_single_trade_percent": 100, "slippage_tolerance": 0.5},
        exchange=exchange,
        extra=tax,
    )


def days_ago(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT12:00:00Z")


HISTORY = (
    "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
    f"{days_ago(200)},paper,buy,ETH,1,2000,,\n"
    f"{days_ago(60)},paper,buy,BTC,0.1,80000,,\n"
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def setup(
    write_config: Callable[..., Path], tax: str = "tax:\n  jurisdiction: us\n", currency: str = "USD"
) -> Path:
    config = write_config(config_text(tax))
    history = config.parent / "history.csv"
    history.write_text(HISTORY, encoding="utf-8")
    code, _, err = invoke("tax", "import", str(history), "-c", str(config), "--currency", currency)
    assert code == 0, err
    return config


def harvest_json(config: Path, *args: str) -> dict[str, Any]:
    code, out, err = invoke("tax", "harvest", "-c", str(config), "--json", *args)
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


# The BTC lot: 0.1 x 60,000 = 6,000 less the 6 fee = 5,994 against 8,000, a short-term loss of 2,006.
# Nothing else is realized this year: the net loss saves 24 % = 481.44; round-trip fees 12.
BTC_CANDIDATE = {
    "asset": "BTC",
    "units": "0.1",
    "cost": "8000",
    "value": "5994",
    "unrealized_loss": "2006",
    "saving": "481.44",
    "saving_without_rebuy": "481.44",
    "fees": "12",
    "allowed": True,
    "worthwhile": True,
    "harvest": True,
    "lots": [
        {
            "lot_id": "2",
            "amount": "0.1",
            "acquired": days_ago(60)[:10],
            "cost": "8000",
            "value": "5994",
            "held_over_a_year": False,
            "counts": True,
        }
    ],
}


def test_the_json_lists_the_candidates_and_executes_nothing_without_execute(
    write_config: Callable[..., Path],
) -> None:
    config = setup(write_config)
    data = harvest_json(config)
    year = NOW.astimezone(ZoneInfo("America/New_York")).year
    rule = data["candidates"][0].pop("rule")
    assert data == {
        "jurisdiction": "us",
        "currency": "USD",
        "year": year,
        "min_loss": "100",
        "candidates": [BTC_CANDIDATE],  # ETH is at a gain
        "saving": "481.44",
        "skipped": [],
        "executed": None,
    }
    assert rule.startswith(f"wash-sale rule off for {year}")
    with ledger_of(config) as ledger:
        assert ledger.list_runs() == []


def test_execute_sells_the_loss_lot_buys_it_back_and_the_report_shows_the_loss(
    write_config: Callable[..., Path],
) -> None:
    config = setup(write_config)
    code, out, err = invoke("tax", "harvest", "-c", str(config), "--execute")
    assert code == 0, err
    lines = out.splitlines()
    assert any(
        line.split()[:7] == ["BTC", "0.1", "8,000.00", "5,994.00", "2,006.00", "481.44", "yes"]
        for line in lines
    )
    assert NOT_TAX_ADVICE in lines
    assert "Run 1 completed: 2 orders; fees 6 USDT, 0.00009994 BTC (worth 12.00 USDT)" in lines

    with ledger_of(config) as ledger:
        [run] = ledger.list_runs()
        assert (run.command, run.mode, run.status) == ("harvest", "live", "completed")
        assert (run.reason or "").startswith("tax harvest (US ")
        fills = ledger.live_fills("paper")
    # The sell: 0.1 BTC at the paper's last price, fee 0.1 % in USDT. The executor then re-plans the
    # buys from the cash: 1,000 + 5,994 = 6,994 USDT, V = 3,000 + 6,994 = 9,994, BTC's 60 % = 5,996.40
    # = 0.09994 BTC; ETH is at its target and USDT keeps 997.60. The buy's fee is paid in BTC.
    assert [(f.symbol, f.side, f.fill.amount, f.fill.price, f.fill.fee, f.fill.fee_asset) for f in fills] == [
        ("BTC/USDT", Side.SELL, D("0.1"), D(60000), D(6), "USDT"),
        ("BTC/USDT", Side.BUY, D("0.09994"), D(60000), D("0.00009994"), "BTC"),
    ]
    code, out, err = invoke("status", "-c", str(config), "--json")
    assert code == 0, err
    weights = json.loads(out)["weights"]
    assert (weights["BTC"]["amount"], weights["USDT"]["amount"]) == ("0.09984006", "997.6")

    # The report keeps the loss: the 0.1 BTC sold for 5,994 against 8,000, short-term. The buy's fee
    # units are a disposal too: 0.00009994 BTC for 5.9964 against their share of the new lot (5,996.40
    # + 5.9964 fee) x 0.001 = 6.0023964, a loss of 0.0059964.
    year = fills[0].fill.timestamp.astimezone(ZoneInfo("America/New_York")).year
    code, out, err = invoke("tax", "report", "-j", "us", "--year", str(year), "-c", str(config), "--json")
    assert code == 0, err
    report = json.loads(out)
    rows = [
        (r["asset"], r["amount"], r["proceeds"], r["cost"], r["gain"], r["term"]) for r in report["disposals"]
    ]
    assert rows == [
        ("BTC", "0.1", "5994", "8000", "-2006", "short"),
        ("BTC", "0.00009994", "5.9964", "6.0023964", "-0.0059964", "short"),
    ]
    assert report["totals"]["short_term"] == "-2006.0059964"

    # The loss is realized: nothing is left to harvest.
    code, out, err = invoke("tax", "harvest", "-c", str(config), "--execute")
    assert code == 0, err
    assert out.splitlines()[:2] == [
        "No holding has an unrealized loss above 100.00 USD.",
        "Nothing to harvest: no order placed.",
    ]


def test_execute_with_json_carries_the_run_and_its_orders(write_config: Callable[..., Path]) -> None:
    config = setup(write_config)
    executed = harvest_json(config, "--execute")["executed"]
    assert (executed["run_id"], executed["status"]) == (1, "completed")
    assert [(o["side"], o["symbol"], o["filled"]) for o in executed["orders"]] == [
        ("sell", "BTC/USDT", "0.1"),
        ("buy", "BTC/USDT", "0.09994"),
    ]
    assert executed["fees"] == {"USDT": "6", "BTC": "0.00009994"}


def test_the_us_wash_sale_switch_makes_the_harvest_not_worthwhile(write_config: Callable[..., Path]) -> None:
    config = setup(write_config, "tax:\n  jurisdiction: us\n  wash_sale: true\n")
    # The rebuy within 30 days disallows the 2,006 loss: nothing saved this year, 481.44 without it.
    data = harvest_json(config, "--execute")
    [candidate] = data["candidates"]
    assert (candidate["saving"], candidate["saving_without_rebuy"]) == ("0", "481.44")
    assert (candidate["allowed"], candidate["worthwhile"], candidate["harvest"]) == (True, False, False)
    assert "wash-sale rule on" in candidate["rule"]
    assert data["executed"] == {"run_id": None, "status": "nothing to harvest", "orders": [], "fees": {}}
    code, out, err = invoke("tax", "harvest", "-c", str(config), "--execute")
    assert code == 0, err
    assert "Nothing is worth harvesting: no candidate is both allowed and worth its fees." in out
    assert "Nothing to harvest: no order placed." in out
    with ledger_of(config) as ledger:
        assert ledger.list_runs() == []


def test_the_uk_30_day_rule_is_listed_but_not_executed(write_config: Callable[..., Path]) -> None:
    tax = "tax:\n  jurisdiction: uk\n  rates_file: rates.csv\n"
    config = setup(write_config, tax, currency="GBP")
    (config.parent / "rates.csv").write_text("date,rate\n2020-01-01,0.8\n", encoding="utf-8")
    data = harvest_json(config, "--execute")
    # Pool: 0.1 BTC for 8,000 GBP (the history, imported in GBP). 60,000 USDT x 0.8 = 48,000 GBP: 0.1
    # sells for 4,800 less 4.80 = 4,795.20, a loss of 3,204.80. With no gains this tax year there is nothing to save, and a rebuy
    # on the same day would be matched with the sale anyway.
    [candidate] = data["candidates"]
    assert (data["currency"], candidate["cost"], candidate["value"], candidate["unrealized_loss"]) == (
        "GBP",
        "8000",
        "4795.2",
        "3204.8",
    )
    assert (candidate["allowed"], candidate["harvest"], candidate["lots"]) == (False, False, [])
    assert candidate["rule"].startswith("30-day rule: a rebuy on the same day or within 30 days")
    assert data["executed"]["run_id"] is None
    with ledger_of(config) as ledger:
        assert ledger.list_runs() == []


def test_min_loss_overrides_the_config_threshold(write_config: Callable[..., Path]) -> None:
    config = setup(write_config, "tax:\n  jurisdiction: us\n  harvest_min_loss: 2006\n")
    # The loss is 2,006: not more than the configured 2,006, more than 2,005.99.
    code, out, err = invoke("tax", "harvest", "-c", str(config))
    assert code == 0, err
    assert out.splitlines() == [
        "No holding has an unrealized loss above 2,006.00 USD.",
        NOT_TAX_ADVICE,
    ]
    assert [c["asset"] for c in harvest_json(config, "--min-loss", "2005.99")["candidates"]] == ["BTC"]
    line = one_line_error(*invoke("tax", "harvest", "-c", str(config), "--min-loss", "lots"))
    assert line == "error: command line: --min-loss: expected a number, got 'lots'"


def test_harvest_needs_a_tax_section(write_config: Callable[..., Path]) -> None:
    config = write_config(config_text(""))
    line = one_line_error(*invoke("tax", "harvest", "-c", str(config)))
    assert line == (
        f"error: {config}: tax: tax harvest needs a tax: section with a jurisdiction (us, de or uk)"
    )


def test_fills_without_their_history_say_what_to_import(write_config: Callable[..., Path]) -> None:
    # 0.15 BTC: 9,000 of 13,000 is 69 %, over its 60 % target. The rebalance sells BTC that no
    # imported history bought.
    config = write_config(config_text("tax:\n  jurisdiction: us\n", btc="0.15"))
    assert invoke("rebalance", "-c", str(config), "--json")[0] == 0
    line = one_line_error(*invoke("tax", "harvest", "-c", str(config)))
    assert "from wallet 'paper'" in line
    assert line.endswith("import the history of how the wallet got it with `trimtab tax import FILE.csv`")


def test_execute_waits_for_an_unfinished_run(write_config: Callable[..., Path]) -> None:
    config = setup(write_config)
    with ledger_of(config) as ledger:
        run_id = ledger.start_run(
            command="rebalance", venue="paper", mode="live", forced=False, started_at=NOW, config_digest="x"
        )
    code, out, err = invoke("tax", "harvest", "-c", str(config), "--execute")
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"error: run {run_id} is unfinished; `trimtab rebalance` finishes it, then harvest again"
    )

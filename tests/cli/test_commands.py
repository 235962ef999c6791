"""The command line, in process through typer's runner: output shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_init_writes_a_valid_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "trimtab.yaml"
    code, out, _ = invoke("init", "-c", str(path))
    assert code == 0
    assert "Wrote" in out
    assert path.read_text().startswith("# trimtab configuration")
    code, out, _ = invoke("validate", "-c", str(path))
    assert code == 0
    assert "valid" in out
    code, _, err = invoke("init", "-c", str(path))
    assert code == 2
    assert "already exists" in err


def test_validate_reports_one_line_and_exit_code_2(write_config: Callable[..., Path]) -> None:
    path = write_config("portfolio:\n  target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10}\n")
    code, out, err = invoke("validate", "-c", str(path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert f"{path}: portfolio.target_weights: weights sum to 95, they must sum to 100" in lines[0]
    assert "Traceback" not in err


def test_validate_checks_the_paper_exchange_too(write_config: Callable[..., Path]) -> None:
    path = write_config(
        "portfolio:\n  target_weights: {BTC: 50, USDT: 50}\nexchange: {name: paper, prices: 2010-01-01}\n"
    )
    code, _, err = invoke("validate", "-c", str(path))
    assert code == 2
    assert "exchange.prices: 2010-01-01 is outside the bundled history" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "portfolio:\n  target_weights: {FOO: 50, USDT: 50}\n",
            "exchange.prices: FOO has no price on the paper exchange on 2026-01-05; add it to exchange.prices",
        ),
        (
            "quote: EUR\nportfolio:\n  target_weights: {BTC: 50, EUR: 50}\n",
            "quote: the bundled prices are in US dollars; with quote EUR give exchange.prices as a mapping",
        ),
    ],
)
def test_validate_checks_that_every_asset_has_a_price(
    write_config: Callable[..., Path], text: str, expected: str
) -> None:
    code, _, err = invoke("validate", "-c", str(write_config(text)))
    assert code == 2
    assert expected in err


def test_validate_names_close_ccxt_ids_for_an_unknown_exchange(write_config: Callable[..., Path]) -> None:
    path = write_config("portfolio:\n  target_weights: {BTC: 50, USDT: 50}\nexchange: {name: binanse}\n")
    code, _, err = invoke("validate", "-c", str(path))
    assert code == 2
    assert "exchange.name: unknown exchange 'binanse'; close ccxt ids: binance" in err


def test_a_real_exchange_without_keys_in_the_environment_is_exit_2(
    write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIMTAB_API_KEY", raising=False)
    monkeypatch.delenv("TRIMTAB_API_SECRET", raising=False)
    path = write_config("portfolio:\n  target_weights: {BTC: 50, USDT: 50}\nexchange: {name: binance}\n")
    code, _, _ = invoke("validate", "-c", str(path))
    assert code == 0, "validate needs no keys"
    code, _, err = invoke("status", "-c", str(path))
    assert code == 2
    assert "the environment variables TRIMTAB_API_KEY and TRIMTAB_API_SECRET are not set" in err


def test_validate_json(write_config: Callable[..., Path]) -> None:
    code, out, _ = invoke("validate", "-c", str(write_config()), "--json")
    assert code == 0
    assert json.loads(out)["valid"] is True


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("status", "-c", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file" in err


def test_status_json_has_total_value_and_weights(write_config: Callable[..., Path]) -> None:
    code, out, _ = invoke("status", "-c", str(write_config()), "--json")
    assert code == 0
    report = json.loads(out)
    assert Decimal(report["total_value"]) > 0
    assert set(report["weights"]) == {"BTC", "ETH", "SOL", "BNB", "USDT"}
    assert report["weights"]["BTC"]["target"] == "40"
    total = sum(Decimal(w["current"]) for w in report["weights"].values())
    assert abs(total - 100) < Decimal("0.001")


def test_status_table_shows_every_asset(write_config: Callable[..., Path]) -> None:
    code, out, _ = invoke("status", "-c", str(write_config()))
    assert code == 0
    for asset in ("BTC", "ETH", "SOL", "BNB", "USDT"):
        assert asset in out
    assert "drift" in out


def test_plan_json_lists_orders_in_execution_order(write_config: Callable[..., Path]) -> None:
    path = write_config()
    code, out, _ = invoke("plan", "-c", str(path), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["decision"]["rebalance"] is True
    assert report["decision"]["reason"]
    orders = report["orders"]
    assert orders
    sides = [o["side"] for o in orders]
    assert sides == sorted(sides, key=lambda s: s != "sell")
    for order in orders:
        assert set(order) >= {"symbol", "side", "amount", "limit_price", "value"}
        assert all(isinstance(order[k], str) for k in ("amount", "limit_price", "value"))
        Decimal(order["amount"])
        assert order["symbol"] != "USDT/USDT"
    # plan places nothing and records nothing
    code, out, _ = invoke("history", "-c", str(path), "--json")
    assert json.loads(out)["runs"] == []


def test_rebalance_dry_run_then_live_then_history(write_config: Callable[..., Path]) -> None:
    path = write_config()
    code, out, _ = invoke("rebalance", "-c", str(path), "--dry-run", "--json")
    assert code == 0
    dry = json.loads(out)
    assert dry["mode"] == "dry-run"
    assert dry["results"] == []
    code, out, _ = invoke("rebalance", "-c", str(path), "--json")
    assert code == 0
    live = json.loads(out)
    assert live["status"] == "completed"
    assert live["results"]
    assert live["after"] is not None
    code, out, _ = invoke("history", "-c", str(path), "--json")
    runs = json.loads(out)["runs"]
    assert [r["mode"] for r in runs] == ["live", "dry-run"]
    assert runs[0]["orders"] == len(live["results"])
    code, out, _ = invoke("history", "-c", str(path), "--run", str(live["run_id"]), "--json")
    assert code == 0
    assert len(json.loads(out)["orders_detail"]) == len(live["results"])
    code, out, _ = invoke("history", "-c", str(path))
    assert code == 0
    assert "completed" in out


def test_history_of_unknown_run_is_exit_2(write_config: Callable[..., Path]) -> None:
    code, _, err = invoke("history", "-c", str(write_config()), "--run", "99")
    assert code == 2
    assert "no run 99" in err


def test_run_stops_after_max_runs(write_config: Callable[..., Path]) -> None:
    code, out, _ = invoke("run", "-c", str(write_config()), "--max-runs", "1", "--json")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert events[0]["event"] == "run"


@pytest.mark.parametrize(
    "command", ["init", "validate", "status", "plan", "rebalance", "run", "history", "demo"]
)
def test_every_command_takes_config_and_json(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--config" in result.stdout
    assert "--json" in result.stdout


def test_demo_json_shows_before_plan_run_and_ledger(tmp_path: Path) -> None:
    code, out, _ = invoke("demo", "--dir", str(tmp_path), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["plan"]["decision"]["rebalance"] is True
    assert report["run"]["status"] == "completed"
    assert report["run"]["results"]
    assert report["ledger"]["status"] == "completed"
    before = report["before"]["weights"]
    after = report["run"]["after"]["weights"]
    worst_before = max(abs(Decimal(w["drift"])) for w in before.values())
    worst_after = max(abs(Decimal(w["drift"])) for w in after.values())
    assert worst_before > 5
    assert worst_after < Decimal("0.5")

"""What a user sees when the paper account and the ledger disagree, when the ledger file is not a database,
and how ``trimtab reset`` starts both over (in process, through typer's runner, on real files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()
FIXED_CLOCK = {"COLUMNS": "200", "TRIMTAB_NOW": "2025-01-01T12:00:00Z"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=FIXED_CLOCK)
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_after_the_account_file_is_deleted_status_warns_and_rebalance_refuses(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    assert invoke("rebalance", "-c", str(config))[0] == 0
    state = config.parent / "data" / "paper-venue.json"
    state.unlink()

    code, out, err = invoke("status", "-c", str(config))
    assert code == 0
    assert "Portfolio" in out
    assert one_line(err).startswith("warning: the paper account ")
    assert "`trimtab reset`" in err

    code, _, err = invoke("plan", "-c", str(config), "--json")
    assert code == 0
    assert one_line(err).startswith("warning: ")

    for command in ("rebalance", "run"):
        code, out, err = invoke(command, "-c", str(config))
        assert code == 1
        line = one_line(err)
        assert line.startswith("error: the paper account ")
        assert "(missing) holds no orders, but the ledger" in line
        assert "trimtab will not trade on it" in line
    assert not state.exists()


def test_a_zero_byte_ledger_is_an_error_naming_the_file_for_every_command(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    ledger = config.parent / "data" / "ledger.db"
    ledger.parent.mkdir()
    ledger.write_bytes(b"")

    for command in ("status", "rebalance", "history"):
        code, _, err = invoke(command, "-c", str(config))
        assert code == 1
        assert f"{ledger}: the file is empty (0 bytes)" in one_line(err)
    assert ledger.read_bytes() == b"", "never re-created"


def test_reset_archives_the_account_and_the_ledger_and_trading_resumes(
    write_config: Callable[..., Path],
) -> None:
    config = write_config()
    assert invoke("rebalance", "-c", str(config))[0] == 0
    data = config.parent / "data"
    (data / "ledger.db").write_bytes(b"")  # a ledger lost to a bad copy

    code, out, err = invoke("reset", "-c", str(config))

    assert code == 0, err
    assert "Archived the paper account" in out
    assert "paper-venue.json.reset-20250101T120000Z" in out
    assert "Archived the ledger" in out
    assert "The next command starts the paper account from exchange.balances, with a new ledger." in out
    assert (data / "ledger.db.reset-20250101T120000Z").read_bytes() == b""
    code, out, _ = invoke("rebalance", "-c", str(config))
    assert code == 0
    assert "Run 1 completed" in out


def test_reset_json_and_nothing_to_reset(write_config: Callable[..., Path]) -> None:
    config = write_config()
    code, out, _ = invoke("reset", "-c", str(config), "--json")
    assert code == 0
    assert json.loads(out) == {"paper_account": None, "ledger": None}
    code, out, _ = invoke("reset", "-c", str(config))
    assert "Nothing to reset" in out


def test_reset_refuses_a_real_exchange_with_exit_code_2(write_config: Callable[..., Path]) -> None:
    config = write_config("portfolio:\n  target_weights: {BTC: 50, USDT: 50}\nexchange: {name: binance}\n")
    code, _, err = invoke("reset", "-c", str(config))
    assert code == 2
    assert "exchange.name: trimtab reset starts a paper account over" in one_line(err)

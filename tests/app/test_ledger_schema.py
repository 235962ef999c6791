"""One PostgreSQL database, many portfolios: each config's ledger is its own schema (``database_schema``, else
derived from the portfolio's name), the commands open it there, ``serve`` refuses two configs on one schema
but not on one database, and ``trimtab reset`` renames the schema aside."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from configs import yaml_config
from postgres import PostgresServer
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from trimtab.app.fleet import check_distinct
from trimtab.app.fleet_parts import ServedConfig
from trimtab.app.portfolio_home import ledger_schema, open_ledger
from trimtab.cli.main import app
from trimtab.config import load_config
from trimtab.errors import ConfigError

POSTGRES = "postgresql+psycopg://trimtab@db.example/trimtab"
FIXED_CLOCK = {"COLUMNS": "200", "TRIMTAB_NOW": "2025-01-01T12:00:00Z"}


def config_file(folder: Path, stem: str, top: dict[str, str]) -> Path:
    path = folder / f"{stem}.yaml"
    path.write_text(yaml_config(data_dir=f"{stem}-data", top=top), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("stem", "top", "schema"),
    [
        ("main", {}, "main"),
        ("x", {"name": "Client-A.v2"}, "client_a_v2"),
        ("2025-fund", {}, "p_2025_fund"),
        ("_hidden", {}, "p__hidden"),
        ("x", {"name": "A" * 64}, "a" * 63),
        ("x", {"name": "ignored", "database_schema": "chosen"}, "chosen"),
    ],
)
def test_the_schema_is_given_or_derived_from_the_portfolio_name(
    tmp_path: Path, stem: str, top: dict[str, str], schema: str
) -> None:
    path = config_file(tmp_path, stem, {"database_url": POSTGRES, **top})
    assert ledger_schema(load_config(path), path) == schema


@pytest.mark.parametrize("url", [None, "sqlite:///elsewhere/ledger.db", "mysql+pymysql://u@h/db"])
def test_a_ledger_that_is_not_postgresql_has_no_schema(tmp_path: Path, url: str | None) -> None:
    path = config_file(tmp_path, "main", {"database_url": url} if url else {})
    assert ledger_schema(load_config(path), path) is None


def served(path: Path) -> ServedConfig:
    config = load_config(path)
    return ServedConfig(config.name or path.stem, config, path)


def test_serve_shares_a_database_between_portfolios_but_never_a_schema(tmp_path: Path) -> None:
    a = config_file(tmp_path, "a", {"database_url": POSTGRES})
    b = config_file(tmp_path, "b", {"database_url": POSTGRES})
    check_distinct([served(a), served(b)])  # one database, schemas a and b
    c = config_file(tmp_path, "c", {"database_url": POSTGRES, "database_schema": "a"})
    with pytest.raises(ConfigError) as caught:
        check_distinct([served(a), served(b), served(c)])
    assert str(caught.value) == (
        f"{c}: database_schema: the ledger's schema a is also the schema of {a}; give each its own database_schema"
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=FIXED_CLOCK)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()


def schemas(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {s for s in inspect(engine).get_schema_names() if not s.startswith(("pg_", "information_"))}
    finally:
        engine.dispose()


@pytest.mark.postgresql
def test_two_portfolios_keep_their_runs_in_their_own_schemas_of_one_database(
    tmp_path: Path, database: str
) -> None:
    a = config_file(tmp_path, "alpha", {"database_url": database})
    b = config_file(tmp_path, "beta", {"database_url": database, "database_schema": "client_b"})
    for path in (a, a, b):
        assert invoke("rebalance", "-c", str(path))[0] == 0
    runs_a = json.loads(invoke("history", "-c", str(a), "--json")[1])["runs"]
    runs_b = json.loads(invoke("history", "-c", str(b), "--json")[1])["runs"]
    assert [r["run_id"] for r in runs_a] == [2, 1]
    assert [r["run_id"] for r in runs_b] == [1]
    assert {r["driver"] for r in runs_a + runs_b} == {
        f"rebalance pid {os.getpid()} on {socket.gethostname()}"
    }
    assert {"alpha", "client_b"} <= schemas(database)
    with open_ledger(load_config(b), b) as ledger:
        assert ledger.where.endswith("(schema client_b)")


@pytest.mark.postgresql
def test_reset_renames_the_schema_aside_and_the_next_command_starts_a_new_ledger(
    tmp_path: Path, database: str
) -> None:
    path = config_file(tmp_path, "main", {"database_url": database})
    assert invoke("rebalance", "-c", str(path))[0] == 0
    code, out, err = invoke("reset", "-c", str(path), "--json")
    assert (code, err) == (0, "")
    archived = "main_reset_20250101120000"
    assert json.loads(out)["ledger"] == {"from": "main", "to": archived}
    assert archived in schemas(database)
    assert json.loads(invoke("history", "-c", str(path), "--json")[1])["runs"] == []

    assert invoke("rebalance", "-c", str(path))[0] == 0
    code, out, _ = invoke("reset", "-c", str(path))
    assert code == 0
    assert f"Archived the ledger's schema main as {archived}_2." in out


def test_reset_still_refuses_a_real_exchange(write_config: Callable[..., Path]) -> None:
    path = write_config(
        yaml_config(exchange={"name": "binance"}, top={"database_url": POSTGRES, "database_schema": "main"})
    )
    code, _, err = invoke("reset", "-c", str(path))
    assert code == 2
    assert "binance is a real exchange, whose account and ledger trimtab never resets" in err

"""``database_schema``: the portfolio's schema in a PostgreSQL ledger, a plain PostgreSQL name, and only
with a PostgreSQL ``database_url`` (a SQLite ledger is one file per portfolio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trimtab.config import load_config
from trimtab.errors import ConfigError

POSTGRES = "postgresql+psycopg://trimtab@db.example/trimtab"


def config_with(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "trimtab.yaml"
    path.write_text(f"portfolio:\n  target_weights: {{BTC: 50, USDT: 50}}\n{extra}", encoding="utf-8")
    return path


@pytest.mark.parametrize("schema", ["main", "_fund", "client_42", "a" * 63])
def test_a_postgresql_name_is_accepted(tmp_path: Path, schema: str) -> None:
    path = config_with(tmp_path, f"database_schema: {schema}\ndatabase_url: {POSTGRES}\n")
    assert load_config(path).database_schema == schema


@pytest.mark.parametrize("schema", ["Main", "42fund", "client-42", "a" * 64, "'main; drop'"])
def test_anything_else_is_one_line_naming_the_key(tmp_path: Path, schema: str) -> None:
    path = config_with(tmp_path, f"database_url: {POSTGRES}\ndatabase_schema: {schema}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: database_schema: expected a PostgreSQL schema name: 1-63 lowercase")


@pytest.mark.parametrize(
    "url", [None, "sqlite:///ledger.db", "sqlite+pysqlite:////var/lib/trimtab/ledger.db"]
)
def test_a_schema_needs_a_postgresql_ledger(tmp_path: Path, url: str | None) -> None:
    database = f"database_url: {url}\n" if url else ""
    path = config_with(tmp_path, f"{database}database_schema: main\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: database_schema: a schema needs a PostgreSQL database_url (postgresql+psycopg://...); a SQLite "
        "ledger is one file per portfolio and has no schemas"
    )

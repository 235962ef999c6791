"""Opening a ledger: creating, migrating with Alembic, reopening, and failing with one clear line."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, UniqueConstraint, create_engine, inspect

from trimtab.errors import LedgerError
from trimtab.ledger import LedgerStore
from trimtab.ledger.migrate import alembic_config, current_revision, head_revision
from trimtab.ledger.models import Base

LEDGER_TABLES = {
    "runs",
    "decisions",
    "snapshots",
    "snapshot_positions",
    "planned_orders",
    "orders",
    "fills",
    "skipped_trades",
    "tax_events",
    "set_asides",
    "guard_events",
    "guard_holds",
}


def _start(ledger: LedgerStore) -> int:
    return ledger.start_run(
        command="rebalance",
        venue="paper",
        mode="live",
        forced=False,
        started_at=datetime(2025, 3, 1, tzinfo=UTC),
        config_digest="abc",
    )


def test_open_creates_the_folder_and_migrates_a_fresh_database_to_head(db_path: Path, db_url: str) -> None:
    assert not db_path.parent.exists()
    LedgerStore.open(db_url).close()

    engine = create_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == LEDGER_TABLES | {"alembic_version"}
        assert current_revision(engine) == head_revision() == "0006"
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(ledger: LedgerStore, db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_migrated_constraint_names_are_those_of_the_models(ledger: LedgerStore, db_url: str) -> None:
    # compare_metadata ignores CHECK constraints and names; later revisions address constraints by name.
    engine = create_engine(db_url)
    try:
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            expected_checks = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            expected_uniques = {c.name for c in table.constraints if isinstance(c, UniqueConstraint)}
            found_checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
            found_uniques = {c["name"] for c in inspector.get_unique_constraints(table.name)}
            assert (found_checks, found_uniques) == (expected_checks, expected_uniques), table.name
            # PostgreSQL also lists the index behind each unique constraint (``duplicates_constraint``)
            indexes = {
                i["name"] for i in inspector.get_indexes(table.name) if "duplicates_constraint" not in i
            }
            assert indexes == {i.name for i in table.indexes}
    finally:
        engine.dispose()
    assert {"ck_runs_mode", "ck_runs_status", "ck_orders_side"} <= {
        c.name for t in Base.metadata.sorted_tables for c in t.constraints if isinstance(c, CheckConstraint)
    }


def test_migration_renders_for_postgresql_without_sqlite_specifics() -> None:
    # Offline mode compiles the revision for another dialect without a server: proof it is portable.
    output = io.StringIO()
    config = alembic_config("postgresql://trimtab@localhost/ledger")
    config.output_buffer = output
    command.upgrade(config, "head", sql=True)
    sql = output.getvalue()
    assert "CREATE TABLE runs" in sql
    assert "CREATE TABLE tax_events" in sql
    assert "CONSTRAINT ck_tax_events_type CHECK" in sql
    assert "started_at TIMESTAMP WITH TIME ZONE NOT NULL" in sql
    assert "CONSTRAINT ck_runs_mode CHECK" in sql
    assert "AUTOINCREMENT" not in sql
    assert "PRAGMA" not in sql


def test_reopening_is_idempotent_and_keeps_the_data(db_url: str) -> None:
    with LedgerStore.open(db_url) as ledger:
        run_id = _start(ledger)
    with LedgerStore.open(db_url) as ledger:
        assert [run.id for run in ledger.list_runs()] == [run_id]
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_ledger_uses_the_wal_journal(sqlite_ledger: LedgerStore, db_path: Path) -> None:
    connection = sqlite3.connect(db_path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()


def test_sqlite_ledger_enforces_foreign_keys(sqlite_ledger: LedgerStore) -> None:
    # The store's own connections must have foreign keys on; only they can show it.
    with sqlite_ledger._engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_downgrade_to_base_removes_every_ledger_table(ledger: LedgerStore, db_url: str) -> None:
    ledger.close()
    config = alembic_config(db_url)
    command.downgrade(config, "base")
    engine = create_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    command.upgrade(config, "head")
    with LedgerStore.open(db_url) as reopened:
        assert reopened.list_runs() == []


def test_path_under_a_regular_file_gives_a_one_line_ledger_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    url = f"sqlite:///{blocker / 'ledger.db'}"
    with pytest.raises(LedgerError) as caught:
        LedgerStore.open(url)
    message = str(caught.value)
    assert "\n" not in message
    assert message == f"ledger {url}: cannot create folder {blocker}: {blocker} is a file, not a folder"


def test_a_file_that_is_not_a_database_gives_a_one_line_ledger_error(tmp_path: Path) -> None:
    garbage = tmp_path / "ledger.db"
    garbage.write_bytes(b"this is no sqlite database, just some bytes " * 100)
    with pytest.raises(LedgerError) as caught:
        LedgerStore.open(f"sqlite:///{garbage}")
    message = str(caught.value)
    assert "\n" not in message
    assert str(garbage) in message
    assert "not a database" in message


def test_a_database_from_a_newer_trimtab_gives_a_ledger_error(db_url: str) -> None:
    LedgerStore.open(db_url).close()
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    finally:
        engine.dispose()
    with pytest.raises(LedgerError, match=r"cannot open or migrate the database: .*9999"):
        LedgerStore.open(db_url)


def test_a_malformed_url_gives_a_ledger_error() -> None:
    with pytest.raises(LedgerError, match="not a SQLAlchemy URL"):
        LedgerStore.open("no url at all")


def test_an_unknown_database_driver_gives_a_ledger_error_without_the_password() -> None:
    with pytest.raises(LedgerError, match="cannot connect") as caught:
        LedgerStore.open("nosuchdb://user:secret@localhost/ledger")
    assert "secret" not in str(caught.value)
    assert "nosuchdb://user:***@localhost/ledger" in str(caught.value)

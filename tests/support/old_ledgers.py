"""A ledger left at an older migration with one completed run in it, for the tests of a later migration."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from trimtab.ledger.migrate import alembic_config


def ledger_at(db_url: str, revision: str) -> set[str]:
    """Migrate the empty database at ``db_url`` to ``revision``, record one completed run the way that
    revision's code did, and return the names of the ``runs`` table's columns."""
    command.upgrade(alembic_config(db_url), revision)
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO runs (started_at, command, venue, mode, forced, status, config_digest) "
                "VALUES ('2025-03-01 12:00:00.000000', 'rebalance', 'paper', 'live', false, 'completed', 'd')"
            )
        return {column["name"] for column in inspect(engine).get_columns("runs")}
    finally:
        engine.dispose()

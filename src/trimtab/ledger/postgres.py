"""The ledger on PostgreSQL: one schema per portfolio, and the server's refusals as one line.

A PostgreSQL ledger lives in a schema of an existing database (``LedgerStore.open(url, schema=...)``):
every table, query and migration is the same as in a SQLite file, and one database holds many
portfolios, each in its own schema, so that one can be backed up (``pg_dump -n``), granted or dropped
alone and no query can mix two portfolios' records. Every connection of the engine gets
``search_path`` set to the schema (:func:`use_schema`), so the ledger's SQL never names it; the
migrations create the schema and run under a transaction-scoped advisory lock (:func:`lock_schema`),
so two processes opening the same new schema at once migrate it once, one after the other.

trimtab creates schemas, never databases: a missing database is an error saying so
(:func:`connection_reason`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Engine, event, text

MIGRATION_LOCK = "trimtab migrate"  # the advisory lock's first key: hashtext of it, then of the schema


def is_postgresql(engine: Engine | Connection) -> bool:
    """Whether ``engine`` talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def quoted(engine: Engine | Connection, schema: str) -> str:
    """``schema`` as a quoted SQL identifier (always quoted, inner quotes doubled)."""
    return engine.dialect.identifier_preparer.quote_identifier(schema)


def use_schema(engine: Engine, schema: str) -> None:
    """Make every new connection of ``engine`` work in ``schema`` (``SET search_path``), before anything
    else runs on it. The schema need not exist yet: :func:`lock_schema` creates it."""
    statement = f"SET search_path TO {quoted(engine, schema)}"

    @event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Outside a transaction, so that a rollback cannot undo it (SQLAlchemy's recipe).
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
            dbapi_connection.autocommit = autocommit


def lock_schema(connection: Connection, schema: str | None) -> None:
    """In ``connection``'s transaction: wait for the migration lock of ``schema`` (held to the end of the
    transaction), then create the schema if it is missing. Another process migrating the same schema
    holds the lock until it commits; this one then finds the schema at the head and does nothing."""
    _migration_lock(connection, schema)
    if schema is not None:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted(connection, schema)}")


def rename_schema(engine: Engine, schema: str, stamp: str) -> tuple[str, str] | None:
    """Rename ``schema`` to ``<schema>_reset_<stamp>`` (``_2``, ``_3``... added while that name is taken;
    the schema's name cut so the whole fits PostgreSQL's 63 characters) in one transaction, under the
    schema's migration lock: ``trimtab reset``'s archive of a PostgreSQL ledger, whose records stay
    readable there while the next open creates the schema anew. Returns (old, new) names, or None when
    there is no such schema."""
    with engine.begin() as connection:
        _migration_lock(connection, schema)
        if not _exists(connection, schema):
            return None
        suffix = f"_reset_{stamp}"
        target = base = f"{schema[: NAME_LENGTH - len(suffix)]}{suffix}"
        number = 1
        while _exists(connection, target):
            number += 1
            target = f"{base[: NAME_LENGTH - len(str(number)) - 1]}_{number}"
        connection.exec_driver_sql(
            f"ALTER SCHEMA {quoted(connection, schema)} RENAME TO {quoted(connection, target)}"
        )
        return schema, target


NAME_LENGTH = 63  # PostgreSQL's longest identifier


def _migration_lock(connection: Connection, schema: str | None) -> None:
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:lock), hashtext(:schema))"),
        {"lock": MIGRATION_LOCK, "schema": schema or ""},
    )


def _exists(connection: Connection, schema: str) -> bool:
    found = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema})
    return found.first() is not None


_SERVER_PREFIX = re.compile(r"^connection failed: connection to server (?:at|on) .*? failed: ")
_MISSING_DATABASE = re.compile(r'database "(?P<name>[^"]+)" does not exist')


def connection_reason(message: str) -> str:
    """Why the server refused a connection, as one line, from the driver's message: without libpq's
    "connection failed: connection to server at ... failed:" preamble (the URL already names the
    server) and with what to do for the usual causes."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = _SERVER_PREFIX.sub("", lines[0] if lines else message).removeprefix("FATAL:").strip()
    if (missing := _MISSING_DATABASE.search(first)) is not None:
        name = missing["name"]
        return (
            f'database "{name}" does not exist: create it first (createdb {name}); trimtab creates a '
            "schema per portfolio in an existing database, never the database itself"
        )
    if "password authentication failed" in first:
        return f"{first}: check the password (in database_url, PGPASSWORD or ~/.pgpass)"
    if "no password supplied" in first:
        return "the server asks for a password: give it in database_url, PGPASSWORD or ~/.pgpass"
    if "Connection refused" in first:
        return f"{first}: is the server running and accepting TCP/IP connections on that host and port?"
    return first

"""Connecting the ledger: SQLite folders and pragmas, PostgreSQL schemas, and database errors as one line.

Used by :meth:`trimtab.ledger.store.LedgerStore.open` and the store's transactions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError

from trimtab.errors import LedgerError
from trimtab.ledger.migrate import upgrade
from trimtab.ledger.postgres import connection_reason, rename_schema, use_schema


def connect(url: str, schema: str | None = None) -> tuple[Engine, str]:
    """An engine on the database at SQLAlchemy ``url``, migrated to the newest schema, and the URL
    to name it by in errors (password hidden). See :meth:`trimtab.ledger.store.LedgerStore.open`.

    On PostgreSQL, ``schema`` is the portfolio's schema in that database (created and migrated as
    needed, see :mod:`trimtab.ledger.postgres`); a SQLite file is one portfolio, so it ignores it."""
    parsed = _parse(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    schema = None if sqlite else schema
    where = _where(parsed, schema)
    path = _database_file(parsed) if sqlite else None
    if path is not None:
        create_sqlite_folder(path, where)
        check_sqlite_file(path, where)
        create_sqlite_whole(parsed, path, where)
    engine = _engine(parsed, where)
    if sqlite:
        configure_sqlite(engine)
    else:
        if schema is not None:
            use_schema(engine, schema)
        _reach_server(engine, where)
    try:
        upgrade(engine, schema=schema)
    except (SQLAlchemyError, CommandError, OSError) as e:
        engine.dispose()
        raise LedgerError(f"ledger {where}: cannot open or migrate the database: {error_reason(e)}") from e
    return engine, where


def archive_schema(url: str, schema: str, stamp: str) -> tuple[str, str] | None:
    """Rename the PostgreSQL ledger ``schema`` at ``url`` aside (:func:`trimtab.ledger.postgres.rename_schema`):
    (old name, new name), or None when there is no such schema. No migration, no other change."""
    parsed = _parse(url)
    where = _where(parsed, schema)
    engine = _engine(parsed, where)
    try:
        _reach_server(engine, where)
        return rename_schema(engine, schema, stamp)
    except SQLAlchemyError as e:
        raise LedgerError(f"ledger {where}: cannot archive the schema: {error_reason(e)}") from e
    finally:
        engine.dispose()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as e:
        # Not echoed: a mistyped URL may still hold a password.
        raise LedgerError(
            f"ledger: the database URL is not a SQLAlchemy URL such as sqlite:///path/to/ledger.db: {error_reason(e)}"
        ) from e


def _where(url: URL, schema: str | None) -> str:
    """The ledger as errors name it: the URL, password hidden, and the schema (refused but on PostgreSQL)."""
    where = url.render_as_string(hide_password=True)
    if schema is None:
        return where
    where = f"{where} (schema {schema})"
    if url.get_backend_name() != "postgresql":
        raise LedgerError(f"ledger {where}: a schema per portfolio needs PostgreSQL")
    return where


def _engine(url: URL, where: str) -> Engine:
    """An engine on ``url``. A server's connections are checked before each use (``pool_pre_ping``), so a
    ``serve`` that outlives a restart of its database server reconnects instead of failing a run."""
    try:
        return create_engine(url, pool_pre_ping=url.get_backend_name() != "sqlite")
    except ImportError as e:
        raise LedgerError(f"ledger {where}: cannot connect: {_missing_driver(url, e)}") from e
    except SQLAlchemyError as e:
        raise LedgerError(f"ledger {where}: cannot connect: {error_reason(e)}") from e


def _reach_server(engine: Engine, where: str) -> None:
    """Connect once (the connection stays in the pool), so that a server that is down, a wrong password
    or a missing database fails as "cannot connect" with the reason, not as a failed migration."""
    try:
        with engine.connect():
            pass
    except DBAPIError as e:
        engine.dispose()
        raise LedgerError(f"ledger {where}: cannot connect: {connection_reason(str(e.orig))}") from e
    except SQLAlchemyError as e:
        engine.dispose()
        raise LedgerError(f"ledger {where}: cannot connect: {error_reason(e)}") from e


def _missing_driver(url: URL, error: ImportError) -> str:
    """Why the URL's database driver cannot be loaded, and for PostgreSQL the driver trimtab uses."""
    missing = f"its driver {error.name or error} is not installed"
    if url.get_backend_name() != "postgresql":
        return missing
    if url.get_driver_name() != "psycopg":
        return f"{missing}; trimtab talks to PostgreSQL through psycopg 3: write postgresql+psycopg://..."
    return f"{missing} (pip install 'psycopg[binary]')"


def error_reason(error: BaseException) -> str:
    """The cause of a database error as one line, without SQLAlchemy's SQL echo and help links."""
    if isinstance(error, StatementError | DBAPIError) and error.orig is not None:
        error = error.orig
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def create_sqlite_folder(path: Path, where: str) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        # "File exists" alone would puzzle: name the file that stands where a folder must be.
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker else (e.strerror or str(e))
        raise LedgerError(f"ledger {where}: cannot create folder {folder}: {reason}") from e


SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_COMPANIONS = ("-wal", "-shm")  # a WAL database's other files, named after it


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ledger URL, or None for another database (or an in-memory one)."""
    parsed = make_url(url)
    return _database_file(parsed) if parsed.get_backend_name() == "sqlite" else None


def _database_file(url: URL) -> Path | None:
    """The file a SQLite ``url`` names (None: in memory, or a ``file:`` URI SQLite resolves itself)."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def archive_sqlite(path: Path, target: Path) -> list[tuple[Path, Path]]:
    """Rename the SQLite database at ``path`` and its WAL files to ``target`` (and ``target-wal``...),
    so it can still be opened there; no connection may be open on it. Returns what moved where."""
    moves = [(path, target)] + [
        (path.with_name(path.name + end), target.with_name(target.name + end)) for end in SQLITE_COMPANIONS
    ]
    done = []
    for source, destination in moves:
        if not source.exists():
            continue
        try:
            source.rename(destination)
        except OSError as e:
            raise LedgerError(
                f"ledger {path}: cannot move {source} to {destination}: {e.strerror or e}"
            ) from e
        done.append((source, destination))
    return done


def check_sqlite_file(path: Path, where: str) -> None:
    """Refuse a ledger file that exists but is not a SQLite database: SQLite would take a 0-byte file
    for a new, empty database and quietly start the ledger over; any other file fails later with a
    less clear message. A ledger is only ever created where no file is."""
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except (FileNotFoundError, IsADirectoryError):
        return  # a new ledger, or SQLite's own error for a folder
    except OSError as e:
        raise LedgerError(f"ledger {where}: cannot read {path}: {e.strerror or e}") from e
    if header == SQLITE_HEADER:
        return
    what = "is empty (0 bytes)" if not header else "is not a database (it lacks SQLite's header)"
    raise LedgerError(
        f"ledger {where}: the file {what}; restore it from a backup, or move it aside to start a new "
        "ledger (`trimtab reset` does that for a paper account); trimtab never creates a ledger over it"
    )


def create_sqlite_whole(url: URL, path: Path, where: str) -> None:
    """Create a new SQLite ledger whole or not at all: built and migrated under a temporary name, then
    linked into place (never over a file another process created meanwhile). A first start that is
    interrupted or fails half-way leaves no ledger file, never an empty one, which the next start would
    have to refuse (see :func:`check_sqlite_file`)."""
    if path.exists():
        return
    temporary = path.with_name(f".{path.name}.creating-{os.getpid()}")
    leftovers = [temporary.with_name(temporary.name + end) for end in ("", *SQLITE_COMPANIONS)]
    try:
        engine = create_engine(url.set(database=str(temporary)))
        configure_sqlite(engine)
        try:
            upgrade(engine)
            with engine.connect() as connection:  # everything into the main file before it moves
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first: theirs is as good
        except OSError:  # a file system without hard links: a rename, unless one appeared meanwhile
            if not path.exists():
                temporary.replace(path)
    except (SQLAlchemyError, CommandError, OSError) as e:
        raise LedgerError(f"ledger {where}: cannot create the database: {error_reason(e)}") from e
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL journal, and transactions that SQLAlchemy begins itself.

    Python's sqlite3 module (before 3.12's ``autocommit``) only opens a transaction right before a
    write, so reads in a transaction are not isolated and PRAGMAs may land inside one; handing
    BEGIN to SQLAlchemy (the recipe in SQLAlchemy's pysqlite docs) makes every session one real
    transaction, migrations included.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

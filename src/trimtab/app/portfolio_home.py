"""Where a portfolio lives: its data folder, its name, its ledger (file or PostgreSQL schema) and its lock.

Relative paths in the config (``data_dir``) are resolved against the config file's folder, so a command
started by cron or systemd from any working directory finds the same ledger and paper account. Every
command that opens a portfolio's ledger or drives it goes through here (:func:`open_ledger`,
:func:`hold_portfolio`), so a PostgreSQL ledger gets its schema and its advisory lock everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from trimtab.app.portfolio_lock import PortfolioLock, lock_paths
from trimtab.config.models import Config
from trimtab.errors import ConfigError

# SQLAlchemy and psycopg are imported when a ledger is opened or locked: a backtest starts without them.
if TYPE_CHECKING:
    from trimtab.ledger.driver_lock import DatabaseLock
    from trimtab.ledger.store import LedgerStore

LEDGER_FILE_NAME = "ledger.db"


def data_dir(config: Config, config_path: Path) -> Path:
    """The folder holding the ledger and the paper account."""
    folder = Path(config.data_dir).expanduser()
    return folder if folder.is_absolute() else (config_path.parent / folder)


def portfolio_name(config: Config, config_path: Path) -> str:
    """The portfolio's name in ``serve``, its API and its notifications: ``name:``, else the file's stem
    (characters a URL path cannot carry plainly become ``-``)."""
    if config.name:
        return config.name
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", config_path.stem).strip("-.") or "portfolio"
    return cleaned[:64]


def ledger_url(config: Config, config_path: Path) -> str:
    """``database_url`` when given, else a SQLite file in the data folder."""
    if config.database_url:
        return config.database_url
    return f"sqlite:///{(data_dir(config, config_path) / LEDGER_FILE_NAME).resolve()}"


def ledger_schema(config: Config, config_path: Path) -> str | None:
    """The portfolio's schema in a PostgreSQL ledger: ``database_schema``, else the portfolio's name
    lowercased, every character outside ``[a-z0-9_]`` as ``_``, ``p_`` in front unless it starts with a
    letter, at most 63 characters (PostgreSQL's limit). None for SQLite (a file is one portfolio) and
    for other databases unless ``database_schema`` names one."""
    if config.database_schema is not None:
        return config.database_schema
    if not is_postgresql(ledger_url(config, config_path)):
        return None
    schema = re.sub(r"[^a-z0-9_]", "_", portfolio_name(config, config_path).lower())
    if not schema[:1].isalpha():
        schema = f"p_{schema}"
    return schema[:63]


def open_ledger(config: Config, config_path: Path) -> LedgerStore:
    """The portfolio's ledger, opened (created and migrated as needed): the file or database of
    :func:`ledger_url`, in the schema of :func:`ledger_schema` on PostgreSQL."""
    from trimtab.ledger.store import LedgerStore

    return LedgerStore.open(ledger_url(config, config_path), schema=ledger_schema(config, config_path))


@contextmanager
def hold_portfolio(config: Config, config_path: Path, command: str) -> Iterator[PortfolioLock | DatabaseLock]:
    """Hold the portfolio's lock while the block runs: one process at a time drives a portfolio.

    Every command that trades or records runs (``rebalance``, ``run``, ``tax harvest --execute``) takes
    it before it opens the ledger or the venue. On a PostgreSQL ledger, which several processes and
    machines may share, it is the database's advisory lock on the portfolio's schema
    (:class:`~trimtab.ledger.driver_lock.DatabaseLock`). Otherwise the portfolio is where its state
    lives: the data folder (paper account, default ledger) and the folder of a SQLite ``database_url``
    elsewhere, so configs that share them share the lock. Raises :class:`~trimtab.errors.PortfolioBusy`
    (naming the holder) when another process holds it; ``command`` is how this process is named to the
    next one."""
    schema = ledger_schema(config, config_path)
    if schema is not None and is_postgresql(ledger_url(config, config_path)):
        from trimtab.ledger.driver_lock import DatabaseLock

        with DatabaseLock(ledger_url(config, config_path), schema, command) as shared:
            yield shared
        return
    folders = [data_dir(config, config_path)]
    if config.database_url:
        from sqlalchemy.exc import ArgumentError

        from trimtab.ledger.engine import sqlite_file

        try:
            ledger_file = sqlite_file(config.database_url)
        except ArgumentError:
            ledger_file = None  # not a URL: opening the ledger reports it, without echoing it
        if ledger_file is not None:
            folders.append(ledger_file.parent)
    lock = PortfolioLock(lock_paths(folders), command)
    try:
        lock.acquire()
    except OSError as error:
        where = error.filename or folders[0]
        raise ConfigError(
            str(config_path), "data_dir", f"cannot lock the portfolio at {where} ({error.strerror or error})"
        ) from None
    try:
        yield lock
    finally:
        lock.release()


def is_postgresql(url: str) -> bool:
    """Whether the ledger at SQLAlchemy ``url`` is a PostgreSQL database (by its scheme)."""
    return url.split(":", 1)[0].split("+", 1)[0].strip().lower() in {"postgresql", "postgres"}

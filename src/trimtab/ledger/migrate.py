"""Run the ledger's Alembic migrations from code, without an ``alembic.ini``.

The migration scripts ship inside the package (``trimtab/ledger/migrations``), so this works the
same from a source checkout and from an installed wheel. :meth:`LedgerStore.open
<trimtab.ledger.store.LedgerStore.open>` calls :func:`upgrade` on every open; upgrading a database
that is already at the head does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from trimtab.ledger.postgres import is_postgresql, lock_schema

MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config whose scripts are the packaged migrations; ``url`` is only needed when no
    connection is handed over in ``config.attributes["connection"]``."""
    config = Config()
    # ConfigParser interpolates "%": escape it so any install path works.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision of the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # only if the package lost its migration scripts
        raise RuntimeError(f"no ledger migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database at ``engine`` is at (None for a database never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", *, schema: str | None = None) -> None:
    """Migrate the database at ``engine`` to ``revision`` in one transaction where the database allows.

    On PostgreSQL the transaction first takes the migration lock of ``schema`` and creates the schema
    if it is missing (:func:`trimtab.ledger.postgres.lock_schema`), and Alembic keeps its version table
    in that schema: each portfolio's schema is migrated on its own, once, whoever opens it first."""
    config = alembic_config()
    with engine.begin() as connection:
        if is_postgresql(connection):
            lock_schema(connection, schema)
            config.attributes["schema"] = schema
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

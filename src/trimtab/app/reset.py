"""``trimtab reset``: start a paper account and its ledger over, deliberately.

The paper account (``data_dir/paper-venue.json``) and the ledger describe one account together; when one
is lost the two disagree and trimtab refuses to trade (:mod:`trimtab.execution.agreement`). Resetting
moves both aside, renamed with a ``.reset-<UTC time>`` suffix and never deleted, so the next command
starts from ``exchange.balances`` with a new ledger, and the old ones can still be read (or moved back).
A ledger on PostgreSQL is the portfolio's schema: it is renamed ``<schema>_reset_<UTC time>`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from trimtab.app.portfolio_home import data_dir, ledger_schema, ledger_url
from trimtab.config.models import Config
from trimtab.errors import ConfigError
from trimtab.ledger.engine import archive_schema, archive_sqlite, sqlite_file
from trimtab.venues.paper_state import STATE_FILE_NAME, archive_state, free_name


@dataclass(frozen=True)
class Reset:
    """What moved where: the paper account's state file and the ledger's file (None: there was none), or
    the ledger's PostgreSQL schema (``schema``: old and new name)."""

    account: tuple[Path, Path] | None
    ledger: tuple[Path, Path] | None
    schema: tuple[str, str] | None = None


def refuse_unresettable(config: Config, config_path: Path) -> None:
    """Raise ConfigError for a real exchange (whose account trimtab never resets) or a ledger that is
    neither a SQLite file nor a PostgreSQL schema: checked before the portfolio's lock is taken, which on
    PostgreSQL means reaching the server."""
    source = str(config_path)
    if not config.exchange.is_paper:
        raise ConfigError(
            source,
            "exchange.name",
            f"trimtab reset starts a paper account over; {config.exchange.name} is a real exchange, "
            "whose account and ledger trimtab never resets",
        )
    if sqlite_file(ledger_url(config, config_path)) is None and ledger_schema(config, config_path) is None:
        raise ConfigError(
            source,
            "database_url",
            "trimtab reset archives a SQLite ledger file or a PostgreSQL schema; empty this database yourself, "
            "then run reset again",
        )


def reset_paper(config: Config, config_path: Path, now: datetime) -> Reset:
    """Archive the paper account and the ledger of ``config``: its SQLite file or its PostgreSQL schema
    (see the module docstring).

    Raises ConfigError when :func:`refuse_unresettable` does; LedgerError or ConfigError when a file or
    the schema cannot be renamed.
    """
    refuse_unresettable(config, config_path)
    url, schema = ledger_url(config, config_path), ledger_schema(config, config_path)
    database = sqlite_file(url)
    suffix = f".reset-{now:%Y%m%dT%H%M%SZ}"
    state = data_dir(config, config_path) / STATE_FILE_NAME
    archived_state = archive_state(state, suffix)
    account = (state, archived_state) if archived_state is not None else None
    if database is None:
        assert schema is not None
        return Reset(account, None, archive_schema(url, schema, f"{now.astimezone(UTC):%Y%m%d%H%M%S}"))
    moved = archive_sqlite(database, free_name(database, suffix)) if database.exists() else []
    return Reset(account, moved[0] if moved else None)

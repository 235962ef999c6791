"""``trimtab reset``: start a paper account and its ledger over, deliberately.

The paper account (``data_dir/paper-venue.json``) and the ledger describe one account together; when one
is lost the two disagree and trimtab refuses to trade (:mod:`trimtab.execution.agreement`). Resetting
moves both aside, renamed with a ``.reset-<UTC time>`` suffix and never deleted, so the next command
starts from ``exchange.balances`` with a new ledger, and the old ones can still be read (or moved back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from trimtab.app.assembly import data_dir, ledger_url
from trimtab.config.models import Config
from trimtab.errors import ConfigError
from trimtab.ledger.engine import archive_sqlite, sqlite_file
from trimtab.venues.paper_state import STATE_FILE_NAME, archive_state, free_name


@dataclass(frozen=True)
class Reset:
    """What moved where: the paper account's state file and the ledger's file (None: there was none)."""

    account: tuple[Path, Path] | None
    ledger: tuple[Path, Path] | None


def reset_paper(config: Config, config_path: Path, now: datetime) -> Reset:
    """Archive the paper account and the SQLite ledger of ``config`` (see the module docstring).

    Raises ConfigError for a real exchange (whose account trimtab never resets) or a ledger that is not a
    SQLite file; LedgerError or ConfigError when a file cannot be renamed.
    """
    source = str(config_path)
    if not config.exchange.is_paper:
        raise ConfigError(
            source,
            "exchange.name",
            f"trimtab reset starts a paper account over; {config.exchange.name} is a real exchange, "
            "whose account and ledger trimtab never resets",
        )
    database = sqlite_file(ledger_url(config, config_path))
    if database is None:
        raise ConfigError(
            source,
            "database_url",
            "trimtab reset archives a SQLite ledger file; empty this database yourself, then run reset again",
        )
    suffix = f".reset-{now:%Y%m%dT%H%M%SZ}"
    state = data_dir(config, config_path) / STATE_FILE_NAME
    archived_state = archive_state(state, suffix)
    moved = archive_sqlite(database, free_name(database, suffix)) if database.exists() else []
    return Reset(
        account=(state, archived_state) if archived_state is not None else None,
        ledger=moved[0] if moved else None,
    )

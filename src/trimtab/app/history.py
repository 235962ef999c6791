"""What the ledger recorded, read from a config without building a bot (``trimtab history``).

A bot needs its venue (an exchange client, the paper account); reading past runs needs neither, nor
the portfolio's lock, so these reads work while another process drives the portfolio and without
touching the exchange. A running bot answers the same questions with
:meth:`~trimtab.app.service.Bot.history` and :meth:`~trimtab.app.service.Bot.run_detail`.
"""

from __future__ import annotations

from pathlib import Path

from trimtab.app.portfolio_home import open_ledger
from trimtab.config.models import Config
from trimtab.ledger.records import RunDetail, RunSummary
from trimtab.limits import MAX_RUN_ID


def read_history(config: Config, config_path: Path, limit: int) -> list[RunSummary]:
    """The last ``limit`` runs of ``config``'s ledger, newest first."""
    with open_ledger(config, config_path) as ledger:
        return ledger.list_runs(min(limit, MAX_RUN_ID))  # no ledger holds more runs than ids


def read_run_detail(config: Config, config_path: Path, run_id: int) -> RunDetail | None:
    """Everything ``config``'s ledger recorded of run ``run_id`` (None if there is no such run)."""
    with open_ledger(config, config_path) as ledger:
        return ledger.run_detail(run_id)

"""The crash guard's holds, read and resumed from a config without building a bot (``trimtab guards``).

An asset that fell more than ``guards.crash_percent`` in 24 hours is held back: not bought in any run
until the owner resumes it (:mod:`trimtab.app.guards`). Resuming writes to the ledger only, so it
works while another process drives the portfolio: its next run buys the asset again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from trimtab.app.portfolio_home import open_ledger
from trimtab.config.models import Config
from trimtab.errors import ConfigError
from trimtab.ledger.records import GuardHold


def read_guard_holds(config: Config, config_path: Path) -> list[GuardHold]:
    """The crash holds in force in ``config``'s ledger, oldest first."""
    with open_ledger(config, config_path) as ledger:
        return ledger.guard_holds()


def resume_guard_hold(config: Config, config_path: Path, asset: str, at: datetime) -> list[GuardHold]:
    """End the crash hold on ``asset`` at ``at`` (the owner resumes buying it); the holds ended.
    Raises ConfigError when ``asset`` is not held back."""
    wanted = asset.strip().upper()
    with open_ledger(config, config_path) as ledger:
        ended = ledger.resume_guard_hold(wanted, at)
        if ended:
            return ended
        held = sorted({h.asset for h in ledger.guard_holds()})
    listed = f"held back: {', '.join(held)}" if held else "no asset is held back"
    raise ConfigError("command line", "--resume", f"{wanted} is not held back by the crash guard ({listed})")


def hold_report(hold: GuardHold) -> dict[str, object]:
    """One hold as ``trimtab guards --json`` and ``GET /api/portfolios/{name}/guards`` show it."""
    return {
        "asset": hold.asset,
        "reason": hold.reason,
        "since": hold.since.isoformat(),
        "run_id": hold.run_id,
        "resumed_at": None if hold.resumed_at is None else hold.resumed_at.isoformat(),
    }


def targeted_assets(config: Config) -> set[str]:
    """The assets ``config`` gives a target (fixed or dynamic): those the crash guard may hold back."""
    section = config.portfolio
    dynamic = section.dynamic_weights.assets if section.dynamic_weights is not None else ()
    return set(section.target_weights or ()) | set(dynamic)

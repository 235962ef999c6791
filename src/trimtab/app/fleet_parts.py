"""The plain data of ``trimtab serve``'s fleet: what a served portfolio is, its state, its last run, and
the events the fleet reports (the command line prints them, notifiers send them), plus the small file
that keeps a portfolio paused across a restart.

Nothing here prints or talks to a venue; every shape is frozen data a front end may show as it likes.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from trimtab.app.scheduler import LoopEvent
from trimtab.config.models import Config
from trimtab.errors import TrimtabError
from trimtab.ledger.records import RunSummary

#: In the portfolio's data folder while it is paused: a restarted ``serve`` leaves it paused.
PAUSE_FILE_NAME = "trimtab-paused.json"


class PortfolioState(StrEnum):
    """``running``: checked on its schedule. ``paused``: by its owner, until resumed (kept across a
    restart). ``kill_switch``: its last runs failed (or its paper account disagrees with its ledger);
    it waits for its owner, whose ``resume`` overrides the kill switch once. ``standby``: another process
    sharing its PostgreSQL ledger drives it; this one takes it over when that one stops."""

    RUNNING = "running"
    PAUSED = "paused"
    KILL_SWITCH = "kill_switch"
    STANDBY = "standby"


@dataclass(frozen=True)
class ServedConfig:
    """One portfolio to serve: its name (``name:`` or the file's stem), its config and its file."""

    name: str
    config: Config
    path: Path


@dataclass(frozen=True)
class LastRun:
    """The latest run of a portfolio as its ledger recorded it."""

    run_id: int
    time: datetime
    status: str
    rebalance: bool | None
    reason: str | None
    error: str | None

    @classmethod
    def of(cls, run: RunSummary) -> LastRun:
        return cls(
            run_id=run.id,
            time=run.finished_at or run.started_at,
            status=str(run.status),
            rebalance=run.rebalance,
            reason=run.reason,
            error=run.error,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "time": self.time.isoformat(),
            "status": self.status,
            "rebalance": self.rebalance,
            "reason": self.reason,
            "error": self.error,
        }


@dataclass(frozen=True)
class Serving:
    """The portfolio is served from now on (``state`` says whether it is checked or paused)."""

    portfolio: str
    config_path: Path
    state: PortfolioState


@dataclass(frozen=True)
class Busy:
    """The portfolio is driven by another process (``message`` names it); it is not served."""

    portfolio: str
    config_path: Path
    message: str


@dataclass(frozen=True)
class Checked:
    """What the portfolio's schedule did: a check done (its run, or its error) or a wait begun. A run
    asked for through the API is reported the same way."""

    portfolio: str
    event: LoopEvent


@dataclass(frozen=True)
class StateChanged:
    """The portfolio was paused, resumed, or stopped by its kill switch (``error`` then says why)."""

    portfolio: str
    state: PortfolioState
    reason: str
    error: TrimtabError | None = None


@dataclass(frozen=True)
class Stopped:
    """The portfolio's runs are over, its bot closed and its lock released (the service is stopping)."""

    portfolio: str


FleetEvent = Serving | Busy | Checked | StateChanged | Stopped


@dataclass
class StandbyPortfolio:
    """A portfolio another process drives (``holder`` names it), which this one takes over when it stops."""

    served: ServedConfig
    holder: str

    @property
    def name(self) -> str:
        return self.served.name


class NothingToServe(TrimtabError):
    """Every portfolio given to ``serve`` is driven elsewhere: there is nothing to do (exit code 2)."""

    exit_code = 2


def is_paused(folder: Path) -> bool:
    return (folder / PAUSE_FILE_NAME).exists()


def write_pause(folder: Path, at: datetime) -> None:
    """Note in ``folder`` that the portfolio is paused (a whole file or none, through a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{PAUSE_FILE_NAME}.tmp"
    temp.write_text(json.dumps({"paused_at": at.isoformat()}) + "\n", encoding="utf-8")
    os.replace(temp, folder / PAUSE_FILE_NAME)


def clear_pause(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder / PAUSE_FILE_NAME).unlink()

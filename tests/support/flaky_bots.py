"""Bots for tests on the paper venue: built the way the CLI builds them, their venue wrapped in a
:class:`FlakyVenue` (to misbehave on cue) and no pause between orders; and their ledger, opened apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from flaky_venue import FlakyVenue

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.ledger.store import LedgerStore

#: The bots' clock: every run starts at this instant.
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def flaky_bot(path: Path) -> tuple[Bot, FlakyVenue]:
    """The bot of the config at ``path`` and the :class:`FlakyVenue` its orders go through."""
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    venue = FlakyVenue(bot.parts.venue)
    fast = replace(bot.parts.execution, pause_seconds=0.0)
    return Bot(replace(bot.parts, venue=venue, execution=fast)), venue


def ledger_of(path: Path) -> LedgerStore:
    """The ledger of the config at ``path`` (its default place under ``data/``), opened apart from any bot."""
    return LedgerStore.open(f"sqlite:///{path.parent / 'data' / 'ledger.db'}")

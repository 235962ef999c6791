"""The ledger's connection to its database and the plumbing every read and write of it shares.

:class:`LedgerSessions` holds the SQLAlchemy engine, the database's URL as errors name it (password
hidden) and the session factory. Each call of the store works in one session and one transaction
(:meth:`LedgerSessions._transaction`): committed whole when the block succeeds, rolled back otherwise,
a database failure raised as a :class:`~trimtab.errors.LedgerError` of one line naming the database.
The checks of the arguments (aware times, known enum values, an existing run) raise the same way.
:class:`~trimtab.ledger.store.LedgerStore` builds on it; the dashboard's reads
(:mod:`trimtab.ledger.glance`) use its transactions too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from trimtab.errors import LedgerError
from trimtab.ledger.engine import error_reason
from trimtab.ledger.models import RunRow

_E = TypeVar("_E", bound=StrEnum)


class LedgerSessions:
    """A migrated ledger database: its engine, its name in errors, and one transaction per call."""

    def __init__(self, engine: Engine, where: str) -> None:
        """Wrap an engine whose database is already migrated; use :meth:`LedgerStore.open` instead."""
        self._engine = engine
        self._where = where
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def where(self) -> str:
        """The database's URL as errors name it (password hidden)."""
        return self._where

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self, action: str) -> Iterator[Session]:
        """One session, one transaction: committed if the block succeeds, rolled back otherwise."""
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as e:
            raise self._error(action, error_reason(e)) from e

    def _error(self, action: str, reason: str) -> LedgerError:
        return LedgerError(f"ledger {self._where}: cannot {action}: {reason}")

    def _run(self, session: Session, run_id: int) -> RunRow:
        run = session.get(RunRow, run_id)
        if run is None:
            raise LedgerError(f"ledger {self._where}: run {run_id} does not exist")
        return run

    def _require_aware(self, value: datetime, name: str) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            raise LedgerError(
                f"ledger {self._where}: {name} {value.isoformat()} is a naive datetime; the ledger needs "
                "timezone-aware times"
            )

    def _parse(self, kind: type[_E], value: str, what: str) -> _E:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(str(v) for v in kind)
            raise LedgerError(f"ledger {self._where}: {what} {value!r} is not one of {allowed}") from None

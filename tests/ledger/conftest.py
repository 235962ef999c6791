"""Fixtures for the ledger tests: a real ledger on each backend (a SQLite file in tmp_path, a fresh
PostgreSQL database), and a SQLite one for the tests about SQLite files themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trimtab.ledger import LedgerStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite ledger's file (also the file of ``db_url``'s SQLite variant)."""
    return tmp_path / "state" / "ledger.db"


@pytest.fixture
def db_url(ledger_url: str) -> str:
    """A new ledger's URL on each backend: a test using it (or ``ledger``) runs on SQLite and PostgreSQL."""
    return ledger_url


@pytest.fixture
def sqlite_url(db_path: Path) -> str:
    """A new SQLite ledger's URL, for tests about SQLite itself (its file, journal, pragmas)."""
    return f"sqlite:///{db_path}"


@pytest.fixture
def ledger(db_url: str) -> Iterator[LedgerStore]:
    store = LedgerStore.open(db_url)
    yield store
    store.close()


@pytest.fixture
def sqlite_ledger(sqlite_url: str) -> Iterator[LedgerStore]:
    store = LedgerStore.open(sqlite_url)
    yield store
    store.close()

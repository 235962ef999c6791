"""Fixtures for the ledger tests: a real SQLite ledger file in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trimtab.ledger import LedgerStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ledger.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def ledger(db_url: str) -> Iterator[LedgerStore]:
    store = LedgerStore.open(db_url)
    yield store
    store.close()

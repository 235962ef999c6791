"""A ledger file that is not a SQLite database is an error naming it, never quietly replaced by a new ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from trimtab.errors import LedgerError
from trimtab.ledger import LedgerStore
from trimtab.ledger.engine import archive_sqlite, sqlite_file


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "is empty (0 bytes)"), (b"SQLite format 2\x00" + b"\x00" * 100, "is not a database")],
    ids=["zero-bytes", "another-format"],
)
def test_a_ledger_file_that_is_not_sqlite_is_refused_and_left_as_it_was(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    file = tmp_path / "ledger.db"
    file.write_bytes(content)

    with pytest.raises(LedgerError) as caught:
        LedgerStore.open(f"sqlite:///{file}")

    message = str(caught.value)
    assert message.startswith(f"ledger sqlite:///{file}: the file {problem}")
    assert "restore it from a backup, or move it aside" in message
    assert "\n" not in message
    assert file.read_bytes() == content, "the file was not touched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db"], "no WAL or journal was created"


def test_a_missing_ledger_file_is_still_created(tmp_path: Path) -> None:
    file = tmp_path / "new" / "ledger.db"
    LedgerStore.open(f"sqlite:///{file}").close()
    assert file.read_bytes().startswith(b"SQLite format 3\x00")


def test_sqlite_file_names_the_file_of_a_sqlite_url_only(tmp_path: Path) -> None:
    assert sqlite_file(f"sqlite:///{tmp_path}/ledger.db?timeout=1") == tmp_path / "ledger.db"
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://user:secret@host/db") is None


def test_an_archived_ledger_moves_with_its_wal_and_still_opens(tmp_path: Path) -> None:
    file = tmp_path / "ledger.db"
    ledger = LedgerStore.open(f"sqlite:///{file}")
    ledger.close()
    target = tmp_path / "ledger.db.reset-1"

    moved = archive_sqlite(file, target)

    assert moved[0] == (file, target)
    assert not any(p.name.startswith("ledger.db-") or p.name == "ledger.db" for p in tmp_path.iterdir())
    with LedgerStore.open(f"sqlite:///{target}") as archived:
        assert archived.list_runs() == []

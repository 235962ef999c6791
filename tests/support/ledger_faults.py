"""Real ways for the ledger to refuse a write in the middle of a run, for the tests of "nothing lost".

- :func:`mounted_tmpfs`: a small tmpfs (needs root and ``mount``; the test is skipped cleanly otherwise), and
  :func:`fill_filesystem` to fill it up at the chosen moment: SQLite then fails with "database or disk is full".
- :class:`PageLimit`: SQLite's ``PRAGMA max_page_count`` set to the file's current size at the chosen moment, so
  the ledger cannot grow by one page (always available).
- :class:`MomentaryLock`: another connection holds the ledger's write lock (``BEGIN EXCLUSIVE``) from the chosen
  moment until the write it makes fail is over, like a backup or a ``sqlite3`` shell holding it for a moment:
  "database is locked" once, then the ledger is writable again.

Each is armed from a venue hook (``after_place``: the order is on the venue, its record not yet in the ledger).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from trimtab.ledger.engine import connect
from trimtab.ledger.store import LedgerStore
from trimtab.model.orders import Fill, OrderStatus
from trimtab.venues.paper_state import STATE_FILE_NAME, load_state

OrderFacts = dict[str, tuple[OrderStatus, Any, tuple[Fill, ...]]]


@contextmanager
def mounted_tmpfs(folder: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` for the block; skips the test where mounting is not permitted."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount command here: cannot make a small filesystem to fill")
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill_filesystem(folder: Path) -> Path:
    """Write a file in ``folder`` until its filesystem has no byte left; returns it (delete it to free the space)."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 20, 1 << 12, 1):
            while _wrote(descriptor, size):
                pass
    finally:
        os.close(descriptor)
    return filler


def _wrote(descriptor: int, size: int) -> bool:
    """Whether ``size`` more bytes fitted; False once the filesystem is full (any other error is raised)."""
    try:
        os.write(descriptor, b"\0" * size)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        return False
    return True


def ledger_with_hooks(url: str) -> tuple[LedgerStore, Engine]:
    """A ledger store at ``url`` and its engine, to arm a :class:`PageLimit` or :class:`MomentaryLock` on."""
    engine, where = connect(url)
    return LedgerStore(engine, where), engine


def create_small_page_ledger(file: Path) -> None:
    """Create the SQLite file of a ledger with 512-byte pages (the smallest), before the ledger migrates it:
    a page then holds a few orders, so a run's records soon need a new page, which a :class:`PageLimit` refuses."""
    file.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(file)
    try:
        connection.execute("PRAGMA page_size = 512")
        connection.execute(
            "PRAGMA journal_mode = WAL"
        )  # writes the header: the page size is fixed from now on
    finally:
        connection.close()


class PageLimit:
    """Once :meth:`freeze` is called, every connection the ledger takes has ``max_page_count`` at the file's
    size of then: SQLite refuses any write that needs one more page ("database or disk is full")."""

    def __init__(self, engine: Engine, file: Path) -> None:
        self._file = file
        self.pages: int | None = None
        event.listen(engine, "checkout", self._limit)

    def freeze(self) -> None:
        if self.pages is None:
            with sqlite3.connect(self._file) as reader:
                self.pages = int(reader.execute("PRAGMA page_count").fetchone()[0])

    def _limit(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if self.pages is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {self.pages}")


class MomentaryLock:
    """:meth:`take` makes a second connection hold the ledger's exclusive write lock; it lets go as soon as
    a connection of the ledger returns to the pool (after the write the lock made fail)."""

    def __init__(self, engine: Engine, file: Path) -> None:
        self._file = file
        self._holder: sqlite3.Connection | None = None
        self.taken = 0
        event.listen(engine, "checkin", self._release)

    def take(self) -> None:
        if self._holder is None and not self.taken:
            self._holder = sqlite3.connect(self._file, isolation_level=None)
            self._holder.execute("BEGIN EXCLUSIVE")
            self.taken += 1

    def _release(self, _dbapi_connection: Any, _record: Any) -> None:
        if self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None


def paper_orders(data_dir: Path) -> OrderFacts:
    """Every order of the paper account in ``data_dir``: status, filled amount and fills, by client order id."""
    state = load_state(data_dir / STATE_FILE_NAME)
    assert state is not None, "the paper account has no state file"
    return {cid: (o.status, o.filled, o.fills) for cid, o in state.orders.items()}


def ledger_orders(ledger: LedgerStore) -> OrderFacts:
    """Every order in the ledger, over all runs, as :func:`paper_orders` gives them (each id once)."""
    found: OrderFacts = {}
    for run in ledger.list_runs(limit=100_000):
        detail = ledger.run_detail(run.id)
        assert detail is not None
        for order in detail.orders:
            assert order.client_order_id not in found, f"{order.client_order_id} is in the ledger twice"
            found[order.client_order_id] = (order.status, order.filled, order.fills)
    return found

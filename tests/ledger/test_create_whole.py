"""A new SQLite ledger appears whole or not at all: a first start killed while creating it leaves no
empty ledger file behind (which every later command would have to refuse)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from trimtab.ledger.engine import SQLITE_HEADER
from trimtab.ledger.store import LedgerStore

OPEN = "import sys; from trimtab.ledger.store import LedgerStore; LedgerStore.open(sys.argv[1]).close()"


def test_a_new_ledger_leaves_no_temporary_files(tmp_path: Path) -> None:
    LedgerStore.open(f"sqlite:///{tmp_path}/data/ledger.db").close()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["ledger.db"]
    assert (tmp_path / "data" / "ledger.db").read_bytes().startswith(SQLITE_HEADER)


def test_a_start_killed_while_creating_the_ledger_leaves_none(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    ledger = folder / "ledger.db"
    url = f"sqlite:///{ledger}"
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-c", OPEN, url])
        deadline = time.monotonic() + 60
        while not any(folder.iterdir()) and process.poll() is None:  # killed as the first file appears
            assert time.monotonic() < deadline, "the ledger was never created"
            time.sleep(0.0005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        LedgerStore.open(url).close()  # the next start works, whatever the killed one left
        assert ledger.read_bytes().startswith(SQLITE_HEADER)
        for leftover in folder.iterdir():
            leftover.unlink()

"""One process drives a portfolio at a time: an operating-system lock on a file next to its ledger.

``rebalance``, ``run`` and ``tax harvest --execute`` hold a :class:`PortfolioLock` from before they
open the ledger or the venue until they end (``run`` for its whole life). A second process asking for
it fails at once with :class:`~trimtab.errors.PortfolioBusy`, whose one line names the holder: the
command, its pid and host, and since when it holds the lock.

Why this shape:

- The lock is ``flock`` (``LOCK_EX | LOCK_NB``) on ``portfolio.lock``, a file that is created once and
  never replaced or deleted. The kernel drops the lock when the holder's process ends, however it ends
  (``kill -9`` included), so a lock left behind by a killed process is simply free: nothing has to decide
  from a pid whether the holder is still alive, and no pid is trusted for mutual exclusion.
- Who holds it is written after taking it to ``portfolio.lock.json``, through a temporary file renamed
  over it, so a reader sees a whole record or none. That record is for people only: it can be stale
  (its writer was killed) or not yet written (the new holder is between taking the lock and writing it),
  so a process that finds the lock taken reads it a few times until it names a live process.
- A portfolio may keep its state in more than one folder (the paper account in ``data_dir``, a SQLite
  ledger elsewhere through ``database_url``); the lock then holds one file in each, taken in a fixed
  order, all or none. Two configs pointing at the same files therefore share the lock, whatever paths
  (relative, symlinked) lead there.

The lock files are opened close-on-exec, so a child process never inherits the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from trimtab.clock import Clock, utc_now
from trimtab.errors import PortfolioBusy

LOCK_FILE_NAME = "portfolio.lock"
HOLDER_SUFFIX = ".json"
#: How long a process that found the lock taken waits for the holder's record to name a live process.
HOLDER_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Holder:
    """Who holds a portfolio lock, as its holder wrote it down."""

    pid: int
    host: str
    command: str
    since: datetime

    def describe(self) -> str:
        when = self.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"`trimtab {self.command}` (pid {self.pid} on {self.host}, since {when})"

    def to_json(self) -> str:
        return json.dumps(
            {"pid": self.pid, "host": self.host, "command": self.command, "since": self.since.isoformat()}
        )

    @classmethod
    def from_json(cls, text: str) -> Holder | None:
        """The holder a record names, or None for a record that is not one (empty, cut, edited)."""
        try:
            data = json.loads(text)
            holder = cls(
                pid=int(data["pid"]),
                host=str(data["host"]),
                command=str(data["command"]),
                since=datetime.fromisoformat(str(data["since"])),
            )
        except (ValueError, TypeError, KeyError):
            return None
        return holder if holder.since.tzinfo is not None else None

    def is_running(self) -> bool:
        """False when the record names a process of this host that no longer exists (a stale record)."""
        if self.host != socket.gethostname():
            return True  # another machine (a shared folder): its processes cannot be checked from here
        return pid_exists(self.pid)


def pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    except OSError:
        return True  # cannot tell (e.g. Windows): do not call a live holder stale
    return True


def lock_paths(folders: Iterable[Path]) -> tuple[Path, ...]:
    """The lock file of each folder a portfolio keeps state in, once each, in the order they are taken."""
    unique = {(folder.expanduser().resolve() / LOCK_FILE_NAME) for folder in folders}
    return tuple(sorted(unique))


class PortfolioLock:
    """The exclusive right to drive one portfolio, held by this process until :meth:`release`.

    >>> with PortfolioLock([tmp / "portfolio.lock"], "rebalance"):  # doctest: +SKIP
    ...     ...  # only this process trades the portfolio here

    ``acquire`` raises :class:`~trimtab.errors.PortfolioBusy` when another process holds any of the
    files, and OSError when a lock file cannot be created or locked (a read-only folder, a file system
    without locks)."""

    def __init__(
        self,
        paths: Sequence[Path],
        command: str,
        *,
        clock: Clock = utc_now,
        holder_wait: float = HOLDER_WAIT_SECONDS,
    ) -> None:
        if not paths:
            raise ValueError("a portfolio lock needs at least one lock file")
        self.paths = tuple(paths)
        self.command = command
        self._clock = clock
        self._holder_wait = holder_wait
        self._held: list[tuple[Path, int]] = []

    @property
    def held(self) -> bool:
        return bool(self._held)

    def still_held(self) -> bool:
        """Whether this process holds the lock (a file lock, once taken, is only lost by releasing it)."""
        return self.held

    def acquire(self) -> None:
        if self._held:
            raise RuntimeError("the portfolio lock is already held by this object")
        try:
            for path in self.paths:
                descriptor = _lock_file(path)
                if descriptor is None:
                    raise PortfolioBusy(self._busy_message(path))
                self._held.append((path, descriptor))
            me = Holder(os.getpid(), socket.gethostname(), self.command, self._clock())
            for path, _ in self._held:
                # The record only informs people; the lock is what excludes. A full disk must not stop a
                # run for want of it (the ledger decides whether the run can be recorded).
                with contextlib.suppress(OSError):
                    _write_replacing(holder_path(path), me.to_json())
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give the lock up (removing the holder records first, while still holding it). Idempotent."""
        held, self._held = self._held, []
        for path, descriptor in reversed(held):
            with contextlib.suppress(OSError):
                os.unlink(holder_path(path))
            _unlock(descriptor)

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _busy_message(self, path: Path) -> str:
        holder = wait_for_holder(path, self._holder_wait)
        who = holder.describe() if holder is not None else "another process (it has not said which)"
        return f"portfolio busy: {who} holds {path}; nothing was done, try again when it has finished"


def holder_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + HOLDER_SUFFIX)


def read_holder(lock_path: Path) -> Holder | None:
    """The holder record next to ``lock_path``, or None if there is none (it may be stale)."""
    try:
        text = holder_path(lock_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return Holder.from_json(text)


def wait_for_holder(lock_path: Path, patience: float) -> Holder | None:
    """The record of the process holding ``lock_path``: read until it names a running process, for at
    most ``patience`` seconds (a new holder writes its record just after taking the lock)."""
    deadline = time.monotonic() + patience
    while True:
        holder = read_holder(lock_path)
        if holder is not None and holder.is_running():
            return holder
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def _write_replacing(path: Path, text: str) -> None:
    """``text`` in ``path`` through a renamed temporary file: readers see a whole record or the old one."""
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(text)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


if sys.platform == "win32":  # pragma: no cover - POSIX is where trimtab is tested
    import msvcrt

    def _try_lock(descriptor: int) -> bool:
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        with contextlib.suppress(OSError):
            msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)
        os.close(descriptor)

else:
    import fcntl

    def _try_lock(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        # Closing the only descriptor releases the flock; the file itself stays for the next holder.
        os.close(descriptor)


def _lock_file(path: Path) -> int | None:
    """An open, locked descriptor of ``path`` (created if missing), or None when another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        # O_CLOEXEC is Python's default for os.open: a child process never inherits the lock.
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(descriptor):
                os.close(descriptor)
                return None
            # The file locked must still be the one at ``path``: if it was deleted and made anew between
            # our open and our lock, another process may hold the new one. Then lock that one instead.
            if _same_file(descriptor, path):
                return descriptor
        except BaseException:
            os.close(descriptor)
            raise
        _unlock(descriptor)


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (opened.st_dev, opened.st_ino) == (on_disk.st_dev, on_disk.st_ino)

"""Writing files so that a crash or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomically(path: Path, text: str | Iterable[str], *, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, flushed to disk, then
    renamed over ``path``: readers see the old file or the new one, never a part. ``text`` may be the
    pieces of the file, written as they come (a large file is never held whole). The folder is created
    if needed. ``mode`` sets the permissions (a temporary file starts as 0600). Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            if isinstance(text, str):
                temp.write(text)
            else:
                temp.writelines(text)
            temp.flush()
            # Data must be on disk before the rename makes it visible, or a crash could expose an empty file.
            os.fsync(temp.fileno())
        if mode is not None:
            os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX. Windows cannot open folders; the replace is still atomic there.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

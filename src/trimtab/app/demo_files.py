"""What ``trimtab demo --dir DIR`` may touch: only what an earlier demo created there.

The demo writes ``DIR/demo.yaml`` and keeps its ledger and paper account in ``DIR/demo-data/``. A manifest,
``DIR/.trimtab-demo.json``, records what it created: the SHA-256 of the ``demo.yaml`` it wrote, whether it
made (or found empty) ``demo-data/``, and the files found there after each run. A new demo in the same
folder starts from a clean account by deleting exactly those files; it refuses, naming the file, when

- ``demo.yaml`` exists but is not the one the demo wrote (no manifest, or edited since), or
- ``demo-data/`` holds a file the demo did not create (a folder that was not empty when first used keeps
  everything in it).

Files trimtab itself writes into a data folder (the ledger, its SQLite side files, the paper account, a lock)
count as the demo's once ``demo-data/`` is the demo's: a demo killed before it could update the manifest
can still be re-run.

Example::

    folder = DemoFolder.claim(Path("trimtab-demo"))     # raises ConfigError naming a file in the way
    config = folder.write_config(text)                   # DIR/demo.yaml
    try: ...                                             # run the demo
    finally: folder.record()                             # the files the run created
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trimtab.app.portfolio_home import LEDGER_FILE_NAME
from trimtab.errors import ConfigError, Mention, ParameterError, Wording
from trimtab.venues.paper_state import STATE_FILE_NAME

__all__ = ["DEMO_CONFIG", "DEMO_DATA", "MANIFEST", "DemoFolder"]

DEMO_CONFIG = "demo.yaml"
DEMO_DATA = "demo-data"
MANIFEST = ".trimtab-demo.json"

# Names trimtab writes into a data folder: the ledger and SQLite's side files (-wal, -shm, -journal), the
# paper account and its archived copies, their temporary files (".NAME.xxx.tmp"), a lock.
_TRIMTAB_PREFIXES = tuple(
    f"{dot}{name}" for name in (LEDGER_FILE_NAME, STATE_FILE_NAME, "trimtab") for dot in ("", ".")
)
_WAY_OUT = Wording.of("move it away or choose another ", Mention("dir"))
_IN_THE_WAY = Wording.of("not created by `trimtab demo`, so it is left alone; ", _WAY_OUT)


@dataclass
class DemoFolder:
    """A folder the demo has claimed: nothing in its way, its own old files gone."""

    path: Path
    owns_data: bool
    #: SHA-256 of each ``demo.yaml`` the demo wrote here and may replace (two while one is being replaced).
    config_digests: tuple[str, ...] = ()

    @classmethod
    def claim(cls, path: Path, config_text: str) -> DemoFolder:
        """Check ``path`` (created if missing) for writing ``config_text`` as its ``demo.yaml``, and delete
        the files an earlier demo made there.

        Raises ConfigError naming the first file the demo did not create, before anything is changed. A
        ``demo.yaml`` that already reads ``config_text`` is the demo's even without a manifest (a demo of a
        trimtab that wrote none): replacing it loses nothing, and trimtab's files next to it are the demo's.
        """
        if path.exists() and not path.is_dir():
            raise ParameterError("dir", "is a file; expected a folder for the demo", source=str(path))
        manifest = _read_manifest(path / MANIFEST)
        config = path / DEMO_CONFIG
        digests = tuple(str(d) for d in manifest.get("config_sha256", [])) if manifest else ()
        same_text = config.is_file() and _digest(config) == _text_digest(config_text)
        if config.exists() and not same_text and _digest(config) not in digests:
            changed = "changed since `trimtab demo` wrote it" if digests else "not created by `trimtab demo`"
            raise ConfigError(str(config), "", Wording.of(f"{changed}, so it is left alone; ", _WAY_OUT))
        data = path / DEMO_DATA
        if data.exists() and not data.is_dir():
            raise ConfigError(str(data), "", _IN_THE_WAY)
        found = sorted(p for p in data.rglob("*") if not p.is_dir()) if data.is_dir() else []
        owns_data = not found or bool(manifest.get("owns_data") if manifest else same_text)
        listed = set(manifest.get("files", [])) if manifest else set()
        for file in found:
            name = file.relative_to(data).as_posix()
            if not (owns_data and (name in listed or _written_by_trimtab(name))):
                raise ConfigError(str(file), "", _IN_THE_WAY)
        try:
            path.mkdir(parents=True, exist_ok=True)
            folder = cls(path, owns_data=True, config_digests=digests)
            folder._save_manifest(listed if found else set())  # first: a crash from here on is still ours
            for file in found:
                file.unlink()
        except OSError as error:
            raise ParameterError(
                "dir", f"cannot prepare the demo folder ({error.strerror})", source=str(path)
            ) from None
        return folder

    @property
    def config_path(self) -> Path:
        return self.path / DEMO_CONFIG

    @property
    def data_path(self) -> Path:
        return self.path / DEMO_DATA

    def write_config(self, text: str) -> Path:
        """Write ``demo.yaml`` (via a temporary file), its digest recorded before it exists."""
        digest = _text_digest(text)
        self.config_digests = (*self.config_digests, digest)
        self._save_manifest(set())
        temporary = self.path / f".{DEMO_CONFIG}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.config_path)
        self.config_digests = (digest,)
        self._save_manifest(set())
        return self.config_path

    def record(self) -> None:
        """Record every file now in ``demo-data/`` as the demo's (call it when the run ends, however)."""
        data = self.data_path
        files = (
            {p.relative_to(data).as_posix() for p in data.rglob("*") if not p.is_dir()}
            if data.is_dir()
            else set()
        )
        self._save_manifest(files)

    def _save_manifest(self, files: set[str]) -> None:
        manifest: dict[str, Any] = {
            "written_by": "trimtab demo",
            "config_sha256": list(self.config_digests),
            "owns_data": self.owns_data,
            "files": sorted(files),
        }
        temporary = self.path / f"{MANIFEST}.tmp"
        temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path / MANIFEST)


def _read_manifest(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("written_by") != "trimtab demo":
        raise ConfigError(
            str(path), "", Wording.of("is not a manifest written by `trimtab demo`; ", _WAY_OUT)
        )
    return manifest


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _written_by_trimtab(name: str) -> bool:
    return "/" not in name and name.startswith(_TRIMTAB_PREFIXES)

"""The cost walk's hot modules compiled to C with mypyc, and the pure-Python fallback.

:data:`HOT` (the HIFO/min-tax walk, its per-record loop, its heaps and its treap) is the same Python code either way; the
compiled build runs a large US report about twice as fast. ``make install`` (which ``make demo`` and
``make test`` go through) runs ``python -m trimtab.tax.native`` after installing the pinned
dependencies: mypyc (it ships with mypy) compiles the modules as one group into extension modules
beside their sources, and :data:`MANIFEST` records the SHA-256 of each source compiled. Without a C
compiler the build fails, ``make`` prints one warning line, and trimtab runs the sources.

Which is imported is decided once, by :func:`select` when :mod:`trimtab.tax` is imported (before any of
these modules): the compiled ones only if every one of them is there and was compiled from the source
that is there now (hashes, not file times: a checkout or a copy changes times, and an edit within the
same second does not), and ``TRIMTAB_PURE_PYTHON`` is not set. Otherwise a finder makes Python import
all of them from their sources (all or none: compiled code checks at run time that it is given the
compiled classes). So a stale build is never run, whatever the order of edits and builds.

    python -m trimtab.tax.native          # compile (needs mypyc, setuptools and a C compiler)
    python -m trimtab.tax.native --clean  # remove the compiled files
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

HOT = ("piece_tree", "cost_index", "cost_walk", "cost_rows")
"""The compiled modules of :mod:`trimtab.tax` (one mypyc group: calls between them stay in C)."""
PACKAGE = "trimtab.tax"
HERE = Path(__file__).resolve().parent
MANIFEST = "native.json"
"""Beside the sources: ``{module: SHA-256 of the source compiled}``, written by the build."""
GROUP = "native"  # the group's shared library: trimtab/tax/native__mypyc.<suffix>
PURE_ENV = "TRIMTAB_PURE_PYTHON"


def source_hash(source: Path) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()


def compiled_files(directory: Path, name: str) -> list[Path]:
    """The extension module(s) of ``name`` in ``directory`` for this interpreter."""
    return [directory / f"{name}{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]


def usable(directory: Path = HERE, modules: Sequence[str] = HOT) -> bool:
    """Whether each of ``modules`` has a compiled file here that was compiled from its source as it is now."""
    try:
        recorded = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict):
        return False
    for name in modules:
        if not any(path.is_file() for path in compiled_files(directory, name)):
            return False
        try:
            if recorded.get(name) != source_hash(directory / f"{name}.py"):
                return False
        except OSError:
            return False
    return True


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Imports :data:`HOT` from their ``.py`` sources, passing over the compiled files beside them."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in HOT:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


def select() -> bool:
    """Make the hot modules import compiled or from source (see the module docstring); returns
    whether they will be the compiled ones."""
    if not os.environ.get(PURE_ENV) and usable():
        return True
    if not any(isinstance(finder, _SourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder())
    return False


def is_compiled(module: ModuleType) -> bool:
    """Whether ``module`` was loaded from a compiled extension."""
    return isinstance(module.__loader__, importlib.machinery.ExtensionFileLoader)


def clean(directory: Path = HERE) -> None:
    (directory / MANIFEST).unlink(missing_ok=True)
    for name in (*HOT, f"{GROUP}__mypyc"):
        for path in compiled_files(directory, name):
            path.unlink(missing_ok=True)


def build(work: Path) -> None:
    """Compile :data:`HOT` in place (C sources and objects under ``work``), then write the manifest."""
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    clean()
    root = HERE.parent.parent  # the folder that holds the trimtab package (src/)
    hashes = {name: source_hash(HERE / f"{name}.py") for name in HOT}
    sources = [str(Path(*PACKAGE.split("."), f"{name}.py")) for name in HOT]
    cwd = Path.cwd()
    os.chdir(root)  # mypycify names the modules from paths relative to here
    try:
        modules = mypycify(
            sources, opt_level="2", group_name=f"{PACKAGE}.{GROUP}", target_dir=str(work / "c")
        )
        setup(
            name="trimtab-native",
            ext_modules=modules,
            script_args=[
                "build_ext",
                "--inplace",
                "--build-temp",
                str(work / "temp"),
                "--build-lib",
                str(work / "lib"),
            ],
        )
    finally:
        os.chdir(cwd)
    missing = [name for name in HOT if not any(path.is_file() for path in compiled_files(HERE, name))]
    if missing:
        raise RuntimeError(f"the build finished without compiled {', '.join(missing)}")
    # Written last: a build that fails half-way leaves no manifest, so nothing compiled is used.
    write_manifest(HERE, hashes)


def write_manifest(directory: Path, hashes: dict[str, str]) -> None:
    (directory / MANIFEST).write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: Sequence[str] = ()) -> int:
    import tempfile

    if "--clean" in argv:
        clean()
        return 0
    with tempfile.TemporaryDirectory(prefix="trimtab-native-") as work:
        try:
            build(Path(work))
        except (Exception, SystemExit):
            clean()  # nothing half-built is left to be mistaken for a build
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

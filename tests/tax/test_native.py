"""The compiled cost walk (mypyc, built by ``make install``) and its pure-Python fallback.

The compiled modules are loaded only when every one of them is there and was compiled from the source
that is there now; the walks give the same rows either way (the equivalence tests run again, in a
process that imports the sources, whenever this one runs the compiled build).
"""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trimtab.tax import cost_index, cost_rows, cost_walk, native, piece_tree

HERE = Path(__file__).resolve().parent


def fake_build(directory: Path) -> None:
    """Sources, a compiled file per module (empty: only their presence is read) and a true manifest."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    hashes = {}
    for name in native.HOT:
        source = directory / f"{name}.py"
        source.write_text(f"# {name}\n", encoding="utf-8")
        (directory / f"{name}{suffix}").write_bytes(b"")
        hashes[name] = native.source_hash(source)
    native.write_manifest(directory, hashes)


def test_a_build_of_the_sources_there_is_usable(tmp_path: Path) -> None:
    fake_build(tmp_path)
    assert native.usable(tmp_path)


def test_a_source_edited_after_the_build_makes_the_build_unusable(tmp_path: Path) -> None:
    fake_build(tmp_path)
    (tmp_path / "cost_walk.py").write_text("# cost_walk, edited\n", encoding="utf-8")
    assert not native.usable(tmp_path)


def test_a_missing_compiled_module_or_manifest_makes_the_build_unusable(tmp_path: Path) -> None:
    fake_build(tmp_path)
    for path in native.compiled_files(tmp_path, "piece_tree"):
        path.unlink(missing_ok=True)
    assert not native.usable(tmp_path)
    fake_build(tmp_path)
    (tmp_path / native.MANIFEST).write_text("not json", encoding="utf-8")
    assert not native.usable(tmp_path)
    (tmp_path / native.MANIFEST).unlink()
    assert not native.usable(tmp_path)


def test_the_hot_modules_are_all_compiled_or_all_sources() -> None:
    loaded = {native.is_compiled(module) for module in (piece_tree, cost_index, cost_walk, cost_rows)}
    assert len(loaded) == 1
    wanted = native.usable() and not os.environ.get(native.PURE_ENV)
    assert loaded == {wanted}


def _imports_compiled(environ: dict[str, str]) -> bool:
    code = "from trimtab.tax import cost_walk, native; print(native.is_compiled(cost_walk))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=60, check=True
    )
    return done.stdout.strip() == "True"


@pytest.mark.skipif(not native.usable(), reason="no compiled build here (make install builds one)")
def test_the_pure_python_switch_imports_the_sources() -> None:
    assert _imports_compiled(dict(os.environ, **{native.PURE_ENV: ""})) is True
    assert _imports_compiled(dict(os.environ, **{native.PURE_ENV: "1"})) is False


@pytest.mark.skipif(
    not native.usable(), reason="no compiled build here: the equivalence tests ran on the sources"
)
def test_the_sources_pass_the_equivalence_tests_too() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(HERE / "test_fast_equivalence.py"),
            str(HERE / "test_piece_tree.py"),
            "-k",
            "cost_walk or piece or us_reports",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, **{native.PURE_ENV: "1"}),
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_stale_build_beside_edited_sources_is_never_loaded(tmp_path: Path) -> None:
    """A copy of the package whose walk source changed after the build imports that source."""
    if not native.usable():
        pytest.skip("no compiled build here (make install builds one)")
    package = Path(native.__file__).resolve().parent.parent
    copy = tmp_path / "trimtab"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    source = copy / "tax" / "cost_walk.py"
    source.write_text(source.read_text(encoding="utf-8") + "\nEDITED = True\n", encoding="utf-8")
    code = "from trimtab.tax import cost_walk, native; print(native.is_compiled(cost_walk), cost_walk.EDITED)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(tmp_path), **{native.PURE_ENV: ""}),
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["False", "True"]

"""``trimtab demo --dir DIR`` never deletes or overwrites what it did not create, and re-runs on its own output."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trimtab.app.demo_files import DEMO_CONFIG, DEMO_DATA, MANIFEST
from trimtab.cli.main import app

runner = CliRunner()


def demo(folder: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["demo", "--dir", str(folder), "--json"], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def run_count(folder: Path) -> int:
    result = runner.invoke(app, ["history", "-c", str(folder / DEMO_CONFIG), "--json"])
    assert result.exit_code == 0, result.stderr
    return len(json.loads(result.stdout)["runs"])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_refused_naming(result: tuple[int, str, str], path: Path) -> None:
    code, out, err = result
    assert code == 2
    assert out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith(f"error: {path}: ")
    assert "move it away or choose another --dir" in err


def test_demo_runs_again_on_its_own_output_from_a_clean_account(tmp_path: Path) -> None:
    folder = tmp_path / "trimtab-demo"
    assert demo(folder)[0] == 0
    assert run_count(folder) == 1
    code, out, err = demo(folder)
    assert code == 0, err
    assert json.loads(out)["run"]["status"] == "completed"
    assert run_count(folder) == 1  # the old ledger was the demo's: replaced, not appended to
    assert demo(folder)[0] == 0


def test_a_file_the_demo_did_not_create_in_its_data_folder_is_named_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    assert demo(folder)[0] == 0
    mine = folder / DEMO_DATA / "my-notes.txt"
    mine.write_text("keep me", encoding="utf-8")
    before = snapshot(folder)
    assert_refused_naming(demo(folder), mine)
    assert snapshot(folder) == before  # nothing deleted or rewritten, the ledger included


def test_an_existing_config_not_written_by_the_demo_is_not_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    config = folder / DEMO_CONFIG
    config.write_text("portfolio:\n  target_weights: {BTC: 100}\n", encoding="utf-8")
    assert_refused_naming(demo(folder), config)
    assert config.read_text(encoding="utf-8") == "portfolio:\n  target_weights: {BTC: 100}\n"
    assert sorted(p.name for p in folder.iterdir()) == [DEMO_CONFIG]


def test_a_demo_config_edited_since_is_not_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    assert demo(folder)[0] == 0
    config = folder / DEMO_CONFIG
    edited = config.read_text(encoding="utf-8") + "# my change\n"
    config.write_text(edited, encoding="utf-8")
    result = demo(folder)
    assert_refused_naming(result, config)
    assert "changed since `trimtab demo` wrote it" in result[2]
    assert config.read_text(encoding="utf-8") == edited


def test_a_ledger_in_a_data_folder_the_demo_never_used_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    ledger = folder / DEMO_DATA / "ledger.db"
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b"someone else's ledger")
    assert_refused_naming(demo(folder), ledger)
    assert ledger.read_bytes() == b"someone else's ledger"


def test_other_files_in_the_folder_are_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "README.txt").write_text("mine", encoding="utf-8")
    (folder / DEMO_DATA).mkdir()  # empty: the demo may use it
    assert demo(folder)[0] == 0
    assert demo(folder)[0] == 0
    assert (folder / "README.txt").read_text(encoding="utf-8") == "mine"


def test_output_of_a_demo_without_a_manifest_is_recognised_by_its_config(tmp_path: Path) -> None:
    # A trimtab that wrote no manifest, or a demo killed before it recorded its files: the config it wrote
    # is word for word what the demo writes, and the data folder holds only trimtab's own files.
    folder = tmp_path / "d"
    assert demo(folder)[0] == 0
    (folder / MANIFEST).unlink()
    code, _, err = demo(folder)
    assert code == 0, err
    assert run_count(folder) == 1


def test_files_trimtab_writes_after_the_manifest_was_recorded_are_the_demos(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    assert demo(folder)[0] == 0
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = []  # killed before the run's files were recorded
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (folder / DEMO_DATA / "ledger.db-journal").write_bytes(b"")
    assert demo(folder)[0] == 0


def test_a_foreign_manifest_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / MANIFEST).write_text("{}", encoding="utf-8")
    assert_refused_naming(demo(folder), folder / MANIFEST)


def test_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x", encoding="utf-8")
    code, _, err = demo(path)
    assert code == 2
    assert f"{path}: --dir: is a file" in err
    assert path.read_text(encoding="utf-8") == "x"

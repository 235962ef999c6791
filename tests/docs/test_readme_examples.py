"""Every command example of the README runs as written, in order, in one fresh folder, and prints what the
README shows (see tests/support/readme_examples.py for how the README is read)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from readme_examples import ReadmeScript, Step, output_mismatch, read_script

README = Path(__file__).resolve().parents[2] / "README.md"
SCRIPT = read_script(README)
BIN = Path(sys.executable).parent
WIDTH = "100"  # the README's outputs were captured at 100 columns
# Only these may be left unrun: they build the virtualenv or run this very suite.
SKIPPABLE = re.compile(r"^\$ (make |python3 -m venv |/tmp/pins/)")


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str


def session_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIMTAB_", "PYTEST_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", COLUMNS=WIDTH, LINES="50", NO_COLOR="1")
    env.update(TERM="dumb")
    return env


def run_script(script: ReadmeScript, folder: Path) -> dict[int, Outcome]:
    env = session_environment()
    outcomes: dict[int, Outcome] = {}
    last = 0
    # The files the README shows are its data: there before the first command, wherever they are shown.
    for step in script.steps:
        if step.kind == "file":
            (folder / step.command).write_text(step.text, encoding="utf-8")
    for step in script.steps:
        if step.kind == "file":
            continue
        if step.kind == "export":
            for name, value in re.findall(r"(\w+)=(\S*)", step.command):
                env[name] = value
        elif step.kind == "exit-code":
            outcomes[step.line] = Outcome(0, f"{last}\n")
        else:
            done = subprocess.run(
                ["bash", "-c", step.command],
                cwd=folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
                check=False,
            )
            last = done.returncode
            outcomes[step.line] = Outcome(done.returncode, done.stdout)
    return outcomes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Outcome]:
    return run_script(SCRIPT, tmp_path_factory.mktemp("readme"))


CHECKED = [step for step in SCRIPT.steps if step.kind in {"run", "exit-code"} and step.kind != "setup"]


@pytest.mark.parametrize("step", CHECKED, ids=[f"line{s.line}-{s.command[:40]}" for s in CHECKED])
def test_readme_example_runs_as_shown(step: Step, outcomes: dict[int, Outcome]) -> None:
    outcome = outcomes[step.line]
    shows_error = "error:" in step.text
    follows = SCRIPT.steps[SCRIPT.steps.index(step) + 1 :]
    checked_later = bool(follows) and follows[0].kind == "exit-code"
    if step.kind == "run" and not (shows_error or checked_later):
        assert outcome.exit_code == 0, f"README line {step.line}: `{step.command}` failed:\n{outcome.output}"
    if step.shows_output:
        mismatch = output_mismatch(step.text, outcome.output)
        assert mismatch is None, (
            f"README line {step.line}: `{step.command}` does not print what the README shows: {mismatch}\n"
            f"--- it printed:\n{outcome.output}"
        )


def test_each_example_file_is_shown_once() -> None:
    names = [step.command for step in SCRIPT.steps if step.kind == "file"]
    assert len(names) == len(set(names)), f"README example files shown twice: {sorted(names)}"


def test_only_setup_commands_are_left_unrun() -> None:
    for line, reason, block in SCRIPT.skipped:
        assert reason, f"README line {line}: a skipped example must say why"
        for command in (text for text in block.splitlines() if text.startswith("$ ")):
            assert SKIPPABLE.match(command), f"README line {line}: `{command}` must run in the test suite"


def test_every_command_example_is_in_a_console_block() -> None:
    """A `trimtab ...` line in a code block outside console blocks would escape this suite."""
    in_block, language = False, ""
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_block, language = (not in_block), stripped[3:]
            continue
        looks_like_command = re.match(r"^(\$ )?trimtab \w", stripped) is not None
        indented_code = line.startswith("    ") and not in_block
        if looks_like_command and (indented_code or (in_block and language != "console")):
            pytest.fail(f"README line {number}: `{stripped}` is an example outside a console block")

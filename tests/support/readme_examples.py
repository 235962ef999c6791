"""The README's command examples, read as a script: which commands to run, in which folder, and what they print.

The README is the user's manual, so its examples are run exactly as a reader would type them, top to bottom,
in one fresh folder. Markdown that a reader sees drives it:

- a fenced ``console`` block: each ``$ command`` line is run with ``bash -c``; the lines up to the next ``$``
  are the output the README shows for it (compared by :func:`output_mismatch`);
- ``$ export NAME=value`` lines set variables for the commands after them, as in a shell;
- ``$ echo $?`` prints the previous command's exit code, as in a shell.

HTML comments (invisible on the rendered page) say what the page takes for granted:

- ``<!-- example-file: NAME -->`` before a fenced block: the block is the file NAME in the folder;
- ``<!-- example-setup: COMMAND -->``: run COMMAND (bash) in the folder first, its output unchecked;
- ``<!-- example-output: COMMAND -->`` before a fenced block: run COMMAND, the block is its output;
- ``<!-- example-skip: REASON -->`` before a console block: not run (``make test`` would run this suite).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*example-(file|setup|output|skip):\s*(.*?)\s*-->\s*$")
GAP = re.compile(r"^\s*(…|\.\.\.)")


@dataclass(frozen=True)
class Step:
    """One thing to do in the example folder, in README order."""

    kind: str  # "run" (checked), "setup" (unchecked), "file" (write text), "export", "exit-code"
    line: int  # the README line it comes from (1-based)
    command: str = ""
    text: str = ""  # the output shown (run), the file's content (file)
    shows_output: bool = False


@dataclass
class ReadmeScript:
    steps: list[Step] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, block)


def strip_comment(command: str) -> str:
    """``make demo     # set up ...`` -> ``make demo`` (a ``#`` after two spaces starts a reader's comment)."""
    return re.split(r"\s{2,}#\s", command, maxsplit=1)[0].strip()


def console_steps(lines: list[str], first_line: int) -> list[Step]:
    steps: list[Step] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise ValueError(
                f"README line {first_line + index}: console block output before any '$ ' command"
            )
        command = strip_comment(line[2:])
        shown: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        number = first_line + index - len(shown) - 1
        if command == "echo $?":
            steps.append(Step("exit-code", number, command, "\n".join(shown), True))
        elif command.startswith("export "):
            steps.append(Step("export", number, command[len("export ") :]))
        else:
            steps.append(Step("run", number, command, "\n".join(shown), bool(shown)))
    return steps


def read_script(readme: Path) -> ReadmeScript:
    """Every example of ``readme`` as steps, in order."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    script = ReadmeScript()
    pending: tuple[str, str] | None = None  # a directive waiting for the next fenced block
    index = 0
    while index < len(lines):
        line = lines[index]
        directive = DIRECTIVE.match(line)
        if directive:
            kind, argument = directive.groups()
            if kind == "setup":
                script.steps.append(Step("setup", index + 1, argument))
            else:
                pending = (kind, argument)
            index += 1
            continue
        fence = FENCE.match(line.strip()) if line.lstrip().startswith("```") else None
        if fence is None:
            index += 1
            continue
        indent = len(line) - len(line.lstrip())
        language = fence.group(1)
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = [text[indent:] if text[:indent].strip() == "" else text for text in lines[index + 1 : end]]
        start = index + 2  # README line number of the block's first line
        kind, argument = pending or ("", "")
        pending = None
        if kind == "file":
            script.steps.append(Step("file", start - 1, argument, "\n".join(body) + "\n"))
        elif kind == "output":
            script.steps.append(Step("run", start - 1, argument, "\n".join(body), True))
        elif kind == "skip":
            script.skipped.append((start - 1, argument, "\n".join(body)))
        elif language == "console":
            script.steps.extend(console_steps(body, start))
        index = end + 1
    return script


def _clean(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def output_mismatch(shown: str, actual: str) -> str | None:
    """None when ``actual`` prints what ``shown`` shows, else what differs.

    Lines compare exactly (trailing spaces and blank lines aside). A line starting with ``…`` (or ``...``)
    stands for any number of lines; without one, the shown lines must be the output's first/last lines and
    follow each other directly.
    """
    expected, got = _clean(shown), _clean(actual)
    segments: list[list[str]] = [[]]
    for line in expected:
        if GAP.match(line):
            segments.append([])
        else:
            segments[-1].append(line)
    open_start = bool(expected) and GAP.match(expected[0]) is not None
    open_end = bool(expected) and GAP.match(expected[-1]) is not None
    position = 0
    for number, segment in enumerate(segments):
        if not segment:
            continue
        anchored = number == 0 and not open_start
        found = _find(got, segment, position, anchored)
        if found is None:
            return f"the output lacks, in order:\n  {segment[0]}\n  ... ({len(segment)} lines)"
        position = found + len(segment)
    if not open_end and segments[-1] and position != len(got):
        return f"the output goes on after the last line shown: {got[position]!r}"
    return None


def _find(got: list[str], segment: list[str], start: int, anchored: bool) -> int | None:
    last = start if anchored else len(got) - len(segment)
    for at in range(start, last + 1):
        if got[at : at + len(segment)] == segment:
            return at
    return None

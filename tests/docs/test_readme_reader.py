"""The README reader's own rules: how shown output is compared, how blocks become steps."""

from __future__ import annotations

from pathlib import Path

from readme_examples import output_mismatch, read_script, strip_comment


def test_identical_output_matches() -> None:
    assert output_mismatch("a\nb", "a  \n\nb\n") is None


def test_a_changed_line_is_a_mismatch() -> None:
    assert output_mismatch("a\nb", "a\nc") is not None


def test_output_beyond_the_last_shown_line_is_a_mismatch() -> None:
    assert output_mismatch("a", "a\nb") is not None


def test_a_gap_line_stands_for_any_lines() -> None:
    assert output_mismatch("…\nc\n…\ne", "a\nb\nc\nd\ne") is None
    assert output_mismatch("a\n...  (the table)\ne", "a\nb\nc\ne") is None


def test_lines_must_come_in_order() -> None:
    assert output_mismatch("…\nc\n…\na", "a\nb\nc") is not None


def test_without_a_leading_gap_the_first_line_must_be_first() -> None:
    assert output_mismatch("b\n…", "a\nb\nc") is not None


def test_blocks_become_steps(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "\n".join(
            [
                "<!-- example-file: a.yaml -->",
                "```yaml",
                "x: 1",
                "```",
                "<!-- example-setup: touch b -->",
                "```console",
                "$ export A=1",
                "$ trimtab validate -c a.yaml   # a comment",
                "a.yaml: valid",
                "$ echo $?",
                "0",
                "```",
                "<!-- example-skip: builds the venv -->",
                "```console",
                "$ make test",
                "```",
            ]
        ),
        encoding="utf-8",
    )
    script = read_script(readme)
    assert [(s.kind, s.command) for s in script.steps] == [
        ("file", "a.yaml"),
        ("setup", "touch b"),
        ("export", "A=1"),
        ("run", "trimtab validate -c a.yaml"),
        ("exit-code", "echo $?"),
    ]
    assert script.steps[0].text == "x: 1\n"
    assert script.steps[3].text == "a.yaml: valid"
    assert script.skipped == [(14, "builds the venv", "$ make test")]


def test_a_readers_comment_is_not_part_of_the_command() -> None:
    assert strip_comment("make demo     # set up .venv") == "make demo"
    assert strip_comment("echo '#1'") == "echo '#1'"

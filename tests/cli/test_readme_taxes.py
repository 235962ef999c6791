"""The README's Taxes section, run as written in a fresh folder: the files it shows, the commands it lists
and the output it prints.

The folder is what a new user has after the Quick start: `trimtab init`'s config (no `tax:` section,
the paper exchange) and a forced rebalance, so the ledger holds the bot's USDT fills — made today,
after every year the examples report on. The examples must work as written: the German report of
a USD history needs its rates file but none for those later fills, and the UK report of the same
USD file reads it with `--currency USD`.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def taxes_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Taxes\n")
    return text[start : text.index("\n## ", start + 1)]


def example_files(section: str) -> dict[str, str]:
    """``<!-- example-file: NAME -->`` and the fenced block below it."""
    found = re.findall(r"<!-- example-file: (\S+) -->\n```\w*\n(.*?)```", section, flags=re.DOTALL)
    return dict(found)


def listed_commands(section: str) -> list[str]:
    """The indented ``trimtab tax …`` lines (a reader's ``# comment`` after two spaces dropped)."""
    lines = re.findall(r"^ {4}(trimtab tax .*)$", section, flags=re.MULTILINE)
    return [re.split(r"\s{2,}#\s", line, maxsplit=1)[0].strip() for line in lines]


def console_examples(section: str) -> list[tuple[str, str]]:
    """``$ trimtab tax …`` lines of console blocks and the output shown below each."""
    blocks = re.findall(r"```console\n(.*?)```", section, flags=re.DOTALL)
    examples = []
    for block in blocks:
        command, _, shown = block.partition("\n")
        if command.startswith("$ trimtab tax report"):
            examples.append((command[2:], shown))
    return examples


def run(command: str) -> tuple[int, str, str]:
    args = shlex.split(command)
    assert args[0] == "trimtab"
    result = runner.invoke(app, args[1:], env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


def squeeze(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines()]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert run("trimtab init")[0] == 0
    code, _, err = run("trimtab rebalance --force")
    assert code == 0, err
    for name, text in example_files(taxes_section()).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_section_shows_its_files_and_lists_import_and_report_commands() -> None:
    section = taxes_section()
    assert set(example_files(section)) == {"history.csv", "usd-eur.csv", "usd-gbp.csv"}
    assert [c.split()[2] for c in listed_commands(section)][:4] == ["import", "report", "report", "report"]


def test_every_import_and_report_command_works_as_written(folder: Path) -> None:
    commands = [c for c in listed_commands(taxes_section()) if " harvest" not in c]
    results = {command: run(command) for command in commands}
    for command, (code, _, err) in results.items():
        assert code == 0, f"{command}: {err}"
        assert "left out" not in err, f"{command}: {err}"  # the USD history is converted, not dropped
    german = next(c for c in commands if " de " in c)
    assert (folder / "anlage-so.csv").read_text(encoding="utf-8").count("\n") >= 2  # header + a sale
    # The EUR figures are the USD ones at the day's rate: the ETH sale of 20 Feb 2025 at 0.9583.
    de = json.loads(run(german.replace("--csv anlage-so.csv", "--json"))[1])
    eth = next(row for row in de["disposals"] if row["asset"] == "ETH")
    assert eth["proceeds"] == "3877.233885"  # 4045.95 USD x 0.9583 (the rate of 20 Feb 2025)
    uk = json.loads(results[next(c for c in commands if " uk " in c)][1])
    assert {row["asset"] for row in uk["disposals"]} == {"BTC", "ETH"}  # both sales fall in 2024/25


def test_the_console_examples_print_what_the_readme_shows(folder: Path) -> None:
    examples = console_examples(taxes_section())
    assert examples
    for command, shown in examples:
        code, out, err = run(command)
        assert code == 0, err
        assert squeeze(out) == squeeze(shown)
    hifo = run(examples[0][0] + " --method hifo")[1]
    assert "Short-term gain (loss): 14,139.00 USD" in hifo  # as the README says


def test_the_harvest_commands_work_with_a_tax_section(folder: Path) -> None:
    config = folder / "trimtab.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "tax:\n  jurisdiction: us\n", encoding="utf-8")
    for command in [c for c in listed_commands(taxes_section()) if " harvest" in c]:
        code, _, err = run(command)
        assert code == 0, f"{command}: {err}"


def test_without_its_rates_the_german_example_names_the_usd_history_not_the_later_fills(folder: Path) -> None:
    assert run("trimtab tax import history.csv")[0] == 0
    code, _, err = run("trimtab tax report -j de --year 2025")
    assert code == 2
    assert "imported history is priced in USD (the first on 2023-06-01)" in err
    assert "a EUR report needs daily USD->EUR rates" in err
    # A year before any USD event needs no rates at all (the fills are later, the history earlier... no
    # event falls before 2023): an empty report, not an error.
    code, _, err = run("trimtab tax report -j de --year 2022")
    assert code == 0, err


def test_the_uk_example_without_its_currency_says_what_is_wrong() -> None:
    section = taxes_section()
    command = next(c for c in listed_commands(section) if " uk " in c)
    assert "--currency USD" in command

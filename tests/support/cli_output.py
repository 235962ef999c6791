"""The command line run in-process for tests that read only what a successful command printed."""

from __future__ import annotations

from typer.testing import CliRunner

from trimtab.cli.main import app


def stdout_of(*args: str) -> str:
    """What ``trimtab *args`` printed to stdout on a 200-column terminal; fails the test unless it exited 0."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout

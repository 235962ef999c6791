"""What every ``trimtab`` command shares: the consoles, the common options, one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from trimtab.errors import ConfigError, TrimtabError

T = TypeVar("T")

ConfigOption = Annotated[
    Path, typer.Option("-c", "--config", help="The YAML config file.", show_default=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
DEFAULT_CONFIG = Path("trimtab.yaml")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def guarded(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action``, turning every failure into one line and an exit code (a traceback with --debug)."""
    try:
        return action()
    except TrimtabError as error:
        if debug:
            raise
        fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # a bug or an unexpected failure of a library: still one line
        if debug:
            raise
        fail(f"unexpected {type(error).__name__}: {error} (run again with --debug for the traceback)", 1)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def warn(message: str) -> None:
    """One warning line on stderr (``message`` is printed as text, never as rich markup)."""
    err.print(f"[bold yellow]warning:[/] {escape(message)}", markup=True, soft_wrap=True)


def choice_flag(flag: str, text: str, choices: Sequence[str]) -> str:
    """``text`` as one of ``choices``, case ignored (the choice is returned as written there)."""
    by_key = {choice.lower(): choice for choice in choices}
    value = by_key.get(text.strip().lower())
    if value is None:
        raise ConfigError("command line", flag, f"expected one of {', '.join(choices)}, got {text!r}")
    return value


def decimal_flag(flag: str, text: str, *, positive: bool = False) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError("command line", flag, f"expected a number, got {text!r}") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise ConfigError(
            "command line", flag, f"expected a number {'>' if positive else '>='} 0, got {text}"
        )
    return value


def date_flag(flag: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError("command line", flag, f"expected a date YYYY-MM-DD, got {text!r}") from None

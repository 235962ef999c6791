"""What every ``trimtab`` command shares: the consoles, the common options, one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from trimtab.cli.flag_hints import error_line
from trimtab.errors import ConfigError, TrimtabError
from trimtab.limits import MAX_VALUE, interval
from trimtab.redaction import redact

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
    err.print(f"[bold red]error:[/] {redact(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def print_traceback(error: BaseException) -> None:
    """``error``'s traceback (its causes included) on stderr, credentials redacted (``--debug``)."""
    sys.stderr.write(redact("".join(traceback.format_exception(error))))
    sys.stderr.flush()


def guarded(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action``, turning every failure into one line and an exit code; with ``debug`` the traceback
    comes first. Both are printed through :func:`trimtab.redaction.redact`, never by Python itself. A
    Ctrl-C passes through: typer ends the command with 130 and :func:`trimtab.cli.console.main` says so."""
    try:
        return action()
    except TrimtabError as error:  # a parameter it mentions is spelled as its flag
        if debug:
            print_traceback(error)
        fail(error_line(error), error.exit_code)
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # a bug or an unexpected failure of a library: still one line
        if debug:
            print_traceback(error)
            fail(f"unexpected {type(error).__name__}: {error}", 1)
        fail(f"unexpected {type(error).__name__}: {error} (run again with --debug for the traceback)", 1)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def emit_json_line(data: Any) -> None:
    """One JSON object on one line, flushed at once: an event of a stream (``run --json``)."""
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


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


def decimal_flag(
    flag: str,
    text: str,
    *,
    positive: bool = False,
    at_most: Decimal = MAX_VALUE,
    below: Decimal | None = None,
) -> Decimal:
    """``text`` as a number from 0 (above 0 with ``positive``) up to ``at_most`` (:data:`MAX_VALUE`
    unless given), or up to but not including ``below``."""
    shown = text if len(text) <= 40 else text[:39] + "…"
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError("command line", flag, f"expected a number, got {shown!r}") from None
    high = below if below is not None else at_most
    if (
        not value.is_finite()
        or value < 0
        or (positive and value == 0)
        or (value >= high if below is not None else value > high)
    ):
        allowed = interval(Decimal(0), high, above=positive, below=below is not None)
        raise ConfigError("command line", flag, f"expected a number in {allowed}, got {shown}")
    return value


def date_flag(flag: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError("command line", flag, f"expected a date YYYY-MM-DD, got {text!r}") from None

"""Reading a YAML config file into a :class:`Config`, with one-line errors that name the key.

Every problem becomes a :class:`ConfigError` such as
``trimtab.yaml: portfolio.target_weights: weights sum to 95, they must sum to 100``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from trimtab.config.fields import shown
from trimtab.config.models import Config
from trimtab.config.safe_yaml import FileRefused, load_yaml, read_limited
from trimtab.errors import ConfigError


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse YAML text that must hold a mapping at its top."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(source, where, f"not valid YAML: {_cut(problem)}") from None
    if data is None:
        raise ConfigError(
            source, "", "the file is empty; expected a config with at least portfolio.target_weights"
        )
    if not isinstance(data, dict):
        raise ConfigError(source, "", f"expected a mapping of sections at the top, got {type(data).__name__}")
    return data


def load_config(path: Path) -> Config:
    """Read and validate the config file at ``path``."""
    source = str(path)
    if not path.exists():
        raise ConfigError(source, "", "no such file (create one with `trimtab init`)")
    try:
        text = read_limited(path).decode("utf-8")
    except FileRefused as refused:
        raise ConfigError(source, "", str(refused)) from None
    except UnicodeDecodeError:
        raise ConfigError(source, "", "not a UTF-8 text file; expected a YAML file") from None
    except OSError as error:
        raise ConfigError(source, "", f"cannot read the file ({error.strerror or error})") from None
    return config_from_mapping(parse_yaml(text, source), source)


def config_from_mapping(data: dict[str, Any], source: str) -> Config:
    """Validate an already-parsed mapping; ``source`` names it in errors."""
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        first = problems[0]
        message = _cut(describe_problem(first))
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        raise ConfigError(source, dotted(first["loc"]), message) from None


def dotted(loc: tuple[int | str, ...]) -> str:
    """``('portfolio', 'target_weights')`` -> ``portfolio.target_weights``; list indexes as ``[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "[" in part or "function-" in part:  # pydantic's union branch tags carry no user meaning
            continue
        else:
            text += f".{part}" if text else part
    return text


#: The longest message one problem may give (a validator may quote the input).
MAX_MESSAGE_CHARS = 300


def _cut(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"


def describe_problem(problem: ErrorDetails) -> str:
    """One human sentence for one pydantic error."""
    kind = problem["type"]
    got = problem.get("input")
    ctx = problem.get("ctx") or {}
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(problem["loc"])
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type", "finite_number"):
        return f"expected a number, got {shown(got)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {shown(got)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        symbol = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[
            kind
        ]
        bound = next(iter(ctx.values()))
        return f"expected a number {symbol} {bound}, got {shown(got)}"
    if kind in ("enum", "literal_error"):
        return f"expected {ctx.get('expected', 'one of the allowed values')}, got {shown(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys, got {shown(got)}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {shown(got)}"
    if kind in ("too_short", "too_long"):
        return f"expected a list of {_length_phrase(ctx)}, got {shown(got)}"
    if kind in ("string_type",):
        return f"expected text, got {shown(got)}"
    if kind == "date_from_datetime_parsing" or kind.startswith("date"):
        return f"expected a date YYYY-MM-DD, got {shown(got)}"
    if kind == "value_error":
        return str(problem["msg"]).removeprefix("Value error, ")
    return str(problem["msg"])


def _length_phrase(ctx: dict[str, Any]) -> str:
    low, high = ctx.get("min_length"), ctx.get("max_length")
    if low is not None and high is not None and low == high:
        return f"exactly {low} items"
    if low is not None:
        return f"at least {low} item{'s' if low != 1 else ''}"
    return f"at most {high} items"


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(loc[:-1])
    hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if hint:
        return f"unknown key {key!r}; did you mean {hint[0]!r}?"
    return f"unknown key {key!r}; expected one of: {', '.join(sorted(allowed))}"


def _allowed_keys(parent: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found by walking ``parent`` from :class:`Config`."""
    model: type[BaseModel] = Config
    for part in parent:
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        nested = _model_in(field.annotation)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None

"""A YAML reader that answers every file in bounded time and memory.

PyYAML's safe loader still lets a small file cost without limit: aliases that nest aliases ("billion
laughs": 300 bytes that expand to millions of values), nesting deep enough to blow Python's stack,
a recursive alias, or a device such as ``/dev/urandom`` given as the file. This one:

- reads at most :data:`MAX_CONFIG_BYTES` (1 MiB; a config is a few hundred bytes), and only from a
  regular file or a pipe;
- refuses nesting deeper than :data:`MAX_DEPTH` levels and documents that expand, through aliases, to
  more than :data:`MAX_VALUES` values (counted while composing, before anything is built);
- refuses merge keys (``<<: *defaults``): YAML 1.2 dropped them, and they silently override keys, which
  defeats the duplicate-key check; an alias of a whole value (``*defaults``) still works;
- refuses duplicate keys (PyYAML silently keeps the last one).

Every refusal is a ``yaml.YAMLError`` whose ``problem`` is one sentence and whose ``problem_mark``
gives the line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from trimtab.config.fields import shown

MAX_CONFIG_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_VALUES = 100_000
MERGE_TAG = "tag:yaml.org,2002:merge"


class FileRefused(Exception):
    """The path is not something a config can be read from (too large, a device, a folder)."""


def read_limited(path: Path, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; :class:`FileRefused` for anything larger, and
    for anything but a regular file or a pipe. ``OSError`` when it cannot be opened."""
    if path.is_dir():  # open() would fail with a less helpful "Is a directory"
        raise FileRefused("is a directory; expected a YAML file")
    with path.open("rb") as stream:  # open first, then look: the file cannot change in between
        mode = os.fstat(stream.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise FileRefused("is a directory; expected a YAML file")
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise FileRefused("is not a regular file (a device or a socket); expected a YAML file")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"is larger than {_size(limit)}; a config file is a few hundred bytes")
    return data


def _size(limit: int) -> str:
    return f"{limit / (1 << 20):g} MiB" if limit >= 1 << 20 else f"{limit:,} bytes"


class LimitedLoader(yaml.SafeLoader):
    """:class:`yaml.SafeLoader` with the limits above (one instance per document)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0
        # The expanded size of every complete node, by id: an alias costs what its anchor holds.
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # the anchor is still open: the alias is inside the value it names
                raise ComposerError(
                    None,
                    None,
                    f"alias *{event.anchor} refers to the value that contains it",
                    event.start_mark,
                )
            self._count(size, event.start_mark)
            return node
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            before = self._values
            node = super().compose_node(parent, index)
            self._count(1, mark)
            self._sizes[id(node)] = self._values - before
            return node
        finally:
            self._depth -= 1

    def _count(self, values: int, mark: yaml.Mark) -> None:
        self._values += values
        if self._values > MAX_VALUES:
            raise ComposerError(
                None,
                None,
                f"the document holds more than {MAX_VALUES:,} values, counting each alias as the values it repeats",
                mark,
            )


def _construct_mapping(loader: LimitedLoader, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == MERGE_TAG:
            raise ConstructorError(
                None,
                None,
                "merge keys (<<) are not supported; write the keys out, or alias a whole value (*name)",
                key_node.start_mark,
            )
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, list | dict | set):
            raise ConstructorError(None, None, "a key must be text or a number", key_node.start_mark)
        if key in seen:
            raise ConstructorError(None, None, f"key {shown(key)} appears twice (line {line})")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _scalar_or_refuse(what: str, construct: Any) -> Any:
    """``construct`` with its ValueError (a date 2024-13-45, a 5,000-digit number) as a YAML error."""

    def constructor(loader: LimitedLoader, node: ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            raise ConstructorError(
                None, None, f"{shown(node.value)} is not a valid {what}", node.start_mark
            ) from None

    return constructor


LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LimitedLoader.add_constructor(
    "tag:yaml.org,2002:int", _scalar_or_refuse("whole number", yaml.SafeLoader.construct_yaml_int)
)
LimitedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _scalar_or_refuse("date", yaml.SafeLoader.construct_yaml_timestamp)
)


def load_yaml(text: str) -> Any:
    """The document in ``text``, within the limits above (``yaml.YAMLError`` otherwise)."""
    return yaml.load(text, Loader=LimitedLoader)

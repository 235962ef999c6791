"""HTML built in Python, escaped by construction: text given to :func:`tag` is always escaped, only
:class:`Markup` made by this module passes through as it is. No template engine: the pages are small,
typed like the rest of the code, and checked by mypy.

>>> str(tag("td", "<b>", data_field="value", class_="num"))
'<td data-field="value" class="num">&lt;b&gt;</td>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from trimtab.model.money import fmt

VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})


class Markup(str):
    """Text that is already HTML (made by :func:`tag`, :func:`join` or :func:`raw`)."""

    __slots__ = ()


def raw(text: str) -> Markup:
    """``text`` as HTML, unescaped: only for constant text written in this package."""
    return Markup(text)


def escape(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _children(children: Iterable[object]) -> str:
    parts: list[str] = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, str | int | Decimal):
            parts.append(escape(child))
        else:
            parts.append(_children(child))  # type: ignore[arg-type]
    return "".join(parts)


def _attributes(attrs: dict[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f" {name}" if value is True else f' {name}="{escape(value)}"')
    return "".join(parts)


def tag(name: str, /, *children: object, **attrs: object) -> Markup:
    """``<name attrs>children</name>``: ``class_`` is ``class``, ``data_field`` is ``data-field``, a
    True value is a bare attribute, None or False leaves it out; children are escaped unless Markup,
    lists are flattened, None is nothing."""
    opening = f"<{name}{_attributes(attrs)}>"
    if name in VOID:
        return Markup(opening)
    return Markup(f"{opening}{_children(children)}</{name}>")


def join(*children: object) -> Markup:
    return Markup(_children(children))


# -- numbers and times as the pages show them ---------------------------------------------------
#
# As the terminal's tables show them (``trimtab status``): values of money with 2 decimals, grouped;
# weights and targets with 2 decimals and ``%``; drifts in signed percentage points; amounts (coin
# quantities) and prices as exact as the market gives them. A cell that shows a rounded number keeps
# the document's exact string in its ``data-value``.

MINUS = "\u2212"  # a typographic minus: the width of a plus, read as minus by screen readers


def number(text: str | None) -> str:
    """An exact decimal string (an amount, a price) with its integer digits grouped by commas, every
    other digit kept: ``"20102.55"`` -> ``"20,102.55"``, ``"0.09053"`` stays; None -> ``"—"``."""
    if text is None:
        return "—"
    return fmt(Decimal(text), thousands=True)


def money(value: Decimal | str | None, places: int = 2) -> str:
    """A value of money for reading: fixed places, grouped (``"4496.084119174"`` -> ``"4,496.08"``);
    None -> ``"—"``."""
    if value is None:
        return "—"
    return fmt(Decimal(value), places, fixed=True, thousands=True)


def weight(text: str | Decimal) -> str:
    """A weight or target in percent: ``"10.6714"`` -> ``"10.67%"``."""
    return f"{fmt(Decimal(text), 2, fixed=True)}%"


def points(text: str | Decimal) -> str:
    """A drift in signed percentage points: ``"7.0997"`` -> ``"+7.10 pts"``, ``"-5.0026"`` ->
    ``"−5.00 pts"``; a tiny one keeps its side (``"−0.00 pts"``), as the terminal writes it."""
    signed = fmt(Decimal(text), 2, fixed=True, sign=True, negative_zero=True)
    return f"{signed.replace('-', MINUS)} pts"


def when(moment: datetime | None, *, compact: bool = False) -> Markup:
    """``<time datetime="ISO">2025-01-01 12:00 UTC</time>`` (``compact``: without " UTC", for tables
    whose caption says so), the seconds in its title; or a dash."""
    if moment is None:
        return Markup("—")
    moment = moment.astimezone(UTC)
    shown = moment.strftime("%Y-%m-%d %H:%M" if compact else "%Y-%m-%d %H:%M UTC")
    return tag("time", shown, datetime=moment.isoformat(), title=moment.strftime("%Y-%m-%d %H:%M:%S UTC"))

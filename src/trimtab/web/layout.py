"""The frame of every page: head (one stylesheet, one script, both from ``/static``), the navigation,
the message area ``#flash``, ``<main id="content">`` and the two dialogs the actions use.

The dialogs and ``#flash`` sit outside ``<main>``: the live update (``dashboard.js``) replaces the
main content with the page's fragment (``?fragment=1``) and leaves them alone.
"""

from __future__ import annotations

from collections.abc import Collection

from trimtab import __version__
from trimtab.web.html import Markup, join, raw, tag

STATIC = "/static"
# Column headings over numbers: aligned right like their cells.
NUMERIC = frozenset(
    {
        "Amount",
        "Price",
        "Value",
        "Weight",
        "Target",
        "Drift",
        "Orders",
        "Traded",
        "Fees",
        "Value after",
        "Value before",
        "Weight before",
        "Weight after",
        "Amount before",
        "Amount after",
        "Limit price",
        "Filled",
        "Average price",
        "Cost",
        "Units",
        "Unrealized loss",
        "Tax saved",
        "Round-trip fees",
        "Size",
        "Fee",
    }
)


def asset(name: str) -> str:
    return f"{STATIC}/{name}?v={__version__}"


def page(title: str, content: Markup, *, writes: bool, live: bool = True) -> str:
    """A whole page around ``content`` (the inside of ``<main>``)."""
    head = tag(
        "head",
        tag("meta", charset="utf-8"),
        tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
        tag("meta", name="color-scheme", content="light dark"),
        tag("title", f"{title} · trimtab"),
        tag("link", rel="stylesheet", href=asset("dashboard.css")),
        tag("link", rel="icon", href=asset("favicon.svg"), type="image/svg+xml"),
        tag("script", src=asset("dashboard.js"), defer=True),
    )
    nav = tag(
        "header",
        tag(
            "nav",
            tag("a", "trimtab", href="/", class_="brand"),
            tag("a", "Portfolios", href="/"),
            tag("a", "Backtests", href="/backtests"),
            tag("a", "API", href="/docs"),
            aria_label="Main",
        ),
        class_="top",
    )
    body = tag(
        "body",
        tag("a", "Skip to the content", href="#content", class_="skip"),
        nav,
        tag("div", id="flash", role="status", aria_live="polite"),
        tag("main", content, id="content", data_live="on" if live else "off"),
        _dialogs(),
        tag(
            "footer",
            f"trimtab {__version__} · ",
            tag("span", "updates live", id="live-note"),
            " · not investment or tax advice",
        ),
        data_writes="on" if writes else "off",
    )
    return "<!doctype html>\n" + tag("html", head, body, lang="en")


def _dialogs() -> Markup:
    confirm = _dialog("confirm", "Are you sure?", ("Confirm", "confirm"), tag("p", "", id="confirm-text"))
    token = _dialog(
        "token",
        "API token",
        ("Save", "save"),
        tag(
            "p",
            "The server's TRIMTAB_WEB_TOKEN. It is kept in this browser tab's session only "
            "(sessionStorage) and sent with each action.",
        ),
        tag(
            "label",
            "Token ",
            tag(
                "input", name="token", type="password", autocomplete="off", required=True, spellcheck="false"
            ),
        ),
    )
    return join(confirm, token)


def _dialog(name: str, title: str, action: tuple[str, str], *content: Markup) -> Markup:
    """``<dialog id=name>`` with its title, ``content`` and the buttons Cancel and ``action`` (label,
    value): the form closes the dialog with the button's value (``method="dialog"``)."""
    label, value = action
    buttons = tag(
        "div",
        tag("button", "Cancel", value="cancel", type="submit", formnovalidate=True),
        tag("button", label, value=value, type="submit", class_="primary"),
        class_="buttons",
    )
    form = tag("form", tag("h2", title, id=f"{name}-title"), *content, buttons, method="dialog")
    return tag("dialog", form, id=name, aria_labelledby=f"{name}-title")


def not_found(message: str, heading: str = "Not found") -> Markup:
    return join(
        tag("h1", heading),
        tag("p", message, class_="error", id="not-found"),
        tag("p", tag("a", "All portfolios", href="/")),
    )


def section(heading: str, *content: object, id: str, class_: str | None = None) -> Markup:
    return tag(
        "section",
        tag("h2", heading, id=f"{id}-heading"),
        *content,
        id=id,
        aria_labelledby=f"{id}-heading",
        class_=class_,
    )


def table(
    table_id: str,
    caption: str,
    head: list[str],
    rows: list[Markup],
    *,
    empty: str,
    secondary: Collection[str] = (),
    cards: bool = False,
) -> Markup:
    """A real table: a caption, ``<th scope="col">`` headings, and a scrolling wrapper for phones (its
    edges shaded while there is more to scroll to). ``secondary``: the headings of the columns a phone
    leaves out (their cells carry the class ``secondary`` too); ``cards``: on a phone each row is a card
    whose cells are labelled by their ``data-label``."""
    if not rows:
        return tag("p", empty, class_="empty", data_empty=table_id)

    def heading(text: str) -> Markup:
        classes = " ".join(
            c for c in ("num" if text in NUMERIC else "", SECONDARY if text in secondary else "") if c
        )
        return tag("th", text, scope="col", class_=classes or None)

    return tag(
        "div",
        tag(
            "table",
            tag("caption", caption),
            tag("thead", tag("tr", [heading(h) for h in head])),
            tag("tbody", rows),
            id=table_id,
            class_="cards" if cards else None,
        ),
        class_="scroll",
        tabindex="0",
        role="region",
        aria_label=caption,
    )


SECONDARY = "secondary"


def num_cell(shown: object, exact: str, *, field: str | None = None, extra: str | None = None) -> Markup:
    """A number's cell: ``shown`` as read, the exact decimal string in ``data-value`` (what the tests and
    scripts compare), ``data-field`` when given, aligned right (``extra``: more classes)."""
    return tag("td", shown, data_field=field, data_value=exact, class_=cls("num", extra))


def cls(*names: str | None) -> str | None:
    """The class attribute of the names given (None and empty ones left out)."""
    return " ".join(n for n in names if n) or None


SPACER = raw(" · ")

"""The portfolio page's "Held back" section: each asset the crash guard holds back (not bought since it
fell more than ``guards.crash_percent`` in 24 hours; frozen in every run), why and since when, with a "Resume buying" button.

The button is an action like the others (``dashboard.js``: confirm, the token, then
``POST /api/portfolios/{name}/guards/{asset}/resume``); its ``data-action`` is ``resume-guard`` and its
``data-asset`` the asset. Nothing is shown when no asset is held back.
"""

from __future__ import annotations

from collections.abc import Sequence

from trimtab.ledger.records import GuardHold
from trimtab.web.html import Markup, tag, when
from trimtab.web.layout import section, table

RESUME_ACTION = "resume-guard"


def guards_section(portfolio: str, holds: Sequence[GuardHold], *, writes: bool) -> Markup | None:
    """The held-back assets of ``portfolio`` as a table with a button each; None when none is held."""
    if not holds:
        return None
    rows = [
        tag(
            "tr",
            tag("th", hold.asset, scope="row"),
            tag("td", hold.reason, data_field="reason", data_label="Reason", class_="reason"),
            tag("td", when(hold.since), data_field="since", data_label="Since"),
            tag(
                "td",
                tag(
                    "button",
                    "Resume buying",
                    type="button",
                    data_action=RESUME_ACTION,
                    data_portfolio=portfolio,
                    data_asset=hold.asset,
                    aria_label=f"Resume buying {hold.asset}",
                    disabled=None if writes else True,
                ),
            ),
            data_asset=hold.asset,
        )
        for hold in holds
    ]
    return section(
        "Held back by the crash guard",
        tag(
            "p",
            "These assets fell more than the crash guard allows in 24 hours: runs leave them as they "
            "are (the rest is rebalanced around them) until you resume buying them.",
            class_="muted",
        ),
        table(
            "guard-holds",
            "Assets not bought until resumed",
            ["Asset", "Reason", "Since", "Action"],
            rows,
            empty="",
            cards=True,  # on a phone each hold is a card: the reason wraps, the button stays in view
        ),
        id="guards-section",
        class_="wide",
    )

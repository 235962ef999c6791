"""The ``notify:`` section: where the bot tells its owner what it did, and about which events.

``urls`` are apprise URLs (``tgram://``, ``mailto://``, ``ntfy://``, ``discord://``, ``slack://``,
``json://`` ...); more may come from the ``TRIMTAB_NOTIFY_URLS`` environment variable, the better
place for them, since a notification URL usually holds a token. Only their shape is checked here (text,
in a list); whether apprise knows a URL's service is checked when a notifier is built (apprise is a
heavy import, and loading a config must stay light). A URL is never echoed in an error: it may hold a
secret.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from trimtab.config.fields import Frozen

#: Where notification URLs may also come from (space- or comma-separated), added to ``notify.urls``.
URLS_VARIABLE = "TRIMTAB_NOTIFY_URLS"


class NotifyEvent(StrEnum):
    """What a notification may be about."""

    REBALANCED = "rebalanced"  # a run placed orders (or planned them, in a dry run)
    SKIPPED = "skipped"  # a check found nothing to do (at most one message an hour)
    FAILED = "failed"  # a run failed; the next check tries again
    KILL_SWITCH = "kill_switch"  # too many failed runs in a row: the bot stopped trading
    GUARD = "guard"  # a guard stopped a run: a price moved, a depegged quote, stale prices, a mismatch
    FROZEN = "frozen"  # a guard froze an asset: its market is halted, or it crashed and is held back


#: Everything but ``skipped``: a threshold bot checking hourly would otherwise message every hour.
DEFAULT_EVENTS = (
    NotifyEvent.REBALANCED,
    NotifyEvent.FAILED,
    NotifyEvent.KILL_SWITCH,
    NotifyEvent.GUARD,
    NotifyEvent.FROZEN,
)

_SEPARATORS = re.compile(r"[\s,]+")


def split_urls(text: str) -> tuple[str, ...]:
    """The URLs of a space- or comma-separated list (``TRIMTAB_NOTIFY_URLS``)."""
    return tuple(part for part in _SEPARATORS.split(text) if part)


class Notify(Frozen):
    """``notify: {urls: [...], events: [...]}``; without URLs (here or in the environment) nothing is sent."""

    # repr=False: a URL may hold a token, and a config's repr may end up in a log or a traceback.
    urls: tuple[str, ...] = Field(default=(), repr=False)
    events: tuple[NotifyEvent, ...] = DEFAULT_EVENTS

    @field_validator("urls", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> tuple[str, ...]:
        # Every message names positions and types only: the value may be a secret.
        if value is None:
            return ()
        if isinstance(value, str):
            return split_urls(value)
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list of apprise URLs, got {type(value).__name__} (not shown)")
        urls: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ValueError(
                    f"item [{index}] is {type(item).__name__}, expected an apprise URL such as ntfy://my-topic"
                )
            if item.strip():
                urls.append(item.strip())
        return tuple(urls)

    @field_validator("events", mode="before")
    @classmethod
    def _events(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = split_urls(value)
        return value

    @field_validator("events")
    @classmethod
    def _no_repeats(cls, events: tuple[NotifyEvent, ...]) -> tuple[NotifyEvent, ...]:
        return tuple(dict.fromkeys(events))

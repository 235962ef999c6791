"""The bot's clock: the system's UTC time, or a fixed time for reproducible paper runs.

``TRIMTAB_NOW=2026-11-25T00:58:00Z`` stops the paper exchange's clock at that moment: every command then
decides, plans and records as if it ran then (the README's examples are reproduced that way). It is
refused with a real exchange, whose orders happen at the exchange's own time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from trimtab.errors import ConfigError

CLOCK_VARIABLE = "TRIMTAB_NOW"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def fixed_time(text: str) -> datetime:
    """``text`` as an aware UTC time: ISO 8601 with ``T`` or a space, ``Z``/an offset, or no zone (UTC)."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ConfigError(
            CLOCK_VARIABLE, "", f"expected an ISO 8601 time such as 2026-11-25T00:58:00Z, got {text[:40]!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def environment_clock(is_paper: bool, environ: Mapping[str, str] | None = None) -> Clock | None:
    """The fixed clock ``TRIMTAB_NOW`` asks for (None when unset); only the paper exchange may have one."""
    text = (os.environ if environ is None else environ).get(CLOCK_VARIABLE, "")
    if not text.strip():
        return None
    if not is_paper:
        raise ConfigError(
            CLOCK_VARIABLE, "", "a fixed clock works with the paper exchange only; unset it to trade for real"
        )
    moment = fixed_time(text)
    return lambda: moment

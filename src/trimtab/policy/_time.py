"""Time helpers shared by the policies: UTC validation, weekday names, one way to print a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

WEEKDAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
"""English day names indexed like :meth:`datetime.weekday` (0 = Monday)."""

WEEKDAY_ABBREVIATIONS: tuple[str, ...] = tuple(name[:3] for name in WEEKDAY_NAMES)
"""``Mon`` .. ``Sun``, indexed like :data:`WEEKDAY_NAMES`."""


def require_utc(value: datetime, name: str) -> datetime:
    """``value`` as a UTC datetime; ValueError when it is naive.

    An aware datetime in another zone names one instant unambiguously, so it is converted rather
    than rejected; a naive one could mean anything and would silently shift schedules by hours.
    """
    if value.tzinfo is UTC:  # the common case, kept cheap because backtests call this at every bar
        return value
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def require_decision_times(now: datetime, last_rebalance: datetime | None) -> None:
    """Validate the two times every ``decide`` receives (see :func:`require_utc`)."""
    require_utc(now, "now")
    if last_rebalance is not None:
        require_utc(last_rebalance, "last_rebalance")


def format_moment(moment: datetime) -> str:
    """``Mon 2026-11-23 12:00 UTC``. Day names come from our table, not ``%a``, which follows the locale."""
    return f"{WEEKDAY_ABBREVIATIONS[moment.weekday()]} {moment:%Y-%m-%d %H:%M} UTC"


def require_positive_interval(value: timedelta, name: str) -> None:
    """ValueError unless ``value`` is longer than zero: a zero interval would make a bot loop spin."""
    if value <= timedelta(0):
        raise ValueError(f"{name} must be longer than zero, got {value}")

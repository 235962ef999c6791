"""Deterministic client order ids: the same run and leg always give the same id.

Binance accepts ``^[.A-Z:/a-z0-9_-]{1,36}$``; ours are ``tt-<run>-<yymmddHHMMSS>-<leg>``, where the
timestamp is the run's start, so a ledger that was reset cannot collide with an older run's orders.
"""

from __future__ import annotations

from datetime import datetime


def client_order_id(run_id: int, run_started: datetime, leg: str | int) -> str:
    """The client order id of one leg of one run."""
    return f"tt-{run_id}-{run_started:%y%m%d%H%M%S}-{leg}"

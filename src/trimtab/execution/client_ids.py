"""Deterministic client order ids: the same run and leg always give the same id.

Binance accepts ``^[.A-Z:/a-z0-9_-]{1,36}$``; ours are ``tt-<run>-<yymmddHHMMSS>-<leg>``, where the
timestamp is the run's start, so a ledger that was reset cannot collide with an older run's orders.
Buys planned again after the sells carry ``b<n>`` as their leg, so a resumed run can tell the two apart.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

REPLANNED_PREFIX = "b"


def client_order_id(run_id: int, run_started: datetime, leg: str | int) -> str:
    """The client order id of one leg of one run."""
    return f"tt-{run_id}-{_stamp(run_started, run_started.utcoffset())}-{leg}"


@lru_cache(maxsize=16)
def _stamp(moment: datetime, offset: object) -> str:
    # Every leg of a run formats the same start time, and strftime costs more than the rest of the id.
    # ``offset`` is part of the key: equal instants in different zones have different wall times.
    return f"{moment:%y%m%d%H%M%S}"


def replanned_buy_id(run_id: int, run_started: datetime, index: int) -> str:
    """The client order id of the ``index``-th buy planned again after the sells."""
    return client_order_id(run_id, run_started, f"{REPLANNED_PREFIX}{index}")


def is_replanned(client_order_id: str) -> bool:
    """True for the id of a buy planned again after the sells."""
    return client_order_id.rsplit("-", 1)[-1].startswith(REPLANNED_PREFIX)

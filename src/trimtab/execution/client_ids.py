"""Deterministic client order ids: the same run and leg always give the same id.

Binance accepts ``^[.A-Z:/a-z0-9_-]{1,36}$``; ours are ``tt-<run>-<yymmddHHMMSS>-<leg>``, where the
timestamp is the run's start, so a ledger that was reset cannot collide with an older run's orders.
Buys planned again after the sells carry ``b<n>`` as their leg, so a resumed run can tell the two apart;
the top-up passes that spend the cash the buys left (see :mod:`trimtab.execution.executor`) continue that
numbering and name their pass: ``b<n>t<pass>`` (``b7t2``: the 8th buy planned after the first plan, placed
by the second top-up pass), so a resumed run knows how many passes were made.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

REPLANNED_PREFIX = "b"
TOP_UP_MARK = "t"


def client_order_id(run_id: int, run_started: datetime, leg: str | int) -> str:
    """The client order id of one leg of one run."""
    return f"tt-{run_id}-{_stamp(run_started, run_started.utcoffset())}-{leg}"


@lru_cache(maxsize=16)
def _stamp(moment: datetime, offset: object) -> str:
    # Every leg of a run formats the same start time, and strftime costs more than the rest of the id.
    # ``offset`` is part of the key: equal instants in different zones have different wall times.
    return f"{moment:%y%m%d%H%M%S}"


def replanned_buy_id(run_id: int, run_started: datetime, index: int, top_up: int = 0) -> str:
    """The client order id of the ``index``-th buy planned again after the first plan: by the buy leg
    (``top_up`` 0) or by top-up pass ``top_up`` (1, 2, ...)."""
    pass_mark = f"{TOP_UP_MARK}{top_up}" if top_up else ""
    return client_order_id(run_id, run_started, f"{REPLANNED_PREFIX}{index}{pass_mark}")


def is_replanned(client_order_id: str) -> bool:
    """True for the id of a buy planned again after the sells."""
    return client_order_id.rsplit("-", 1)[-1].startswith(REPLANNED_PREFIX)


def replanned_index(client_order_id: str) -> int:
    """The ``index`` of a replanned buy's id (see :func:`replanned_buy_id`); -1 for any other id."""
    if not is_replanned(client_order_id):
        return -1
    leg = client_order_id.rsplit("-", 1)[-1][len(REPLANNED_PREFIX) :]
    return int(leg.partition(TOP_UP_MARK)[0])


def top_up_pass(client_order_id: str) -> int:
    """The top-up pass that placed the order of ``client_order_id``: 0 for every order but a top-up."""
    if not is_replanned(client_order_id):
        return 0
    _, mark, number = client_order_id.rsplit("-", 1)[-1].partition(TOP_UP_MARK)
    return int(number) if mark else 0

"""Client order ids: deterministic, in Binance's alphabet, the run's start in its own wall time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from trimtab.execution.client_ids import (
    client_order_id,
    is_replanned,
    replanned_buy_id,
    replanned_index,
    top_up_pass,
)

BINANCE_IDS = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")


def test_an_id_names_the_run_its_start_and_the_leg() -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert client_order_id(7, started, 3) == "tt-7-260102030405-3"
    assert replanned_buy_id(7, started, 0) == "tt-7-260102030405-b0"
    assert is_replanned(replanned_buy_id(7, started, 0))
    assert not is_replanned(client_order_id(7, started, 3))
    assert BINANCE_IDS.match(client_order_id(10**9, started, 99))


def test_a_top_up_id_continues_the_buys_numbering_and_names_its_pass() -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    top_up = replanned_buy_id(7, started, 12, top_up=3)
    assert top_up == "tt-7-260102030405-b12t3"
    assert is_replanned(top_up)
    assert (replanned_index(top_up), top_up_pass(top_up)) == (12, 3)
    assert (
        replanned_index(replanned_buy_id(7, started, 4)),
        top_up_pass(replanned_buy_id(7, started, 4)),
    ) == (4, 0)
    assert (replanned_index(client_order_id(7, started, 3)), top_up_pass(client_order_id(7, started, 3))) == (
        -1,
        0,
    )
    assert BINANCE_IDS.match(replanned_buy_id(10**9, started, 999, top_up=4))


def test_the_same_instant_in_another_zone_is_written_in_that_zones_wall_time() -> None:
    # The start time is formatted once per run and remembered; equal instants in different zones compare
    # equal, so the remembered text must not be shared between them.
    utc = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    berlin = utc.astimezone(timezone(timedelta(hours=1)))
    assert utc == berlin
    assert client_order_id(1, utc, 0) == "tt-1-260102030405-0"
    assert client_order_id(1, berlin, 0) == "tt-1-260102040405-0"
    assert client_order_id(1, utc, 1) == "tt-1-260102030405-1"

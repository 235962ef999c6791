"""The PostgreSQL advisory lock that lets one process at a time drive a portfolio of a shared ledger."""

from __future__ import annotations

import subprocess
import sys

import pytest
from postgres import PostgresServer

from trimtab.errors import LedgerError, PortfolioBusy
from trimtab.ledger.driver_lock import DatabaseLock

pytestmark = pytest.mark.postgresql

HOLD = """
import sys, time
from trimtab.ledger.driver_lock import DatabaseLock
lock = DatabaseLock(sys.argv[1], sys.argv[2], "serve")
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_one_holder_per_schema_and_the_next_learns_who(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    with DatabaseLock(url, "alice", "serve") as first:
        assert first.still_held()
        with pytest.raises(PortfolioBusy) as busy:
            DatabaseLock(url, "alice", "rebalance").acquire()
        message = str(busy.value)
        assert message.startswith("portfolio busy: `trimtab serve pid ")
        assert "holds the lock of schema alice in postgresql+psycopg://" in message
        with DatabaseLock(url, "bob", "serve"):  # another portfolio of the same database is free
            pass
    with DatabaseLock(url, "alice", "rebalance") as again:  # released: free for the next
        assert again.held


def test_a_killed_holder_frees_the_lock_at_once(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url, "carol"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PortfolioBusy, match=rf"pid {holder.pid} on "):
            DatabaseLock(url, "carol", "serve").acquire()
    finally:
        holder.kill()
        holder.wait()
    with DatabaseLock(url, "carol", "serve") as taken:  # the server ended the dead process's session
        assert taken.still_held()


def test_a_lost_session_is_noticed(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    lock = DatabaseLock(url, "dave", "serve")
    lock.acquire()
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as connection:  # an operator (or a server restart) ends the session
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'trimtab %'"
                )
            )
            connection.commit()
        engine.dispose()
        assert not lock.still_held()
    finally:
        lock.release()
    assert not lock.held


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(LedgerError) as failed:
        DatabaseLock("postgresql+psycopg://trimtab:secret@127.0.0.1:1/ledger", "erin", "serve").acquire()
    message = str(failed.value)
    assert message.startswith("ledger postgresql+psycopg://trimtab:***@127.0.0.1:1/ledger: cannot connect")
    assert "secret" not in message
    assert "\n" not in message

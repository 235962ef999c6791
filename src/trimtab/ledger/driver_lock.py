"""One process drives a portfolio at a time when its ledger is on PostgreSQL: an advisory lock.

Several ``trimtab serve`` processes, on one machine or several, may share one PostgreSQL database, each
portfolio in its own schema. The right to drive a portfolio is PostgreSQL's session-level advisory lock
``pg_try_advisory_lock(hashtext('trimtab'), hashtext(<schema>))``, held on a connection of its own for
as long as the process drives the portfolio.

Why this shape:

- The server releases a session's advisory locks when the session ends, however it ends: a driver killed
  with ``kill -9`` has its socket closed by its operating system, and the server frees its locks at once.
  Nothing decides from a pid or a clock whether the holder is alive, and no lease has to be renewed.
- A machine that vanishes (power, network) cannot close its socket. The lock's connection turns on TCP
  keepalives on both ends (:data:`KEEPALIVE`), so the server drops that session, and its locks, within
  about :data:`DEAD_PEER_SECONDS`.
- The holder names itself in ``application_name`` (``trimtab serve pid 4242 on host-a``), so the next
  process, and an operator's ``pg_stat_activity``, can tell who drives a portfolio.
- A driver whose lock connection breaks (the server restarted) has lost the lock: :meth:`still_held`
  says so, and the driver stops before its next run (``serve`` then waits as a standby like any other).
"""

from __future__ import annotations

import contextlib
import os
import socket
from datetime import UTC
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy.engine import make_url

from trimtab.errors import LedgerError, PortfolioBusy
from trimtab.ledger.postgres import connection_reason

if TYPE_CHECKING:
    import psycopg

#: The first half of every trimtab advisory lock's key (the second is the portfolio's schema).
LOCK_NAMESPACE = "trimtab"
#: Client and server TCP keepalives of the lock's connection (seconds, probes).
KEEPALIVE = {"idle": 5, "interval": 2, "count": 3}
#: How long the server takes, at most, to free the lock of a machine that vanished from the network.
DEAD_PEER_SECONDS = KEEPALIVE["idle"] + KEEPALIVE["interval"] * KEEPALIVE["count"]
CONNECT_TIMEOUT_SECONDS = 10

_HOLDER = """
SELECT a.application_name, host(a.client_addr), a.backend_start
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = (hashtext(%s)::bigint & 4294967295)
  AND l.objid::bigint = (hashtext(%s)::bigint & 4294967295)
LIMIT 1
"""


def _keep_alive_on_server(connection: psycopg.Connection[Any]) -> None:
    """The server's side of the keepalives, set once the lock is held (a standby's attempts, every few
    seconds, need none) and in one round trip: a vanished client's session, and its lock, end."""
    import psycopg

    settings = ", ".join(
        f"set_config('tcp_keepalives_{name}', '{int(value)}', false)" for name, value in KEEPALIVE.items()
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {settings}")
    except psycopg.Error:  # a server (or a pooler) that refuses them frees the lock when the socket closes
        pass


def process_driver(command: str) -> str:
    """This process as the driver of a portfolio: ``"<command> pid <pid> on <host>"``, e.g. ``serve pid
    4242 on worker-2``: each run records it (``runs.driver``), and the lock's session names itself after it
    (``trimtab serve pid 4242 on worker-2``), so an operator can tell which process drives what."""
    return f"{command} pid {os.getpid()} on {socket.gethostname()}"


class DatabaseLock:
    """The exclusive right to drive the portfolio of ``schema`` in the PostgreSQL database at ``url``.

    ``acquire`` raises :class:`~trimtab.errors.PortfolioBusy` (naming the holder) when another session
    holds it, and :class:`~trimtab.errors.LedgerError` when the server cannot be reached."""

    def __init__(self, url: str, schema: str, command: str) -> None:
        self.url = url
        self.schema = schema
        self.command = command
        self._connection: psycopg.Connection[Any] | None = None
        parsed = make_url(url)
        self._where = parsed.render_as_string(hide_password=True)
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    @property
    def held(self) -> bool:
        return self._connection is not None

    def acquire(self) -> None:
        if self._connection is not None:
            raise RuntimeError("the portfolio lock is already held by this object")
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (LOCK_NAMESPACE, self.schema)
                )
                row = cursor.fetchone()
                if row is None or not row[0]:
                    raise PortfolioBusy(self._busy_message(cursor))
        except BaseException:
            connection.close()
            raise
        _keep_alive_on_server(connection)
        self._connection = connection

    def still_held(self) -> bool:
        """Whether the lock's session is still alive (a broken connection has lost the lock)."""
        connection = self._connection
        if connection is None:
            return False
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return False
        return True

    def release(self) -> None:
        """Give the lock up by ending its session. Idempotent."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # the session is gone either way, and with it the lock
                connection.close()

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        try:
            connection = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name=f"trimtab {process_driver(self.command)}"[:63],
                keepalives=1,
                keepalives_idle=KEEPALIVE["idle"],
                keepalives_interval=KEEPALIVE["interval"],
                keepalives_count=KEEPALIVE["count"],
                tcp_user_timeout=DEAD_PEER_SECONDS * 1000,
            )
        except psycopg.Error as e:
            reason = connection_reason(str(e))
            raise LedgerError(f"ledger {self._where}: cannot connect to lock the portfolio: {reason}") from e
        return connection

    def _busy_message(self, cursor: psycopg.Cursor[Any]) -> str:
        cursor.execute(_HOLDER, (LOCK_NAMESPACE, self.schema))
        row = cursor.fetchone()
        if row is None:
            who = "another process (it has just let go: try again)"
        else:
            name, address, since = row
            details = [f"from {address}"] if address else []
            if since is not None:
                details.append(f"since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")
            who = (f"`{name}`" if name else "another session") + (
                f" ({', '.join(details)})" if details else ""
            )
        return (
            f"portfolio busy: {who} holds the lock of schema {self.schema} in {self._where}; "
            "nothing was done, try again when it has finished"
        )

"""A real PostgreSQL server for tests and benchmarks: the one ``TRIMTAB_TEST_POSTGRES_URL`` names, or a
throwaway cluster started from the server binaries (``initdb`` and ``pg_ctl`` on PATH or under
/usr/lib/postgresql/*/bin) in a temp dir on a free port of 127.0.0.1, removed when it stops.

Each test gets a database of its own (``new_database()``), so tests never see each other's rows and no
clean-up between them is needed. initdb refuses to run as root: as root the cluster is created and run by
the ``postgres`` system user (Debian's package makes it), and every OS user connects to it over TCP as the
database user ``trimtab`` with trust auth (loopback only)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

URL_VARIABLE = "TRIMTAB_TEST_POSTGRES_URL"
ROLE = "trimtab"
SERVER_USER = "postgres"  # the OS user that runs the cluster when we are root
FALLBACK_USER = "trimtab-pg"

# A throwaway cluster for tests: no durability (fsync off), room for many connections.
FAST = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")


class NoPostgres(Exception):
    """Neither a server URL nor the server binaries: the PostgreSQL tests skip with this reason."""


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: the highest /usr/lib/postgresql/<version>/bin, else
    the one on PATH, else None."""
    versions = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    if versions:
        newest = max(versions, key=lambda p: _version(Path(p).parent.parent.name))
        return Path(newest).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path and shutil.which("initdb") else None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://...`` (SQLAlchemy's spelling) as psycopg takes it: ``postgresql://...``."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


class PostgresServer:
    """One PostgreSQL server: started (``start()``) unless ``url`` names a running one; ``new_database()``
    gives the SQLAlchemy URL of a fresh empty database on it."""

    def __init__(self, url: str | None = None, *, durable: bool = False) -> None:
        self.url = url  # the admin URL (a database the user can connect to and CREATE DATABASE from)
        self.durable = durable  # fsync on: a benchmark's figures, not a test's speed
        self._dir: Path | None = None
        self._bin: Path | None = None
        self._owner: str | None = None

    @classmethod
    def from_environment(cls, variable: str = URL_VARIABLE, *, durable: bool = False) -> PostgresServer:
        """The server ``variable`` names, else a throwaway cluster (started); NoPostgres if neither."""
        url = os.environ.get(variable)
        server = cls(url, durable=durable)
        if url is None:
            server.start()
        return server

    def start(self) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise NoPostgres(
                f"no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin,"
                f" and {URL_VARIABLE} is not set"
            )
        self._bin = binaries
        self._owner = _cluster_user() if os.geteuid() == 0 else None
        # The cluster's user must reach the folder: as root, under /tmp (TMPDIR may be root's own).
        self._dir = Path(tempfile.mkdtemp(prefix="trimtab-pg-", dir="/tmp" if self._owner else None))
        try:
            if self._owner is not None:
                entry = pwd.getpwnam(self._owner)
                os.chown(self._dir, entry.pw_uid, entry.pw_gid)
            data = self._dir / "data"
            self._run("initdb", "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-sync")
            self.url = self._serve(data)
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            raise

    def _serve(self, data: Path) -> str:
        """Starts the server on a free port (another, should a process take that port first) and returns
        its admin URL."""
        assert self._dir is not None
        for attempt in range(3):
            port = free_port()
            options = [f"-c listen_addresses=127.0.0.1 -p {port} -k {self._dir}", "-c max_connections=200"]
            if not self.durable:
                options += FAST
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(data),
                    "-o",
                    " ".join(options),
                    "-l",
                    str(self._dir / "log"),
                    "-w",
                    "start",
                )
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            return f"postgresql+psycopg://{ROLE}@127.0.0.1:{port}/postgres"
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stops a cluster this object started (immediately: it is thrown away) and removes its folder."""
        if self._dir is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self._dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def new_database(self, prefix: str = "trimtab_test") -> str:
        """Creates a fresh empty database with a unique name and returns its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(libpq_url(self.admin_url), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        with psycopg.connect(libpq_url(self.admin_url), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    @property
    def throwaway(self) -> bool:
        """Whether this object started the cluster (and so throws it away with every database in it)."""
        return self._dir is not None

    @property
    def admin_url(self) -> str:
        if self.url is None:
            raise NoPostgres("the PostgreSQL server is not started")
        return self.url

    def _run(self, tool: str, *args: str) -> None:
        assert self._bin is not None
        command = [str(self._bin / tool), *args]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            log = self._dir / "log" if self._dir is not None else None
            tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")


def _cluster_user() -> str:
    """The OS user that owns and runs a cluster when we are root: ``postgres``, else a system user made once."""
    for name in (SERVER_USER, FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", FALLBACK_USER], check=True, capture_output=True
    )
    return FALLBACK_USER

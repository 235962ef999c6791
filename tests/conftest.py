"""Shared fixtures: a config file on disk with a drifted paper portfolio and a fixed clock; a real
PostgreSQL server for the tests that run against both ledger backends."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Test helpers shared across folders (e.g. ``flaky_venue``): importable as plain modules, since pytest runs
# with --import-mode=importlib and the test folders are not packages.
_SUPPORT = str(Path(__file__).parent / "support")
if _SUPPORT not in sys.path:
    sys.path.insert(0, _SUPPORT)

from configs import yaml_config  # noqa: E402  (found through the path above)
from postgres import NoPostgres, PostgresServer  # noqa: E402

# The seed portfolio, drifted since it was bought at the targets on 2024-01-01 (see tests/support/configs.py).
DRIFTED_CONFIG = yaml_config(risk={"max_single_trade_percent": 20, "slippage_tolerance": 0.5})


@pytest.fixture
def write_config(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Writes a config file. In a test that runs on both ledger backends (it uses ``ledger_backend``, e.g.
    through ``pytestmark = pytest.mark.usefixtures("ledger_backend")``), the PostgreSQL variant's configs
    also name its database as ``database_url``."""
    database = ""
    if "ledger_backend" in request.fixturenames and request.getfixturevalue("ledger_backend") == "postgresql":
        database = f"database_url: {request.getfixturevalue('ledger_url')}\n"

    def write(text: str = DRIFTED_CONFIG, name: str = "trimtab.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text + database, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run (TRIMTAB_TEST_POSTGRES_URL's, else a throwaway cluster);
    each test takes a fresh database from it with ``new_database()``."""
    try:
        server = PostgresServer.from_environment()
    except NoPostgres as missing:
        if os.environ.get("CI"):  # CI proves the PostgreSQL ledger: its absence there is a failure
            pytest.fail(f"CI needs PostgreSQL for these tests: {missing}")
        pytest.skip(f"PostgreSQL tests skipped: {missing}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def ledger_backend(request: pytest.FixtureRequest) -> str:
    """The ledger's database: every test using this (or ``ledger_url``) runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def ledger_url(ledger_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty ledger on ``ledger_backend``: a SQLite file in tmp_path (its folder not made
    yet), or a fresh PostgreSQL database (dropped afterwards on a server the tests did not start)."""
    if ledger_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'ledger.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield url
    if not server.throwaway:
        server.drop_database(url)

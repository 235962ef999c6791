"""The ledger on PostgreSQL, one schema per portfolio: created and migrated on first open (once, however many
processes open it at once), each connection working in its schema, two schemas of one database kept apart,
money and times exact, and the server's refusals as one line naming the database."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from postgres import PostgresServer, free_port
from sqlalchemy import Engine, create_engine, event, inspect

from trimtab.errors import LedgerError
from trimtab.ledger import LedgerStore
from trimtab.ledger.engine import archive_schema
from trimtab.ledger.migrate import head_revision
from trimtab.ledger.postgres import connection_reason
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side

pytestmark = pytest.mark.postgresql

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _start(ledger: LedgerStore, at: datetime = T0, venue: str = "paper") -> int:
    return ledger.start_run(
        command="rebalance", venue=venue, mode="live", forced=False, started_at=at, config_digest="d"
    )


def _schemas(url: str) -> dict[str, set[str]]:
    """The tables of each schema of the database at ``url`` (PostgreSQL's own schemas left out)."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        names = [s for s in inspector.get_schema_names() if not s.startswith(("pg_", "information_schema"))]
        return {schema: set(inspector.get_table_names(schema=schema)) for schema in names}
    finally:
        engine.dispose()


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()


def test_two_schemas_of_one_database_are_two_ledgers(database: str) -> None:
    with LedgerStore.open(database, schema="alice") as alice, LedgerStore.open(database, schema="bob") as bob:
        assert alice.where.endswith("(schema alice)")
        first = _start(alice, venue="binance")
        _start(bob)
        _start(bob)
        assert [r.id for r in alice.list_runs()] == [first] == [1]  # ids are the schema's own
        assert [(r.id, r.venue) for r in bob.list_runs()] == [(2, "paper"), (1, "paper")]
    schemas = _schemas(database)
    assert schemas["alice"] == schemas["bob"]
    assert {"runs", "tax_events", "alembic_version"} <= schemas["alice"]
    assert schemas["public"] == set(), "nothing outside the portfolios' schemas"


def test_reopening_a_schema_keeps_its_records_and_migrates_nothing(database: str) -> None:
    with LedgerStore.open(database, schema="main") as ledger:
        run_id = _start(ledger)
    statements = _statements_during(lambda: LedgerStore.open(database, schema="main").close())
    assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE TABLE", "ALTER"))]
    with LedgerStore.open(database, schema="main") as ledger:
        assert [r.id for r in ledger.list_runs()] == [run_id]


def test_a_schema_name_that_needs_quoting_is_quoted(database: str) -> None:
    odd = 'Client "A"; DROP'
    with LedgerStore.open(database, schema=odd) as ledger:
        _start(ledger)
        assert len(ledger.list_runs()) == 1
    assert "runs" in _schemas(database)[odd]


def test_opening_one_new_schema_from_many_threads_at_once_migrates_it_once(database: str) -> None:
    openers = 4
    barrier = threading.Barrier(openers)
    opened: list[LedgerStore] = []
    failed: list[BaseException] = []

    def open_it() -> None:
        barrier.wait()
        try:
            opened.append(LedgerStore.open(database, schema="shared"))
        except BaseException as error:
            failed.append(error)

    def all_at_once() -> None:
        threads = [threading.Thread(target=open_it) for _ in range(openers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    statements = _statements_during(all_at_once)
    try:
        assert failed == []
        assert len(opened) == openers
        created = [s for s in statements if s.lstrip().upper().startswith("CREATE TABLE RUNS")]
        assert len(created) == 1, "the schema is migrated by one opener; the others find it at the head"
        run_ids = {_start(ledger) for ledger in opened}
        assert run_ids == {1, 2, 3, 4}, "all four work in the one schema"
    finally:
        for ledger in opened:
            ledger.close()
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM shared.alembic_version").all()
        assert [v for (v,) in versions] == [head_revision()]
    finally:
        engine.dispose()


def _statements_during(action: Any) -> list[str]:
    """The SQL every engine runs while ``action()`` runs (engines are made inside ``LedgerStore.open``)."""
    seen: list[str] = []
    lock = threading.Lock()

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        with lock:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return seen


def test_money_and_times_round_trip_exactly(database: str) -> None:
    tiny, huge = Decimal("0.000000000000000000000001"), Decimal("123456789012345678901234567890.123456789")
    tokyo = timezone(timedelta(hours=9))
    at = datetime(2025, 3, 1, 21, 0, 0, 123456, tzinfo=tokyo)
    fills = (
        Fill(price=huge, amount=tiny, fee=Decimal("1E-12"), fee_asset="BTC", timestamp=at),
        Fill(price=Decimal("60000.10"), amount=Decimal("-0"), fee=Decimal(0), fee_asset="USDT", timestamp=at),
    )
    result = OrderResult(
        client_order_id="tt-1-0",
        exchange_order_id="1",
        symbol="BTC/USDT",
        side=Side.BUY,
        amount=tiny,
        limit_price=huge,
        status=OrderStatus.CLOSED,
        filled=tiny,
        fills=fills,
    )
    with LedgerStore.open(database, schema="exact") as ledger:
        run_id = _start(ledger, at)
        ledger.record_order(run_id, result, at)
        ledger.record_order(run_id, result, at)  # the same fills again: recognised, not added
        detail = ledger.run_detail(run_id)
    assert detail is not None
    [order] = detail.orders
    assert (order.amount, order.limit_price) == (tiny, huge)
    assert str(order.limit_price) == "123456789012345678901234567890.123456789"
    assert order.fills == fills
    assert [str(f.price) for f in order.fills] == ["123456789012345678901234567890.123456789", "60000.10"]
    assert detail.summary.started_at == at
    assert detail.summary.started_at.tzinfo is UTC
    assert order.fills[0].timestamp.tzinfo is UTC


def test_a_server_that_is_down_is_one_line_naming_the_database() -> None:
    url = f"postgresql+psycopg://trimtab:secret@127.0.0.1:{free_port()}/trimtab"
    with pytest.raises(LedgerError) as caught:
        LedgerStore.open(url, schema="main")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"ledger postgresql+psycopg://trimtab:***@127.0.0.1:{url.split(':')[3].split('/', maxsplit=1)[0]}/trimtab "
        "(schema main): cannot connect: "
    )
    assert "Connection refused: is the server running" in message
    assert "secret" not in message


def test_a_missing_database_says_trimtab_creates_schemas_not_databases(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.database_url("no_such_db")
    with pytest.raises(LedgerError) as caught:
        LedgerStore.open(url, schema="main")
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(
        'cannot connect: database "no_such_db" does not exist: create it first (createdb no_such_db); trimtab '
        "creates a schema per portfolio in an existing database, never the database itself"
    )


def test_a_missing_driver_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    with pytest.raises(LedgerError) as caught:
        LedgerStore.open("postgresql+psycopg://trimtab@127.0.0.1/trimtab", schema="main")
    assert str(caught.value) == (
        "ledger postgresql+psycopg://trimtab@127.0.0.1/trimtab (schema main): cannot connect: its driver psycopg "
        "is not installed (pip install 'psycopg[binary]')"
    )
    with pytest.raises(LedgerError, match="write postgresql\\+psycopg://"):
        LedgerStore.open("postgresql+pg8000://trimtab@127.0.0.1/trimtab")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password '
            'authentication failed for user "trimtab"',
            'password authentication failed for user "trimtab": check the password (in database_url, '
            "PGPASSWORD or ~/.pgpass)",
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no password '
            "supplied",
            "the server asks for a password: give it in database_url, PGPASSWORD or ~/.pgpass",
        ),
        (
            "failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
            "failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
        ),
    ],
)
def test_the_servers_refusals_read_as_one_line(message: str, reason: str) -> None:
    # The throwaway test server trusts every local user, so a wrong password is libpq's message as it
    # comes from a server that asks for one.
    assert connection_reason(message) == reason


def test_a_schema_is_only_for_postgresql(tmp_path: Any) -> None:
    with LedgerStore.open(f"sqlite:///{tmp_path / 'ledger.db'}", schema="ignored") as ledger:
        assert ledger.where.endswith("ledger.db")  # a SQLite file is one portfolio: no schema
    with pytest.raises(LedgerError, match=r"\(schema main\): a schema per portfolio needs PostgreSQL"):
        LedgerStore.open("mysql+pymysql://u@h/db", schema="main")


def test_archiving_a_schema_renames_it_and_the_next_open_starts_anew(database: str) -> None:
    with LedgerStore.open(database, schema="main") as ledger:
        _start(ledger)
    assert archive_schema(database, "main", "20250301120000") == ("main", "main_reset_20250301120000")
    with LedgerStore.open(database, schema="main") as ledger:
        assert ledger.list_runs() == []
    with LedgerStore.open(database, schema="main_reset_20250301120000") as archived:
        assert len(archived.list_runs()) == 1
    # The same second again: a free name; a long schema name is cut to PostgreSQL's 63 characters.
    assert archive_schema(database, "main", "20250301120000") == ("main", "main_reset_20250301120000_2")
    assert archive_schema(database, "main", "20250301120000") is None  # nothing to archive
    long = "p_" + "x" * 61
    LedgerStore.open(database, schema=long).close()
    old, new = archive_schema(database, long, "20250301120000") or ("", "")
    assert (old, len(new), new.endswith("_reset_20250301120000")) == (long, 63, True)
    assert new in _schemas(database)

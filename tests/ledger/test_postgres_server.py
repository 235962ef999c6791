"""The PostgreSQL test server works: each ``new_database()`` is a fresh, empty database of its own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from postgres import PostgresServer

pytestmark = pytest.mark.postgresql


def test_a_new_database_answers_and_starts_empty(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.new_database(), postgres_server.new_database()
    assert first != second
    engine = sa.create_engine(first)
    try:
        with engine.begin() as connection:
            assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1
            connection.execute(sa.text("CREATE TABLE only_here (x int)"))
    finally:
        engine.dispose()
    other = sa.create_engine(second)
    try:
        with other.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []
    finally:
        other.dispose()
    for url in (first, second):
        postgres_server.drop_database(url)

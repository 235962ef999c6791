"""DecimalText and UTCDateTime against a real SQLite file: exact money, aware UTC times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.exc import StatementError

from trimtab.ledger.types import DecimalText, UTCDateTime

metadata = MetaData()
values = Table(
    "values_",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("money", DecimalText),
    Column("at", UTCDateTime),
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'types.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _store_money(engine: Engine, money: object) -> tuple[str | None, Decimal | None]:
    with engine.begin() as connection:
        row_id = connection.execute(insert(values).values(money=money).returning(values.c.id)).scalar_one()
        raw = connection.execute(
            text("SELECT money FROM values_ WHERE id = :id"), {"id": row_id}
        ).scalar_one()
        typed = connection.execute(select(values.c.money).where(values.c.id == row_id)).scalar_one()
    return raw, typed


@pytest.mark.parametrize(
    ("money", "stored"),
    [
        (Decimal("0.00012345"), "0.00012345"),
        (Decimal("1E-12"), "0.000000000001"),
        (Decimal("1E+3"), "1000"),
        (Decimal("60000.10"), "60000.10"),
        (Decimal("-12345678901234567890.123456789012345678"), "-12345678901234567890.123456789012345678"),
    ],
)
def test_decimal_is_stored_as_plain_text_and_read_back_exactly(
    engine: Engine, money: Decimal, stored: str
) -> None:
    raw, typed = _store_money(engine, money)
    assert raw == stored
    assert isinstance(typed, Decimal)
    assert typed == money
    assert format(typed, "f") == stored


def test_decimal_column_refuses_a_float(engine: Engine) -> None:
    with pytest.raises(StatementError, match="money must be Decimal, not float"):
        _store_money(engine, 0.1)


def test_decimal_column_refuses_nan(engine: Engine) -> None:
    with pytest.raises(StatementError, match="finite"):
        _store_money(engine, Decimal("NaN"))


def test_decimal_column_keeps_null(engine: Engine) -> None:
    assert _store_money(engine, None) == (None, None)


def test_aware_datetime_is_stored_in_utc_and_read_back_aware_utc(engine: Engine) -> None:
    berlin_summer = timezone(timedelta(hours=2))
    at = datetime(2025, 6, 30, 14, 0, 0, 123456, tzinfo=berlin_summer)
    with engine.begin() as connection:
        connection.execute(insert(values).values(at=at))
        raw = connection.execute(text("SELECT at FROM values_")).scalar_one()
        back = connection.execute(select(values.c.at)).scalar_one()
    assert raw.startswith("2025-06-30 12:00:00.123456")
    assert back == at
    assert back.tzinfo is UTC
    assert back.hour == 12


def test_naive_datetime_is_rejected_on_write(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), engine.begin() as connection:
        connection.execute(insert(values).values(at=datetime(2025, 1, 1, 12, 0)))
    with engine.connect() as connection:
        assert connection.execute(select(values.c.id)).first() is None

"""Column types that keep money exact and time in UTC on every database.

``Numeric`` on SQLite goes through float and many drivers hand back naive datetimes, so the ledger
stores both through these two decorators instead:

- :class:`DecimalText` keeps a Decimal as its plain decimal string (``"0.00012345"``) in a TEXT
  column and gives the same Decimal back.
- :class:`UTCDateTime` accepts only timezone-aware datetimes, stores them as UTC and always returns
  aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Dialect, Text
from sqlalchemy.types import TypeDecorator


def decimal_to_text(value: Decimal) -> str:
    """``value`` as a plain decimal string keeping every digit (``Decimal("1E-7")`` -> ``"0.0000001"``).

    Only finite Decimals are accepted: a float here means exactness was already lost, and that must
    fail loudly rather than be stored.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"money must be a finite number, not {value}")
    return format(value, "f")


def text_to_decimal(text: str) -> Decimal:
    """The Decimal a string from :func:`decimal_to_text` stands for."""
    return Decimal(text)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored exactly, as a plain decimal string (no exponent) in a TEXT column.

    Because the column is text, the database cannot sum or compare these values numerically: the
    ledger aggregates money in Python, where it stays Decimal.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else decimal_to_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else text_to_decimal(value)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC; naive datetimes are rejected on write.

    SQLite keeps no offset, so values are converted to UTC before they are stored and marked UTC
    when they are read back; PostgreSQL (``timestamptz``) keeps the instant and we convert to UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} rejected: the ledger needs timezone-aware times"
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

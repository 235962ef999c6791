"""Reading the imported history back at speed gives exactly what the ORM gives: the same events in the
same order, the same Decimal digits and exponents, aware UTC times with the ``UTC`` tzinfo, and
``before`` cutting the history in the database as a filter in Python would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from trimtab.ledger import LedgerStore
from trimtab.ledger.models import TaxEventRow
from trimtab.tax.model import EventType, TaxEvent

D = Decimal
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
T0 = datetime(2024, 1, 2, 10, 0, 0, 123456, tzinfo=UTC)
TOKYO = timezone(timedelta(hours=9))
# Numbers as written in real exports: trailing zeros, tiny and huge values, a round 0.
NUMBERS = [D("0.00012345"), D("1.50"), D("1E-7"), D("40000.10"), D("123456789012345678901234.5"), D(0)]


def history() -> list[TaxEvent]:
    events = []
    for i in range(60):
        moment = T0 + timedelta(hours=7 * (i % 20), microseconds=i)  # ties and out-of-order rows
        if i % 7 == 0:
            moment = moment.astimezone(TOKYO)  # stored as UTC
        fee = NUMBERS[i % len(NUMBERS)] if i % 3 else D(0)
        events.append(
            TaxEvent(
                moment,
                ("binance", "kraken")[i % 2],
                (EventType.BUY, EventType.SELL, EventType.FEE)[i % 3],
                ("BTC", "ETH", "SOL")[i % 3],
                NUMBERS[i % 5] or D("2.000"),
                NUMBERS[(i + 1) % len(NUMBERS)],
                fee if i % 3 != 2 else D(0),
                ("USD", "BTC")[i % 2] if fee and i % 3 != 2 else "",
                i + 2,
            )
        )
    return events


def orm_events(db_url: str, currency: str | None, before: datetime | None) -> list[TaxEvent]:
    """The reference: ORM rows through the column types, filtered and ordered as the store promises."""
    query = select(TaxEventRow).order_by(TaxEventRow.timestamp, TaxEventRow.id)
    if currency is not None:
        query = query.where(TaxEventRow.report_currency == currency)
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(query).all()
        return [
            TaxEvent(
                r.timestamp,
                r.wallet,
                EventType(r.type),
                r.asset,
                r.amount,
                r.price,
                r.fee,
                r.fee_asset,
                r.line,
            )
            for r in rows
            if before is None or r.timestamp < before
        ]
    finally:
        engine.dispose()


def exactly(events: list[TaxEvent]) -> list[tuple[object, ...]]:
    """Each event with its numbers' reprs (exponents) and its tzinfo object, to compare exactly."""
    return [(e, repr(e.amount), repr(e.price), repr(e.fee), e.timestamp.tzinfo, type(e.type)) for e in events]


def store_both(ledger: LedgerStore) -> list[TaxEvent]:
    events = history()
    ledger.record_tax_events(events, source="usd.csv", report_currency="USD", imported_at=NOW)
    ledger.record_tax_events(events[::3], source="eur.csv", report_currency="EUR", imported_at=NOW)
    return events


def test_the_fast_read_is_the_orm_read_exactly(ledger: LedgerStore, db_url: str) -> None:
    store_both(ledger)
    for currency in ("USD", "EUR", None):
        fast = ledger.tax_events(currency)
        assert exactly(fast) == exactly(orm_events(db_url, currency, None))
        assert all(e.timestamp.tzinfo is UTC for e in fast)
        assert [e.timestamp for e in fast] == sorted(e.timestamp for e in fast)


def test_before_cuts_in_the_database_as_a_filter_would(ledger: LedgerStore, db_url: str) -> None:
    events = store_both(ledger)
    for before in (T0, T0 + timedelta(hours=21), T0 + timedelta(hours=21, microseconds=1), NOW):
        for currency in ("USD", None):
            fast = ledger.tax_events(currency, before=before)
            assert exactly(fast) == exactly(orm_events(db_url, currency, before))
        expected = sum(1 for e in events if e.timestamp < before)
        assert ledger.tax_event_counts(before=before).get("USD", 0) == expected
    # A horizon given in another zone is the same instant.
    cut = T0 + timedelta(hours=35)
    assert ledger.tax_events("USD", before=cut.astimezone(TOKYO)) == ledger.tax_events("USD", before=cut)


def test_equal_texts_share_one_object_and_equal_values_keep_their_own_digits(ledger: LedgerStore) -> None:
    same = TaxEvent(T0, "w", EventType.BUY, "BTC", D("1.50"), D("40000.10"), D("0.10"), "USD", 2)
    ledger.record_tax_events(
        [same, same, TaxEvent(T0, "w", EventType.BUY, "BTC", D("1.5"), D("40000.1"), D("0.1"), "USD", 4)],
        source="h.csv",
        report_currency="USD",
        imported_at=NOW,
    )
    first, second, third = ledger.tax_events("USD")
    assert first.price is second.price
    assert first.wallet is second.wallet
    assert [str(e.price) for e in (first, third)] == ["40000.10", "40000.1"]
    assert [str(e.amount) for e in (first, third)] == ["1.50", "1.5"]

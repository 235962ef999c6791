"""The ledger's tax side against a real SQLite file and a real PostgreSQL database: imported history in and
out, idempotent imports, all-or-nothing writes, the bot's live fills, and migration 0002 over a ledger that
already has runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from ledger_runs import record_run
from sqlalchemy import create_engine, inspect

from trimtab.errors import LedgerError
from trimtab.ledger import LedgerStore
from trimtab.ledger.migrate import alembic_config, current_revision
from trimtab.model.orders import Fill, Side
from trimtab.tax.model import EventType, TaxEvent

D = Decimal
T0 = datetime(2024, 1, 2, 10, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
BUY = TaxEvent(T0, "binance", EventType.BUY, "BTC", D("0.00012345"), D("40000.10"), D("0.0000001"), "BTC", 2)
SELL = TaxEvent(
    T0 + timedelta(days=30), "binance", EventType.SELL, "BTC", D("0.00010"), D(50000), D("1.50"), "USD", 3
)
FEE = TaxEvent(T0 + timedelta(days=31), "binance", EventType.FEE, "BNB", D("0.01"), D(0), line=4)


def store(ledger: LedgerStore, *events: TaxEvent, currency: str = "USD", source: str = "history.csv") -> int:
    return ledger.record_tax_events(events, source=source, report_currency=currency, imported_at=NOW)


def test_events_round_trip_exactly_in_time_order(ledger: LedgerStore) -> None:
    assert store(ledger, FEE, SELL, BUY) == 3

    events = ledger.tax_events("USD")

    assert events == [BUY, SELL, FEE]  # by time, whatever the order imported
    assert [str(e.amount) for e in events] == ["0.00012345", "0.00010", "0.01"]  # every digit as written
    assert [str(e.fee) for e in events] == ["1E-7", "1.50", "0"]
    assert all(e.timestamp.tzinfo is UTC for e in events)
    assert [e.line for e in events] == [2, 3, 4]


def test_rows_keep_the_source_the_line_and_decimal_text(ledger: LedgerStore, db_url: str) -> None:
    berlin = timezone(timedelta(hours=1))
    store(
        ledger,
        TaxEvent(datetime(2024, 1, 2, 11, tzinfo=berlin), "w", EventType.BUY, "ETH", D(1), D(2000), line=7),
    )
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT source, line, type, amount, price, fee, fee_asset, report_currency FROM tax_events"
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("history.csv", 7, "buy", "1", "2000", "0", "", "USD")
    assert ledger.tax_events()[0].timestamp == T0  # 11:00 in Berlin is 10:00 UTC


def test_report_currency_filters_and_counts(ledger: LedgerStore) -> None:
    store(ledger, BUY, SELL)
    store(ledger, BUY, currency="EUR")

    assert ledger.tax_events("USD") == [BUY, SELL]
    assert ledger.tax_events("EUR") == [BUY]
    assert ledger.tax_events("GBP") == []
    assert len(ledger.tax_events()) == 3
    assert ledger.tax_event_counts() == {"USD": 2, "EUR": 1}


def test_importing_the_same_events_again_adds_nothing(ledger: LedgerStore) -> None:
    assert store(ledger, BUY, SELL) == 2
    assert store(ledger, BUY, SELL, source="renamed.csv") == 0  # content counts, not the file name
    assert ledger.tax_events("USD") == [BUY, SELL]


def test_a_longer_export_adds_only_its_new_rows(ledger: LedgerStore) -> None:
    store(ledger, BUY, SELL)
    assert store(ledger, BUY, SELL, FEE) == 1
    assert ledger.tax_events("USD") == [BUY, SELL, FEE]


def test_equal_rows_are_counted_not_merged(ledger: LedgerStore) -> None:
    # Two equal fills in one second are two events: both are kept, and a re-import adds neither again.
    assert store(ledger, BUY, BUY) == 2
    assert store(ledger, BUY, BUY) == 0
    assert store(ledger, BUY, BUY, BUY) == 1
    assert ledger.tax_events("USD") == [BUY, BUY, BUY]


def test_numbers_compare_as_numbers(ledger: LedgerStore) -> None:
    store(ledger, SELL)
    same = TaxEvent(
        SELL.timestamp, "binance", EventType.SELL, "BTC", D("0.0001"), D("50000.00"), D("1.5"), "USD", 9
    )
    assert store(ledger, same) == 0


def test_the_same_row_in_another_currency_is_another_event(ledger: LedgerStore) -> None:
    store(ledger, BUY)
    assert store(ledger, BUY, currency="EUR") == 1


def test_a_failing_import_stores_nothing(ledger: LedgerStore) -> None:
    naive = TaxEvent(datetime(2024, 5, 1, 12), "binance", EventType.BUY, "ETH", D(1), D(3000), line=5)
    with pytest.raises(LedgerError) as caught:
        store(ledger, BUY, SELL, naive)
    assert "\n" not in str(caught.value)
    assert "cannot import the tax events of history.csv" in str(caught.value)
    assert ledger.tax_events() == []


def test_a_naive_import_time_is_refused(ledger: LedgerStore) -> None:
    with pytest.raises(LedgerError, match=r"imported_at .* is a naive datetime"):
        ledger.record_tax_events(
            [BUY], source="h.csv", report_currency="USD", imported_at=datetime(2026, 1, 1)
        )


def _fill(price: str, amount: str, fee: str, fee_asset: str, at: datetime) -> Fill:
    return Fill(D(price), D(amount), D(fee), fee_asset, at)


def test_live_fills_are_those_of_live_runs_on_the_venue_in_time_order(ledger: LedgerStore) -> None:
    t1, t2 = NOW, NOW + timedelta(hours=1)
    later_sell = _fill("61000", "0.01", "0.61", "USDT", t2 + timedelta(seconds=1))
    buy = _fill("3000", "0.5", "0.0005", "ETH", t1 + timedelta(seconds=1))
    prices = {"BTC": D("60000"), "ETH": D("3000"), "BNB": D("600")}
    late = record_run(ledger, [("BTC/USDT", Side.SELL, [later_sell])], at=t2, prices=prices)
    early = record_run(ledger, [("ETH/USDT", Side.BUY, [buy])], at=t1, prices={"ETH": D("2999")})
    record_run(ledger, [("BTC/USDT", Side.BUY, [buy])], at=t1, prices=prices, venue="binance")
    record_run(ledger, [("BTC/USDT", Side.BUY, [buy])], at=t1, prices=prices, mode="dry-run")

    fills = ledger.live_fills("paper")

    assert [(f.run_id, f.symbol, f.side, f.fill) for f in fills] == [
        (early, "ETH/USDT", Side.BUY, buy),
        (late, "BTC/USDT", Side.SELL, later_sell),
    ]
    assert fills[0].prices == {"ETH": D("2999")}  # each fill with its own run's snapshot
    assert fills[1].prices == prices
    assert [f.symbol for f in ledger.live_fills("binance")] == ["BTC/USDT"]
    assert ledger.live_fills("kraken") == []


def test_migration_0002_adds_the_table_to_a_ledger_with_runs(db_url: str, db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)  # the SQLite variant's folder
    config = alembic_config(db_url)
    command.upgrade(config, "0001")
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO runs (id, started_at, command, venue, mode, forced, status, config_digest) "
                "VALUES (1, '2025-03-01 12:00:00.000000', 'rebalance', 'paper', 'live', false, 'completed', 'abc')"
            )
    finally:
        engine.dispose()

    with LedgerStore.open(db_url) as ledger:
        assert [run.id for run in ledger.list_runs()] == [1]
        assert ledger.tax_events() == []
        store(ledger, BUY)

    command.downgrade(config, "0001")
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == "0001"
        assert "tax_events" not in inspect(engine).get_table_names()
        assert "runs" in inspect(engine).get_table_names()
    finally:
        engine.dispose()

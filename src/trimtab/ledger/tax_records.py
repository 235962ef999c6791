"""The ledger's side of ``trimtab tax``: imported trade history in, history and the bot's fills out.

:class:`~trimtab.ledger.store.LedgerStore` calls these inside one of its transactions; callers get
:class:`~trimtab.tax.model.TaxEvent` and :class:`RecordedFill`, never ORM rows.

Importing is idempotent by content: an event counts as already in the ledger when one with the same
time, wallet, type, asset, amount, price, fee, fee asset and report currency is (numbers compared as
numbers: ``1.50`` equals ``1.5``). Events are counted, not just matched: a file holding two equal rows
(two equal fills in one second) imports both, importing it again adds none, and importing a longer
export of the same account later adds only the rows that are new. The source file and line play no
part, so the same rows under another file name are not imported twice either.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, bindparam, delete, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from trimtab.collector import collector_paused
from trimtab.ledger.models import FillRow, OrderRow, RunRow, TaxEventRow
from trimtab.ledger.reads import before_prices, fill_of
from trimtab.ledger.records import RunMode
from trimtab.ledger.types import DecimalText, decimal_to_text
from trimtab.model.orders import Fill, Side
from trimtab.tax.model import EventType, TaxEvent, make_event


@dataclass(frozen=True, slots=True)
class RecordedFill:
    """One fill of a live run, with what a tax report needs to value it.

    ``symbol`` (``BASE/QUOTE``) and ``side`` are the order's; ``prices`` are the last prices (in the
    quote currency) of the run's ``before`` snapshot, to value a fee paid in a third asset (e.g. BNB)
    and both sides of a cross-pair fill; ``quote`` is that snapshot's (the portfolio's) quote currency,
    "" when the run has no ``before`` snapshot. A fill whose symbol is not quoted in it is a cross fill.
    """

    run_id: int
    symbol: str
    side: Side
    fill: Fill
    prices: Mapping[str, Decimal]
    quote: str = ""


def add_tax_events(
    session: Session,
    events: Iterable[TaxEvent],
    *,
    source: str,
    report_currency: str,
    imported_at: datetime,
) -> int:
    """Add the ``events`` not yet in the ledger (see the module docstring); return how many were added.

    Streamed, at any size: the events are inserted as they come, in file order, a batch at a time,
    in the caller's one transaction; then, only if the ledger held events of this currency before,
    the new rows are matched with the stored ones one timestamp at a time (both read back in time
    order from the database) and the new rows found already there are deleted again. Nothing but a
    batch and one timestamp's rows is held at once; a failure anywhere rolls the whole import back.
    """
    connection = session.connection()
    c = TaxEventRow.__table__.c
    last_id = connection.execute(select(func.max(c.id))).scalar() or 0
    stored_before = connection.execute(
        select(c.id).where(c.report_currency == report_currency).limit(1)
    ).first()
    rows = _RowWriter(connection, source=source, report_currency=report_currency, imported_at=imported_at)
    first: datetime | None = None
    last: datetime | None = None
    for event in events:
        moment = event.timestamp
        if moment.tzinfo is not None:  # a naive time is refused by the writer
            first = moment if first is None or moment < first else first
            last = moment if last is None or moment > last else last
        rows.add(event)
    rows.flush()
    if stored_before is None or first is None or last is None:
        return rows.written
    return rows.written - _drop_known(connection, report_currency, last_id, first, last)


_BATCH = 2_000
_COLUMNS = ("imported_at", "source", "line", "timestamp", "wallet", "type", "asset", "amount", "price",
            "fee", "fee_asset", "report_currency")  # fmt: skip


class _RowWriter:
    """Inserts events as tax_events rows, a batch at a time, through the driver's ``executemany``.

    Each value goes through its column type's own bind processor (the ledger's Decimal text, UTC
    times), so the rows are exactly what the ORM would write, at a fraction of its cost per row."""

    def __init__(self, connection: Connection, *, source: str, report_currency: str, imported_at: datetime):
        dialect = connection.dialect
        table = TaxEventRow.__table__
        statement = (
            insert(TaxEventRow).values({name: bindparam(name) for name in _COLUMNS}).compile(dialect=dialect)
        )
        self._connection = connection
        self._sql = str(statement)
        # Rows as tuples in the statement's order when the driver takes positional parameters.
        self._named = not statement.positional or tuple(statement.positiontup or ()) != _COLUMNS
        processors = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _COLUMNS
        }
        fixed = {"imported_at": imported_at, "source": source, "report_currency": report_currency}
        self._fixed = {name: _bound(processors[name], value) for name, value in fixed.items()}
        self._time = processors["timestamp"] or _same
        # DecimalText's own conversion, then its TEXT column's (none on SQLite or PostgreSQL): the
        # same steps as processors["amount"], without two layers of wrappers per value.
        text = DecimalText().impl_instance.dialect_impl(dialect).bind_processor(dialect)
        self._number = decimal_to_text if text is None else lambda value: text(decimal_to_text(value))
        self._batch: list[Any] = []
        self.written = 0

    def add(self, event: TaxEvent) -> None:
        number, fixed = self._number, self._fixed
        row = (
            fixed["imported_at"],
            fixed["source"],
            event.line,
            self._time(event.timestamp),
            event.wallet,
            event.type.value,
            event.asset,
            number(event.amount),
            number(event.price),
            number(event.fee),
            event.fee_asset,
            fixed["report_currency"],
        )
        self._batch.append(dict(zip(_COLUMNS, row, strict=True)) if self._named else row)
        if len(self._batch) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            self._connection.exec_driver_sql(self._sql, self._batch)
            self.written += len(self._batch)
            self._batch = []


def _bound(processor: Callable[[Any], Any] | None, value: object) -> object:
    return processor(value) if processor is not None else value


def _same(value: object) -> object:
    return value


def _drop_known(
    connection: Connection, report_currency: str, last_id: int, first: datetime, last: datetime
) -> int:
    """Delete the rows above ``last_id`` (this import's) that repeat a row stored before, counted: at
    each timestamp, as many of the new rows (in file order) as there are equal stored ones. Returns
    how many were deleted. The ids to delete are kept as 8-byte integers until the reading is done
    (no table is changed under an open cursor)."""
    c = TaxEventRow.__table__.c
    raw = [type_coerce(column, String) for column in (c.amount, c.price, c.fee)]
    query = (
        select(c.id, type_coerce(c.timestamp, String), c.wallet, c.type, c.asset, *raw, c.fee_asset)
        .where(c.report_currency == report_currency, c.timestamp >= first, c.timestamp <= last)
        .order_by(c.timestamp, c.id)
        .execution_options(yield_per=_BATCH)
    )
    known = array("q")
    group: list[tuple[Any, ...]] = []
    moment: object = None
    for row in connection.execute(query):
        if row[1] != moment:
            known.extend(_repeats(group, last_id))
            group, moment = [], row[1]
        group.append(tuple(row))
    known.extend(_repeats(group, last_id))
    for start in range(0, len(known), _BATCH):
        connection.execute(delete(TaxEventRow).where(TaxEventRow.id.in_(known[start : start + _BATCH])))
    return len(known)


def _repeats(group: list[tuple[Any, ...]], last_id: int) -> Iterator[int]:
    """The ids of the new rows of one timestamp's ``group`` (by id) that an older row there already holds."""
    if not group or group[0][0] > last_id or group[-1][0] <= last_id:
        return  # only old rows, or only new ones
    # Keyed by the stored text (equal text is an equal number); a text that differs is compared
    # again as numbers (1.50 and 1.5), against what is left.
    stored: Counter[tuple[Any, ...]] = Counter()
    for row in group:
        if row[0] <= last_id:
            stored[row[2:]] += 1
            continue
        key = row[2:]
        if stored[key] <= 0:
            number = _as_numbers(key)
            key = next((old for old, left in stored.items() if left > 0 and _as_numbers(old) == number), key)
        if stored[key] > 0:
            stored[key] -= 1  # this one is already there: drop it, once
            yield row[0]


def _as_numbers(key: tuple[Any, ...]) -> tuple[Any, ...]:
    wallet, kind, asset, amount, price, fee, fee_asset = key
    return (wallet, kind, asset, Decimal(amount), Decimal(price), Decimal(fee), fee_asset)


def read_tax_events(
    session: Session, report_currency: str | None, before: datetime | None = None
) -> list[TaxEvent]:
    """The imported events (of ``report_currency``, or all; before ``before``, when given), by time,
    then in the order imported.

    Read as plain SQL rows (no ORM objects, no per-column processors), a batch at a time, straight
    into the one list returned, in the order the SQL asks for; each column is converted here once, as the ORM
    would (:class:`~trimtab.ledger.types.DecimalText` and :class:`~trimtab.ledger.types.UTCDateTime`
    give the same values, exponents and ``tzinfo``) at a fraction of its cost per value. Equal texts
    share one Decimal (immutable) and wallet, asset and fee-asset names one string, so a long history
    holds each once (see :class:`_Numbers`)."""
    connection = session.connection()
    dialect = connection.dialect
    c = TaxEventRow.__table__.c
    query = select(c.timestamp, c.amount, c.price, c.fee, c.wallet, c.type, c.asset, c.fee_asset, c.line)
    values: dict[str, Any] = {}
    if report_currency is not None:
        query = query.where(c.report_currency == bindparam("currency"))
        values["currency"] = report_currency
    if before is not None:
        query = query.where(c.timestamp < bindparam("before"))
        values["before"] = _bound(c.timestamp.type.dialect_impl(dialect).bind_processor(dialect), before)
    compiled = query.order_by(c.timestamp, c.id).compile(dialect=dialect)
    parameters = tuple(values[name] for name in compiled.positiontup or ()) if compiled.positional else values
    # stream_results: a server-side cursor where the driver has one (PostgreSQL), so the rows are not
    # all held by the driver first; SQLite's cursor steps through the table as it is read anyway. The
    # rows are taken through the result (not its DBAPI cursor: a server-side one is read ahead).
    result = connection.exec_driver_sql(str(compiled), parameters, execution_options={"stream_results": True})
    time = _sqlite_time if dialect.name == "sqlite" else _utc
    kinds = {str(kind): kind for kind in EventType}
    names: dict[str, str] = {}
    numbers = _Numbers(1 << 18)  # prices and fees: they repeat
    amounts = _Numbers(1 << 16)  # mostly unique: their own cache, not to crowd the others out
    name, number, known_number, amount, known_amount = (
        names.setdefault,
        numbers.add,
        numbers.get,
        amounts.add,
        amounts.get,
    )
    events: list[TaxEvent] = []
    add = events.append
    # The cyclic collector is paused while the list grows: every event is a tracked object, so at a
    # million events its passes cost ~40 % of the read, and there are no cycles here to collect.
    with collector_paused():
        try:
            for rows in result.partitions(_BATCH):
                for moment, units, price, fee, wallet, kind, asset, fee_asset, line in rows:
                    # Inlined lookups (a call per value costs more than the lookup): the interned value,
                    # or a new one remembered.
                    if (units_value := known_amount(units)) is None:
                        units_value = amount(units)
                    if (price_value := known_number(price)) is None:
                        price_value = number(price)
                    if (fee_value := known_number(fee)) is None:
                        fee_value = number(fee)
                    add(
                        make_event(  # TaxEvent(...) at half the cost
                            time(moment),
                            name(wallet, wallet),
                            kinds[kind],
                            name(asset, asset),
                            units_value,
                            price_value,
                            fee_value,
                            name(fee_asset, fee_asset),
                            line,
                        )
                    )
        finally:
            result.close()
    return events


class _Numbers(dict[str, Decimal]):
    """Decimals by their stored text, one object per distinct text (a Decimal is immutable, ~100
    bytes): a day's price or a round fee repeats across a long history. Bounded: once ``limit``
    texts are held, new ones are converted but not remembered."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def add(self, text: str) -> Decimal:
        value = Decimal(text)
        if len(self) < self._limit:
            self[text] = value
        return value


def _sqlite_time(text: str) -> datetime:
    """A time SQLite stores (SQLAlchemy's naive ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC) as an aware UTC
    datetime, ``tzinfo`` the ``UTC`` singleton as the ORM's ``replace(tzinfo=UTC)`` gives."""
    return datetime.fromisoformat(text + "+00:00")


def _utc(value: object) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def count_tax_events(session: Session, before: datetime | None = None) -> dict[str, int]:
    """How many imported events there are per report currency (before ``before``, when given)."""
    query = select(TaxEventRow.report_currency, func.count()).group_by(TaxEventRow.report_currency)
    if before is not None:
        query = query.where(TaxEventRow.timestamp < before)
    return {currency: int(count) for currency, count in session.execute(query)}


def read_live_fills(session: Session, venue: str) -> list[RecordedFill]:
    """Every recorded fill of the live runs on ``venue`` (dry runs place nothing), by fill time.

    Runs of every status count: a fill of a run that failed later still happened.
    """
    rows = session.execute(
        select(RunRow.id, OrderRow.symbol, OrderRow.side, FillRow)
        .join(OrderRow, OrderRow.run_id == RunRow.id)
        .join(FillRow, FillRow.order_id == OrderRow.id)
        .where(RunRow.mode == RunMode.LIVE, RunRow.venue == venue)
        .order_by(FillRow.timestamp, FillRow.id)
    ).all()
    before = before_prices(session, sorted({run_id for run_id, *_ in rows}))
    fills = []
    for run_id, symbol, side, fill in rows:
        quote, prices = before.get(run_id, ("", {}))
        fills.append(
            RecordedFill(
                run_id=run_id,
                symbol=symbol,
                side=Side(side),
                fill=fill_of(fill),
                prices=dict(prices),
                quote=quote,
            )
        )
    return fills

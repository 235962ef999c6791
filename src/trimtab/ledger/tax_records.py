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

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import String, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from trimtab.ledger.models import FillRow, OrderRow, PositionRow, RunRow, SnapshotRow, TaxEventRow
from trimtab.ledger.reads import fill_of
from trimtab.ledger.records import RunMode, SnapshotKind
from trimtab.tax.model import EventType, TaxEvent
from trimtab.venues.port import Fill, Side

_Key = tuple[datetime, str, str, str, Decimal, Decimal, Decimal, str]


@dataclass(frozen=True, slots=True)
class RecordedFill:
    """One fill of a live run, with what a tax report needs to value it.

    ``symbol`` (``BASE/QUOTE``) and ``side`` are the order's; ``prices`` are the last prices (in the
    quote currency) of the run's ``before`` snapshot, to value a fee paid in a third asset (e.g. BNB).
    """

    run_id: int
    symbol: str
    side: Side
    fill: Fill
    prices: Mapping[str, Decimal]


def _key(event: TaxEvent) -> _Key:
    return (
        event.timestamp,
        event.wallet,
        str(event.type),
        event.asset,
        event.amount,
        event.price,
        event.fee,
        event.fee_asset,
    )


def _event(row: TaxEventRow) -> TaxEvent:
    return TaxEvent(
        timestamp=row.timestamp,
        wallet=row.wallet,
        type=EventType(row.type),
        asset=row.asset,
        amount=row.amount,
        price=row.price,
        fee=row.fee,
        fee_asset=row.fee_asset,
        line=row.line,
    )


def add_tax_events(
    session: Session,
    events: Iterable[TaxEvent],
    *,
    source: str,
    report_currency: str,
    imported_at: datetime,
) -> int:
    """Add the ``events`` not yet in the ledger (see the module docstring); return how many were added.

    At size: the events are matched with the stored ones one timestamp at a time, both in time order
    (the stored ones streamed from the database), so only one timestamp's events are compared at once;
    the new ones are inserted in their file order, in batches, in the caller's one transaction."""
    events = list(events)
    # Stable: file order on a tie. A naive time (refused when it is stored) sorts last, matching nothing.
    order = sorted(
        range(len(events)), key=lambda i: (events[i].timestamp.tzinfo is None, events[i].timestamp)
    )
    new = [True] * len(events)
    first = events[order[0]].timestamp if events else None
    stored = _stored_keys(session, report_currency, first if first is not None and first.tzinfo else None)
    pending: Counter[_Key] = Counter()
    moment: datetime | None = None
    for i in order:
        event = events[i]
        if event.timestamp != moment:
            moment = event.timestamp
            pending = stored.at(moment) if moment.tzinfo is not None else Counter()
        key = _key(event)
        if pending[key] > 0:
            pending[key] -= 1  # this one is already there: skip it, once
            new[i] = False
    batch: list[dict[str, object]] = []
    added = 0
    for event, is_new in zip(events, new, strict=True):
        if not is_new:
            continue
        batch.append(
            {
                "imported_at": imported_at,
                "source": source,
                "line": event.line,
                "timestamp": event.timestamp,
                "wallet": event.wallet,
                "type": str(event.type),
                "asset": event.asset,
                "amount": event.amount,
                "price": event.price,
                "fee": event.fee,
                "fee_asset": event.fee_asset,
                "report_currency": report_currency,
            }
        )
        if len(batch) == _BATCH:
            session.execute(insert(TaxEventRow), batch)
            added += len(batch)
            batch = []
    if batch:
        session.execute(insert(TaxEventRow), batch)
        added += len(batch)
    return added


_BATCH = 10_000


class _StoredKeys:
    """The stored events' keys, read in time order as the import asks for later and later times."""

    def __init__(self, rows: Iterator[TaxEvent]) -> None:
        self._rows = rows
        self._next: TaxEvent | None = next(rows, None)

    def at(self, moment: datetime) -> Counter[_Key]:
        """The keys of the stored events at ``moment`` (those before it are passed over)."""
        found: Counter[_Key] = Counter()
        while self._next is not None and self._next.timestamp <= moment:
            if self._next.timestamp == moment:
                found[_key(self._next)] += 1
            self._next = next(self._rows, None)
        return found


def _stored_keys(session: Session, report_currency: str, since: datetime | None) -> _StoredKeys:
    if since is None:
        return _StoredKeys(iter(()))
    return _StoredKeys(_stream(session, report_currency, since))


def read_tax_events(session: Session, report_currency: str | None) -> list[TaxEvent]:
    """The imported events (of ``report_currency``, or all), by time, then in the order imported."""
    return list(_stream(session, report_currency, None))


def _stream(session: Session, report_currency: str | None, since: datetime | None) -> Iterator[TaxEvent]:
    """The stored events by time, then id, read a batch at a time; columns are read as the database
    gives them and converted here (SQLAlchemy's per-value conversions cost more than the rest)."""
    c = TaxEventRow.__table__.c
    raw = [type_coerce(column, String) for column in (c.timestamp, c.amount, c.price, c.fee)]
    query = select(*raw, c.wallet, c.type, c.asset, c.fee_asset, c.line).order_by(c.timestamp, c.id)
    if report_currency is not None:
        query = query.where(c.report_currency == report_currency)
    if since is not None:
        query = query.where(c.timestamp >= since)
    numbers: dict[str, Decimal] = {}
    names: dict[str, str] = {}
    kinds = {str(kind): kind for kind in EventType}
    result = session.execute(query.execution_options(yield_per=_BATCH))
    for row in result:
        moment, amount, price, fee, wallet, kind, asset, fee_asset, line = tuple(row)
        yield TaxEvent(
            timestamp=_utc(moment),
            wallet=names.setdefault(wallet, wallet),
            type=kinds[kind],
            asset=names.setdefault(asset, asset),
            amount=_number(amount, numbers),
            price=_number(price, numbers),
            fee=_number(fee, numbers),
            fee_asset=names.setdefault(fee_asset, fee_asset),
            line=line,
        )


def _utc(value: object) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _number(text: str, seen: dict[str, Decimal]) -> Decimal:
    value = seen.get(text)
    if value is None:
        value = Decimal(text)
        if len(seen) < 1 << 18:
            seen[text] = value
    return value


def count_tax_events(session: Session) -> dict[str, int]:
    """How many imported events there are per report currency."""
    rows = session.execute(
        select(TaxEventRow.report_currency, func.count()).group_by(TaxEventRow.report_currency)
    )
    return {currency: int(count) for currency, count in rows}


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
    run_ids = sorted({run_id for run_id, *_ in rows})
    prices: defaultdict[int, dict[str, Decimal]] = defaultdict(dict)
    for run_id, asset, price in session.execute(
        select(SnapshotRow.run_id, PositionRow.asset, PositionRow.price)
        .join(PositionRow, PositionRow.snapshot_id == SnapshotRow.id)
        .where(SnapshotRow.run_id.in_(run_ids), SnapshotRow.kind == SnapshotKind.BEFORE)
    ):
        prices[run_id][asset] = price
    return [
        RecordedFill(
            run_id=run_id,
            symbol=symbol,
            side=Side(side),
            fill=fill_of(fill),
            prices=dict(prices[run_id]),
        )
        for run_id, symbol, side, fill in rows
    ]

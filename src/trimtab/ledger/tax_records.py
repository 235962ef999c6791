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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
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
    """Add the ``events`` not yet in the ledger (see the module docstring); return how many were added."""
    events = list(events)
    stored = Counter(
        _key(_event(row))
        for row in session.scalars(select(TaxEventRow).where(TaxEventRow.report_currency == report_currency))
    )
    new: list[TaxEvent] = []
    for event in events:
        key = _key(event)
        if stored[key] > 0:
            stored[key] -= 1  # this one is already there: skip it, once
        else:
            new.append(event)
    session.add_all(
        TaxEventRow(
            imported_at=imported_at,
            source=source,
            line=event.line,
            timestamp=event.timestamp,
            wallet=event.wallet,
            type=str(event.type),
            asset=event.asset,
            amount=event.amount,
            price=event.price,
            fee=event.fee,
            fee_asset=event.fee_asset,
            report_currency=report_currency,
        )
        for event in new
    )
    return len(new)


def read_tax_events(session: Session, report_currency: str | None) -> list[TaxEvent]:
    """The imported events (of ``report_currency``, or all), by time, then in the order imported."""
    query = select(TaxEventRow).order_by(TaxEventRow.timestamp, TaxEventRow.id)
    if report_currency is not None:
        query = query.where(TaxEventRow.report_currency == report_currency)
    return [_event(row) for row in session.scalars(query)]


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

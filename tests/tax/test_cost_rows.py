"""The HIFO/min-tax walk's loop (trimtab.tax.cost_rows, compiled with the walk): walked from the
events (records made on the way, as the CLI's reports do) or from normalized records, the rows and
the lots left are the same to the digit; a fee no row can value is refused the same way either way.
Also TaxEvent's fast maker (trimtab.tax.model.make_event), which the ledger and CSV readers use."""

from __future__ import annotations

import random
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trimtab.tax.model import EventType, TaxEvent, make_event
from trimtab.tax.normalize import TimeOrdered, normalize, records_in_time_order
from trimtab.tax.us import Method, us_reports

D = Decimal
START = datetime(2024, 6, 1, tzinfo=UTC)


def _history(seed: int, count: int) -> list[TaxEvent]:
    """Buys, sells within what each wallet holds, fees in USD and in the coin, and fee rows."""
    rng = random.Random(seed)
    held = {(asset, wallet): D(0) for asset in ("BTC", "ETH") for wallet in ("a", "b")}
    events: list[TaxEvent] = []
    moment = START
    for line in range(1, count + 1):
        moment += timedelta(hours=rng.choice([0, 5, 30, 200]))
        asset, wallet = rng.choice(("BTC", "ETH")), rng.choice(("a", "b"))
        price = D(rng.choice([90, 100, 110, 125])) * (D(300) if asset == "BTC" else D(20))
        amount = rng.choice([D("0.1"), D("0.25"), D("0.50"), D(1)])
        fee, fee_asset = rng.choice([(D(0), ""), (D("1.5"), "USD"), (D("0.001"), asset)])
        kind = EventType.BUY
        if held[asset, wallet] >= amount + fee + 1:
            kind = rng.choice([EventType.BUY, EventType.SELL, EventType.SELL, EventType.FEE])
        if kind is EventType.FEE:
            fee, fee_asset = D(0), ""
        coin_fee = fee if fee_asset == asset else D(0)
        held[asset, wallet] += (amount if kind is EventType.BUY else -amount) - coin_fee
        events.append(TaxEvent(moment, wallet, kind, asset, amount, price, fee, fee_asset, line))
    return events


@pytest.mark.parametrize("method", ["hifo", "min-tax"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_from_events_and_from_records_the_rows_and_lots_are_the_same(method: Method, seed: int) -> None:
    events = _history(seed, 600)
    streamed = records_in_time_order(events, "USD")
    assert isinstance(streamed, TimeOrdered)
    assert streamed.events is not None
    from_events = us_reports(streamed, years=(2024, 2025), method=method)
    from_records = us_reports(normalize(events, "USD"), years=(2024, 2025), method=method)
    for year in (2024, 2025):
        assert from_events[year].disposals, "the history must sell in each year"
        assert [repr(row) for row in from_events[year].disposals] == [
            repr(row) for row in from_records[year].disposals
        ]
        assert repr(from_events[year].total) == repr(from_records[year].total)
    assert from_events[2024].book.open_lots() == from_records[2024].book.open_lots()


def test_a_fee_no_row_can_value_is_refused_either_way() -> None:
    bad = TaxEvent(START, "a", EventType.BUY, "BTC", D(1), D(100), D(1), "ETH", 7)
    with pytest.raises(ValueError, match="line 7: fee in ETH has no price"):
        us_reports(records_in_time_order([bad], "USD"), years=(2024,), method="hifo")
    with pytest.raises(ValueError, match="line 7: fee in ETH has no price"):
        us_reports(normalize([bad], "USD"), years=(2024,), method="hifo")


def test_make_event_is_the_dataclass_event() -> None:
    fields = (START, "a", EventType.SELL, "BTC", D("0.50"), D(100), D("1.5"), "USD", 9)
    made = make_event(*fields)
    assert made == TaxEvent(*fields)
    assert repr(made) == repr(TaxEvent(*fields))
    assert hash(made) == hash(TaxEvent(*fields))
    with pytest.raises(FrozenInstanceError):
        made.amount = D(2)  # type: ignore[misc]

"""The guards' checks on a snapshot (:func:`trimtab.app.guards.check_guards`): each guard trips exactly
past its limit, says what it found in one line, freezes or stops, and is off when its key is null."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trimtab.app.guards import RESUMED_FOR, check_guards
from trimtab.config.guards_section import Guards
from trimtab.ledger.records import GuardHold, GuardKind
from trimtab.model.markets import MarketRules
from trimtab.model.portfolio import Balance, Snapshot

D = Decimal
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ASSETS = ("BTC", "ETH", "SOL", "USDT")


def rules(asset: str, status: str = "trading") -> MarketRules:
    return MarketRules(asset, "USDT", D("0.0001"), D("0.0001"), D(5), status=status)


def snapshot(
    *,
    statuses: dict[str, str] | None = None,
    ages: dict[str, int] | None = None,
    changes: dict[str, str] | None = None,
) -> Snapshot:
    prices = {"BTC": D(60000), "ETH": D(3000), "SOL": D(100)}
    return Snapshot(
        quote="USDT",
        balances={a: Balance(D(1), D(1)) for a in ASSETS},
        prices=prices,
        markets={a: rules(a, (statuses or {}).get(a, "trading")) for a in prices},
        fee_rate=D("0.001"),
        taken_at=NOW,
        price_times={a: NOW - timedelta(seconds=(ages or {}).get(a, 5)) for a in prices},
        day_changes={a: D(v) for a, v in (changes or {}).items()},
    )


def check(snap: Snapshot, guards: Guards | None = None, reference: str | None = "1", **kw: object):  # type: ignore[no-untyped-def]
    return check_guards(
        snap,
        ASSETS,
        guards or Guards(),
        venue="binance",
        reference_price=None if reference is None else D(reference),
        **kw,  # type: ignore[arg-type]
    )


def test_a_calm_market_passes_every_guard() -> None:
    found = check(snapshot(changes={"BTC": "-29.9", "ETH": "12"}), reference="0.985")
    assert (found.findings, dict(found.frozen), found.stop) == ((), {}, None)


@pytest.mark.parametrize("status", ["halted", "break", "delisted"])
def test_a_market_not_trading_freezes_its_asset_for_the_run(status: str) -> None:
    found = check(snapshot(statuses={"SOL": status}, ages={"SOL": 86400}))
    assert found.stop is None  # a halted market's price is old: that stops nothing
    state = "in break" if status == "break" else status
    assert dict(found.frozen) == {"SOL": f"SOL/USDT is {state}"}
    assert [(f.guard, f.asset, f.message) for f in found.findings] == [
        (GuardKind.MARKET, "SOL", f"SOL/USDT is {state} on binance: SOL is frozen for this run")
    ]


@pytest.mark.parametrize(
    ("price", "stops"), [("0.98", False), ("0.979", True), ("1.021", True), ("1.02", False)]
)
def test_the_quote_off_its_peg_by_more_than_depeg_percent_stops_the_run(price: str, stops: bool) -> None:
    found = check(snapshot(), reference=price)
    assert (found.stop is not None) is stops
    if stops:
        assert found.stop is not None
        assert found.stop.startswith(f"USDT is off its peg: USDC/USDT trades at {price}")
        assert [f.guard for f in found.findings] == [GuardKind.DEPEG]


def test_a_named_reference_and_a_null_limit_are_honoured() -> None:
    named = check(snapshot(), Guards(depeg_reference="FDUSD/USDT"), reference="0.9")
    assert named.stop is not None
    assert "FDUSD/USDT trades at 0.9, 10.00 % from 1" in named.stop
    assert check(snapshot(), Guards(depeg_percent=None), reference="0.5").stop is None
    assert check(snapshot(), reference=None).stop is None  # the venue lacks the pair: nothing to check


def test_a_price_older_than_max_price_age_stops_the_run_naming_the_oldest() -> None:
    found = check(snapshot(ages={"ETH": 901, "SOL": 3700}))
    assert found.stop is not None
    assert found.stop.startswith("the last price of SOL/USDT is 1h 1m old (from 2025-03-01 10:58:20 UTC)")
    assert "more than guards.max_price_age (15m)" in found.stop
    assert [(f.guard, f.asset) for f in found.findings] == [(GuardKind.STALE, "SOL")]
    assert check(snapshot(ages={"ETH": 900})).stop is None
    assert check(snapshot(ages={"ETH": 9000}), Guards(max_price_age=None)).stop is None


def test_an_asset_down_more_than_crash_percent_is_frozen_and_reported_as_a_crash() -> None:
    found = check(snapshot(changes={"SOL": "-42.25", "BTC": "-30"}))
    assert found.stop is None
    assert list(found.frozen) == ["SOL"]
    assert [(f.guard, f.asset) for f in found.findings] == [(GuardKind.CRASH, "SOL")]
    assert found.findings[0].message.startswith(
        "SOL fell 42.25 % in 24 h, more than guards.crash_percent (30 %)"
    )
    assert check(snapshot(changes={"SOL": "-80"}), Guards(crash_percent=None)).frozen == {}


def test_a_held_asset_stays_frozen_and_a_resumed_one_is_left_alone_for_a_day() -> None:
    hold = GuardHold("SOL", "SOL fell 42 % in 24 h", NOW - timedelta(days=2), 1)
    held = check(snapshot(changes={"SOL": "-1"}), holds=[hold])
    assert [(f.guard, f.asset) for f in held.findings] == [(GuardKind.HELD, "SOL")]
    assert "SOL" in held.frozen
    resumed = GuardHold("SOL", "", NOW - timedelta(days=2), 1, resumed_at=NOW - timedelta(hours=1))
    assert check(snapshot(changes={"SOL": "-50"}), resumed=[resumed]).frozen == {}
    long_ago = GuardHold("SOL", "", NOW - timedelta(days=9), 1, resumed_at=NOW - RESUMED_FOR)
    assert list(check(snapshot(changes={"SOL": "-50"}), resumed=[long_ago]).frozen) == ["SOL"]


def test_a_depeg_stops_before_the_crash_guard_records_anything() -> None:
    found = check(snapshot(changes={"SOL": "-50"}, statuses={"ETH": "break"}), reference="0.9")
    assert [f.guard for f in found.findings] == [GuardKind.MARKET, GuardKind.DEPEG]

"""Dust (trimtab.planning.dust): which held balances their market cannot take, and which count as dust."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trimtab.model.markets import MarketRules
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.dust import dust_reason, find_dust

D = Decimal
SOL = MarketRules("SOL", "USDT", D("0.01"), D("0.1"), D("5"), D("0.01"))


@pytest.mark.parametrize(
    ("amount", "price", "reason"),
    [
        ("0.009", "150", "below one amount step of 0.01 SOL"),
        ("0.09", "150", "below the market's minimum amount of 0.1 SOL"),
        ("0.109", "40", "worth 4.00 USDT, below the market's minimum order of 5 USDT"),
        ("0.13", "40", None),  # 0.13 x 40 = 5.20: sellable
    ],
)
def test_dust_reason_names_the_rule_the_balance_breaks(amount: str, price: str, reason: str | None) -> None:
    assert dust_reason(D(amount), D(price), SOL) == reason


def snapshot(balances: dict[str, str], external: dict[str, str] | None = None) -> Snapshot:
    return Snapshot(
        "USDT",
        {a: Balance(D(v), D(v)) for a, v in balances.items()},
        {"SOL": D("150"), "BNB": D("600")},
        {"SOL": SOL, "BNB": MarketRules("BNB", "USDT", D("0.001"), D("0.001"), D("5"))},
        D("0.001"),
        datetime(2026, 1, 1, tzinfo=UTC),
        external={a: D(v) for a, v in (external or {}).items()},
    )


def test_find_dust_takes_untargeted_and_zero_target_unsellable_balances_only() -> None:
    snap = snapshot({"USDT": "100", "SOL": "0.005", "BNB": "0.004", "XYZ": "3"})

    # BNB has a target: more of it is bought, it is not dust. XYZ has no market: not dust either.
    assert list(find_dust(snap, {"BNB": D(50), "USDT": D(50)})) == ["SOL"]
    dust = find_dust(snap, {"SOL": D(0), "USDT": D(100)})
    assert sorted(dust) == ["BNB", "SOL"]
    assert dust["SOL"].value == D("0.75")
    assert dust["BNB"].reason == "worth 2.40 USDT, below the market's minimum order of 5 USDT"


def test_a_sellable_balance_and_one_held_outside_the_venue_are_not_dust() -> None:
    assert find_dust(snapshot({"USDT": "1", "SOL": "1"}), {"USDT": D(100)}) == {}
    assert find_dust(snapshot({"USDT": "1", "SOL": "0.005"}, {"SOL": "2"}), {"USDT": D(100)}) == {}

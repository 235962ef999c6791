"""Filling a plan with the paper venue's fill model: fills, Binance-style fees, and refusing what an
exchange would refuse."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from plan_fills import at_limit, at_reference, simulate

from trimtab.errors import InsufficientFunds, OrderRejected
from trimtab.model.markets import MarketRules
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.plan import Plan, PlannedOrder

D = Decimal  # short for the many literals below

BTC = MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D("5"), D("0.01"))


def snap(btc: str = "1", usdt: str = "1000", btc_free: str | None = None) -> Snapshot:
    return Snapshot(
        quote="USDT",
        balances={"BTC": Balance(D(btc_free or btc), D(btc)), "USDT": Balance(D(usdt), D(usdt))},
        prices={"BTC": D("50000")},
        markets={"BTC": BTC},
        fee_rate=D("0.001"),
        taken_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def order(side: Side, amount: str, limit: str, leg: int = 0, asset: str = "BTC") -> PlannedOrder:
    return PlannedOrder(
        leg, asset, f"{asset}/USDT", side, D(amount), D(limit), D("50000"), D(amount) * D("50000")
    )


def test_sell_pays_the_fee_in_quote_on_the_proceeds() -> None:
    result = simulate(snap(), Plan((order(Side.SELL, "0.1", "49750"),)), at_limit)

    assert result.balances["BTC"] == Balance(D("0.9"), D("0.9"))
    assert result.balances["USDT"].free == D("1000") + D("4975") - D("4.975")
    [fill] = result.fills
    assert (fill.price, fill.fee, fill.fee_asset, fill.fee_value) == (
        D("49750"),
        D("4.975"),
        "USDT",
        D("4.975"),
    )


def test_buy_pays_the_fee_in_the_base_asset_valued_at_the_reference_price() -> None:
    result = simulate(snap(btc="0"), Plan((order(Side.BUY, "0.01", "50250"),)), at_reference)

    assert result.balances["BTC"].total == D("0.01") - D("0.00001")
    assert result.balances["USDT"].total == D("500")  # filled at the last price 50000
    assert result.fees_value == D("0.5")


def test_buy_is_refused_when_its_locked_amount_at_the_limit_exceeds_free_quote() -> None:
    # 0.02 x 50000 = 1000 would fit at the fill price, but the exchange locks 0.02 x 50250 first.
    with pytest.raises(InsufficientFunds, match=r"needs 1005 USDT, 1000 free"):
        simulate(snap(), Plan((order(Side.BUY, "0.02", "50250"),)), at_reference)


def test_sell_of_more_than_the_free_balance_is_refused() -> None:
    with pytest.raises(InsufficientFunds, match=r"needs 0\.6 BTC, 0\.5 free"):
        simulate(snap(btc="1", btc_free="0.5"), Plan((order(Side.SELL, "0.6", "49000"),)))


def test_sell_proceeds_fund_a_later_buy_in_leg_order() -> None:
    plan = Plan((order(Side.SELL, "0.1", "50000", leg=0), order(Side.BUY, "0.099", "50000", leg=1)))
    result = simulate(snap(usdt="0"), plan, at_limit)

    assert result.balances["USDT"].free == D("45")  # 5000 - 5 fee - 4950
    assert result.balances["BTC"].free == D("0.998901")  # 1 - 0.1 + 0.099 - 0.000099 fee
    assert [f.leg for f in result.fills] == [0, 1]


def test_fill_price_beyond_the_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="breaks the limit"):
        simulate(snap(), Plan((order(Side.SELL, "0.1", "50001"),)), at_reference)


@pytest.mark.parametrize(
    ("planned", "message"),
    [
        (order(Side.SELL, "0.000015", "50000"), "LOT_SIZE .*not a multiple of 0.00001"),
        (order(Side.SELL, "0.00005", "50000"), "NOTIONAL .*below the minimum 5"),
        (order(Side.BUY, "1", "1", asset="USDT"), "no market"),
    ],
)
def test_orders_the_market_would_reject_are_refused(planned: PlannedOrder, message: str) -> None:
    with pytest.raises(OrderRejected, match=message):
        simulate(snap(), Plan((planned,)))


def test_simulation_leaves_the_snapshot_untouched() -> None:
    before = snap()
    simulate(before, Plan((order(Side.SELL, "0.1", "49750"),)))

    assert before.balances["BTC"] == Balance(D("1"), D("1"))

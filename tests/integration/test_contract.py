"""Contract tests: the same scenario bodies on the paper venue and on real ccxt binance against the emulator.

Both targets are built from a config file by ``build_bot``, with the same account (1000 USDT, 0.3 BTC, 2 ETH),
prices (BTC 60000, ETH 3000, SOL 150, BNB 600), market filters (the emulator's defaults, given to the paper
venue as ``exchange.markets``) and taker fee (0.1 %). Every expected value below is one constant for both
targets, so a test passing on both means the paper venue and the real wire agree on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator
from bot_helpers import (
    DRIFTED,
    KEY,
    KEY_ENV,
    SECRET,
    SECRET_ENV,
    D,
    emulator_bot,
    emulator_config,
    paper_bot,
    paper_config,
)

from trimtab.app.service import Bot
from trimtab.errors import InsufficientFunds, OrderRejected
from trimtab.model.orders import OrderRequest, OrderResult, OrderStatus, Side
from trimtab.model.portfolio import Balance
from trimtab.planning.plan import PlannedOrder

BuildBot = Callable[..., Awaitable[Bot]]

SELL, BUY = Side.SELL, Side.BUY
#: The plan both targets make from the drifted account: (symbol, side, amount, limit).
PLAN = [
    ("BTC/USDT", SELL, D("0.13333"), D("59700")),
    ("SOL/USDT", BUY, D("25"), D("150.75")),
    ("BNB/USDT", BUY, D("4.166"), D("603")),
    ("ETH/USDT", BUY, D("0.5"), D("3015")),
]
#: The buys re-planned from the cash the sell really produced, with everything filled ...
BUYS_AFTER_FULL_SELL = [
    ("SOL/USDT", BUY, D("24.992"), D("150.75")),
    ("BNB/USDT", BUY, D("4.165"), D("603")),
    ("ETH/USDT", BUY, D("0.4992"), D("3015")),
]
#: ... and with half of each order filled (0.06666 BTC sold: 4995.6004 USDT of cash, not 8992.0002).
BUYS_AFTER_HALF_SELL = [
    ("SOL/USDT", BUY, D("16.036"), D("150.75")),
    ("BNB/USDT", BUY, D("2.672"), D("603")),
    ("ETH/USDT", BUY, D("0.3205"), D("3015")),
]
FEE_RATE = D("0.001")


@pytest_asyncio.fixture(params=["paper", "emulator"])
async def build(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BuildBot]:
    """``await build(fill_ratio=None)``: a bot on the drifted account, on the paper venue or on the emulator."""
    async with AsyncExitStack() as stack:
        if request.param == "emulator":
            emulator = await stack.enter_async_context(BinanceEmulator(balances=DRIFTED))
            monkeypatch.setenv(KEY_ENV, KEY)
            monkeypatch.setenv(SECRET_ENV, SECRET)

        async def make(fill_ratio: str | None = None) -> Bot:
            if request.param == "paper":
                bot = paper_bot(paper_config(tmp_path, DRIFTED, fill_ratio))
            else:
                emulator.fill_ratio = Decimal(fill_ratio or 1)
                bot = await emulator_bot(emulator_config(tmp_path, emulator.base_url))
            stack.push_async_callback(bot.close)
            return bot

        yield make


def shape(orders: Iterable[PlannedOrder | OrderResult]) -> list[tuple[str, Side, Decimal, Decimal]]:
    """(symbol, side, amount, limit) of each order."""
    return [(o.symbol, o.side, o.amount, o.limit_price) for o in orders]


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value // step) * step


STEPS = {"BTC": D("0.00001"), "ETH": D("0.0001"), "SOL": D("0.001"), "BNB": D("0.001")}


async def test_a_full_rebalance_makes_the_same_plan_and_ends_on_target(build: BuildBot) -> None:
    """Same plan (symbol, side, amount, limit) and same re-planned buys on both; the sell is placed before the
    buys; every order fills completely; the portfolio ends within 0.5 points of every target."""
    bot = await build()
    outcome = await bot.rebalance()
    assert outcome.status == "completed"
    assert shape(outcome.planned.plan.orders) == PLAN
    assert outcome.replanned_buys is not None
    assert shape(outcome.replanned_buys.orders) == BUYS_AFTER_FULL_SELL
    assert shape(outcome.results) == [PLAN[0], *BUYS_AFTER_FULL_SELL]
    assert [r.side for r in outcome.results] == [SELL, BUY, BUY, BUY]
    venue_ids = [int(r.exchange_order_id) for r in outcome.results]
    assert venue_ids == sorted(venue_ids), "the venue received the sell first"
    assert all((r.status, r.filled) == (OrderStatus.CLOSED, r.amount) for r in outcome.results)
    assert outcome.after is not None
    for asset in outcome.after.assets:
        assert abs(outcome.after.weights[asset] - outcome.after.targets[asset]) < D("0.5")


async def test_fees_are_charged_in_the_received_asset_with_the_same_amounts(build: BuildBot) -> None:
    """A sell pays 0.1 % of the quote it receives, in USDT; a buy pays 0.1 % of the base it receives, in the
    base asset. The fills, fees and balances after the run are equal on both."""
    bot = await build()
    outcome = await bot.rebalance()
    fills = [(r.symbol, f.price, f.amount, f.fee, f.fee_asset) for r in outcome.results for f in r.fills]
    assert fills == [
        ("BTC/USDT", D(60000), D("0.13333"), D("7.9998"), "USDT"),
        ("SOL/USDT", D(150), D("24.992"), D("0.024992"), "SOL"),
        ("BNB/USDT", D(600), D("4.165"), D("0.004165"), "BNB"),
        ("ETH/USDT", D(3000), D("0.4992"), D("0.0004992"), "ETH"),
    ]
    for result in outcome.results:
        base, quote = result.symbol.split("/")
        for fill in result.fills:
            received = fill.amount if result.side is BUY else fill.amount * fill.price
            assert (fill.fee, fill.fee_asset) == (received * FEE_RATE, base if result.side is BUY else quote)
    assert outcome.fees == {
        "USDT": D("7.9998"),
        "SOL": D("0.024992"),
        "BNB": D("0.004165"),
        "ETH": D("0.0004992"),
    }
    balances = await bot.parts.venue.fetch_balances()
    assert {a: b.total for a, b in balances.items()} == {
        "USDT": D("1246.4002"),
        "BTC": D("0.16667"),
        "ETH": D("2.4987008"),
        "SOL": D("24.967008"),
        "BNB": D("4.160835"),
    }


async def test_a_partial_fill_expires_with_half_floored_to_the_step_and_buys_are_replanned(
    build: BuildBot,
) -> None:
    """Half of every order fills (paper ``fill_ratio: 0.5``, emulator ``fill_ratio = 0.5``): each IOC order is
    ``expired`` with filled = half its amount floored to the lot step, and the buys are re-planned from the
    cash the half-filled sell really produced, the same on both."""
    bot = await build(fill_ratio="0.5")
    outcome = await bot.rebalance()
    assert outcome.status == "completed"
    assert shape(outcome.planned.plan.orders) == PLAN
    for result in outcome.results:
        step = STEPS[result.symbol.split("/")[0]]
        assert result.status is OrderStatus.EXPIRED
        assert result.filled == floor_to(result.amount / 2, step)
        assert sum(f.amount for f in result.fills) == result.filled
    # The sell and the buy leg; top-up passes then spend the cash the half fills left (half-filled too).
    assert [r.filled for r in outcome.results][:4] == [D("0.06666"), D("8.018"), D("1.336"), D("0.1602")]
    assert outcome.top_ups
    assert outcome.replanned_buys is not None
    assert shape(outcome.replanned_buys.orders) == BUYS_AFTER_HALF_SELL
    cash_after_sell = D(1000) + D("0.06666") * 60000 * (1 - FEE_RATE)
    assert cash_after_sell == D("4995.6004")
    locked_by_buys = sum(o.amount * o.limit_price for o in outcome.replanned_buys.orders)
    assert D(4900) < locked_by_buys <= cash_after_sell


async def test_an_order_below_min_notional_is_refused_the_same_way(build: BuildBot) -> None:
    """0.00005 BTC at 60100 is 3.005 USDT, below the 5 USDT NOTIONAL minimum: both venues raise OrderRejected
    (not InsufficientFunds) naming the filter, and neither keeps the order or moves a balance."""
    bot = await build()
    venue = bot.parts.venue
    before = await venue.fetch_balances()
    small = OrderRequest("BTC/USDT", BUY, D("0.00005"), D("60100"), "tt-contract-small")
    with pytest.raises(OrderRejected, match="Filter failure: NOTIONAL") as caught:
        await venue.place_order(small)
    assert not isinstance(caught.value, InsufficientFunds)
    assert "\n" not in str(caught.value)
    assert await venue.fetch_order("BTC/USDT", "tt-contract-small") is None
    assert await venue.fetch_balances() == before
    assert before["USDT"] == Balance(free=D(1000), total=D(1000))


async def test_fetch_order_of_an_unknown_client_id_is_none(build: BuildBot) -> None:
    """Looking up a client id the venue never saw is an answer (None), not an error, on both."""
    bot = await build()
    assert await bot.parts.venue.fetch_order("BTC/USDT", "tt-never-sent") is None
    assert await bot.parts.venue.fetch_order("ETH/USDT", "tt-never-sent") is None

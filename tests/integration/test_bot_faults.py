"""The whole bot (config -> build_bot -> rebalance -> ledger) on real ccxt binance against the emulator, one fault
at a time.

Every test starts from a drifted account (1000 USDT, 0.3 BTC, 2 ETH at 60000/3000; targets BTC 40, ETH 30,
SOL 15, BNB 10, USDT 5): a rebalance sells 0.13333 BTC (leg 0), then re-plans and buys SOL, BNB and ETH
(legs b0, b1, b2). After every scenario the invariants hold (``assert_invariants``): no order placed twice,
no fill missing from the ledger, and the ledger agrees with the exchange; a failure is reported clearly
(``assert_clear_failure``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from binance_emulator import BinanceEmulator, LoggedRequest, make_binance
from bot_helpers import (
    BOT_PREFIX,
    DRIFTED,
    KEY_ENV,
    SECRET_ENV,
    STALL,
    D,
    Sleeps,
    assert_clear_failure,
    assert_invariants,
    emulator_bot,
    quiesce,
    requests_for,
    runs,
    with_hooks,
)

from trimtab.app.service import Bot, RunOutcome
from trimtab.errors import (
    FatalVenueError,
    InsufficientFunds,
    OrderRejected,
    TemporaryVenueError,
)
from trimtab.ledger.records import RunStatus
from trimtab.model.orders import OrderRequest, OrderStatus, Side

SELL_ID = "tt-1-250101120000-0"  # run 1 (started at bot_helpers.NOW), leg 0: sell 0.13333 BTC
FIRST_BUY_ID = "tt-1-250101120000-b0"  # the first re-planned buy: SOL
EXPECTED_ORDERS = {
    SELL_ID: ("BTCUSDT", "SELL", D("0.13333")),
    FIRST_BUY_ID: ("SOLUSDT", "BUY", D("24.992")),
    "tt-1-250101120000-b1": ("BNBUSDT", "BUY", D("4.165")),
    "tt-1-250101120000-b2": ("ETHUSDT", "BUY", D("0.4992")),
}


pytestmark = pytest.mark.usefixtures("emulator_keys")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    """Overrides the conftest fixture: the same emulator, started with the drifted account."""
    async with BinanceEmulator(balances=DRIFTED) as emu:
        yield emu


def assert_fully_rebalanced(emulator: BinanceEmulator, outcome: RunOutcome) -> None:
    """The run completed, every planned order was placed once and filled, and the weights are on target."""
    assert outcome.status == "completed"
    ours = {o.client_order_id: o for o in emulator.orders() if o.client_order_id.startswith(BOT_PREFIX)}
    assert {cid: (o.symbol, o.side, o.executed_qty) for cid, o in ours.items()} == EXPECTED_ORDERS
    assert all(o.status == "FILLED" for o in ours.values())
    assert outcome.after is not None
    for asset in outcome.after.assets:
        assert abs(outcome.after.weights[asset] - outcome.after.targets[asset]) < D("0.5")


async def fail(bot: Bot, error: type[BaseException] = TemporaryVenueError) -> BaseException:
    with pytest.raises(error) as caught:
        await bot.rebalance()
    return caught.value


def posts(emulator: BinanceEmulator) -> list[LoggedRequest]:
    return [r for r in emulator.requests if (r.method, r.path) == ("POST", "/api/v3/order")]


# ------------------------------------------------------------------------------------------- rate limit, 5xx


async def test_rate_limit_on_an_order_is_looked_up_then_placed_exactly_once(
    emulator: BinanceEmulator, bot: Bot
) -> None:
    """429 + Retry-After on the first POST /order (ccxt: DDoSProtection -> TemporaryVenueError). The 429 was
    answered before any matching, so the lookup by client id finds nothing and the order is sent again: it is
    placed exactly once, after the lookup, and the run completes."""
    emulator.add_fault("http429", path="/api/v3/order", method="POST", arg=1)
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    assert requests_for(emulator, SELL_ID) == [
        ("POST", 429, "http429"),
        ("GET", 400, None),  # the lookup: -2013 Order does not exist
        ("POST", 200, None),
    ]
    assert_invariants(emulator, bot.parts.ledger)


async def test_the_lookup_after_a_rate_limit_waits_for_retry_after(
    emulator: BinanceEmulator, config: Path
) -> None:
    """Expected: after a 429 with Retry-After: 1 on POST /order, the next request (the lookup) is
    sent no sooner than 1 s later. Binance bans IPs that keep calling after a 429 (and lengthens repeat bans)."""
    bot = await emulator_bot(config, pause_seconds=0.5)  # ExecutionSettings' default
    try:
        emulator.add_fault("http429", path="/api/v3/order", method="POST", arg=1)
        started = time.monotonic()
        await bot.rebalance()
        elapsed = time.monotonic() - started
        assert_invariants(emulator, bot.parts.ledger)
        assert elapsed >= 1.0
    finally:
        await bot.close()


@pytest.mark.parametrize("fault", ["http500", "http503"])
async def test_a_5xx_on_a_read_is_retried_and_the_run_completes(
    emulator: BinanceEmulator, bot: Bot, sleeps: Sleeps, fault: str
) -> None:
    """One 500 (HTML; ccxt ExchangeNotAvailable) or 503 (-1001; ccxt's bare OperationFailed, not a NetworkError)
    on GET /api/v3/account: the venue retries the read once after its 0.5 s backoff; the run completes."""
    emulator.add_fault(fault, path="/api/v3/account", method="GET")
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    assert sleeps == [0.5]
    assert_invariants(emulator, bot.parts.ledger)


async def test_a_5xx_that_persists_fails_the_run_before_any_order(
    emulator: BinanceEmulator, bot: Bot, sleeps: Sleeps
) -> None:
    """503 on every attempt of the first balance read: after 4 attempts (backoff 0.5, 1, 2 s) the run fails
    with the exchange's one-line reason; no order was sent, so the run is ``failed``, not left open."""
    emulator.add_fault("http503", path="/api/v3/account", method="GET", times=4)
    error = await fail(bot)
    assert "OperationFailed" in str(error)
    assert sleeps == [0.5, 1.0, 2.0]
    assert posts(emulator) == []
    assert_clear_failure(error, bot.parts.ledger, emulator)
    assert_invariants(emulator, bot.parts.ledger)


async def test_a_5xx_after_the_sells_leaves_the_run_open_and_the_next_run_finishes_it(
    emulator: BinanceEmulator, bot: Bot
) -> None:
    """503 on every balance read right after the sell filled (the read the buys are re-planned from): orders
    are in flight, so the run stays ``running``. The next rebalance() resumes it: it finds the sell by its
    client id (not sent again), re-plans the buys from the real balances and completes the same run."""
    hooked, venue = with_hooks(bot)

    async def venue_busy_after_the_sell(request: OrderRequest) -> None:
        if request.side is Side.SELL:
            emulator.add_fault("http503", path="/api/v3/account", method="GET", times=4)

    venue.after_place = venue_busy_after_the_sell
    error = await fail(hooked)
    run = assert_clear_failure(error, bot.parts.ledger, emulator, status="running")
    assert [o.client_order_id for o in emulator.orders()] == [SELL_ID]
    assert_invariants(emulator, bot.parts.ledger)

    venue.after_place = None
    outcome = await hooked.rebalance()
    assert outcome.run_id == run.id
    assert outcome.planned.decision.reason.startswith(f"resumed unfinished run {run.id}")
    assert_fully_rebalanced(emulator, outcome)
    assert [m for m, _, _ in requests_for(emulator, SELL_ID)] == ["POST", "GET"]  # looked up, not resent
    assert [r.status for r in runs(bot.parts.ledger)] == [RunStatus.COMPLETED]
    assert_invariants(emulator, bot.parts.ledger)


@pytest.mark.slow
async def test_maintenance_on_every_order_attempt_leaves_the_run_open_for_the_next_run(
    emulator: BinanceEmulator, bot: Bot
) -> None:
    """ "System is under maintenance" (HTTP 200, code 1; ccxt OnMaintenance) on the first POST /order and on
    all 5 recovery attempts (each: look up by client id -> not found -> send again). The executor gives up
    with a one-line TemporaryVenueError naming the order; the run stays ``running``. The next rebalance()
    resumes it (same run id), places everything once and completes."""
    emulator.add_fault("maintenance", path="/api/v3/order", method="POST", times=6)
    error = await fail(bot)
    assert "could not be placed or found after 5 attempts" in str(error)
    assert "OnMaintenance" in str(error)
    run = assert_clear_failure(error, bot.parts.ledger, emulator, status="running")
    assert emulator.orders() == []
    assert [m for m, _, _ in requests_for(emulator, SELL_ID)] == ["POST", *["GET", "POST"] * 5]

    outcome = await bot.rebalance()
    assert outcome.run_id == run.id
    assert_fully_rebalanced(emulator, outcome)
    assert [r.status for r in runs(bot.parts.ledger)] == [RunStatus.COMPLETED]
    assert_invariants(emulator, bot.parts.ledger)


async def test_maintenance_on_a_read_is_retried(emulator: BinanceEmulator, bot: Bot, sleeps: Sleeps) -> None:
    """Maintenance answered once to the ticker read of the first snapshot: retried after 0.5 s; completes."""
    emulator.add_fault("maintenance", path="/api/v3/ticker/24hr", method="GET")
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    assert sleeps == [0.5]
    assert_invariants(emulator, bot.parts.ledger)


# ------------------------------------------------------------------------------------------- slow answers, drops


async def test_a_slow_order_answer_is_found_by_client_id_not_sent_twice(
    emulator: BinanceEmulator, config: Path
) -> None:
    """POST /order stalls 0.7 s (past the 500 ms timeout: ccxt RequestTimeout) and is *then* handled, so the
    order exists although ccxt gave up. With the executor's default pause (0.5 s) the lookup by client id
    comes after the order was handled: it is found and recorded, never sent again; the run completes."""
    bot = await emulator_bot(config, pause_seconds=0.5)  # ExecutionSettings' default
    try:
        emulator.add_fault("timeout", path="/api/v3/order", method="POST", arg=0.7)
        outcome = await bot.rebalance()
        await quiesce(emulator)
        assert_fully_rebalanced(emulator, outcome)
        assert requests_for(emulator, SELL_ID) == [("POST", 200, "timeout"), ("GET", 200, None)]
        assert_invariants(emulator, bot.parts.ledger)
    finally:
        await bot.close()


async def test_an_order_stalled_longer_than_timeout_plus_pause_is_not_placed_twice(
    emulator: BinanceEmulator, config: Path
) -> None:
    """POST /order stalls 1.5 s, within Binance's recvWindow (ccxt sends 10 s) but longer than the 500 ms
    timeout plus the executor's 0.5 s pause. Expected: the executor waits until the request can no longer execute
    (recvWindow follows the timeout) before it looks the order up and sends it again; the order exists once."""
    bot = await emulator_bot(config, pause_seconds=0.5)
    try:
        emulator.add_fault("timeout", path="/api/v3/order", method="POST", arg=1.5)
        try:
            await bot.rebalance()
        except TemporaryVenueError:
            await quiesce(emulator)
            await bot.rebalance()
        await quiesce(emulator)
        assert_invariants(emulator, bot.parts.ledger)
    finally:
        await bot.close()


async def test_dropped_connections_on_reads_are_retried(
    emulator: BinanceEmulator, bot: Bot, sleeps: Sleeps
) -> None:
    """The connection dropped twice on GET /api/v3/account (aiohttp silently resends an idempotent request
    once on a reused connection; the second drop is ccxt ExchangeNotAvailable): one venue retry; completes."""
    emulator.add_fault("disconnect", path="/api/v3/account", method="GET", times=2)
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    assert sleeps == [0.5]
    assert [r.fault for r in emulator.requests if r.path == "/api/v3/account"][:3] == [
        "disconnect",
        "disconnect",
        None,
    ]
    assert_invariants(emulator, bot.parts.ledger)


async def test_a_dropped_order_request_is_looked_up_and_sent_again_once(
    emulator: BinanceEmulator, bot: Bot
) -> None:
    """The connection dropped once on POST /order before it was handled (aiohttp never resends a POST: ccxt
    ExchangeNotAvailable). The lookup finds nothing, the order is sent again and placed once; completes."""
    emulator.add_fault("disconnect", path="/api/v3/order", method="POST")
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    assert requests_for(emulator, SELL_ID) == [
        ("POST", 0, "disconnect"),
        ("GET", 400, None),
        ("POST", 200, None),
    ]
    assert_invariants(emulator, bot.parts.ledger)


# ------------------------------------------------------------------------------------------- garbled answers


async def test_a_garbled_balance_fails_the_run_before_any_order(
    emulator: BinanceEmulator, bot: Bot, sleeps: Sleeps
) -> None:
    """GET /api/v3/account answers 200 with truncated JSON on every attempt. ccxt turns that into empty
    balances; the venue refuses to read them as an empty account (TemporaryVenueError "malformed balance
    response", retried 3 times), so the run fails before any order instead of "buying" with no money."""
    emulator.add_fault("bad-json", path="/api/v3/account", method="GET", times=4)
    error = await fail(bot)
    assert str(error) == "binance: malformed balance response"
    assert sleeps == [0.5, 1.0, 2.0]
    assert posts(emulator) == []
    run = assert_clear_failure(error, bot.parts.ledger, emulator)
    detail = bot.parts.ledger.run_detail(run.id)
    assert detail is not None
    assert (detail.snapshots, detail.planned_orders, detail.orders) == ((), (), ())
    assert_invariants(emulator, bot.parts.ledger)


# ------------------------------------------------------------------------------------------- lost answers


@pytest.mark.parametrize("side", ["SELL", "BUY"])
@pytest.mark.parametrize("fault", ["execute-then-timeout", "execute-then-500", "execute-then-disconnect"])
async def test_an_order_that_executed_but_whose_answer_was_lost_is_found_not_duplicated(
    emulator: BinanceEmulator, bot: Bot, fault: str, side: str
) -> None:
    """The first SELL (or BUY) order is executed by the exchange, then its answer is lost: a stall past the
    timeout (RequestTimeout), a 500 (ExchangeNotAvailable) or a dropped connection. The executor looks it up
    by client id, finds it filled and records it with its fills and fees; it is never sent twice."""
    emulator.add_fault(
        fault,
        path="/api/v3/order",
        method="POST",
        where={"side": side},
        arg=STALL if "timeout" in fault else None,
    )
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    cid = SELL_ID if side == "SELL" else FIRST_BUY_ID
    assert [(m, f) for m, _, f in requests_for(emulator, cid)] == [("POST", fault), ("GET", None)]
    [result] = [r for r in outcome.results if r.client_order_id == cid]
    assert (result.status, result.filled) == (OrderStatus.CLOSED, EXPECTED_ORDERS[cid][2])
    assert result.fills
    assert all(f.fee > 0 for f in result.fills)
    assert_invariants(emulator, bot.parts.ledger)


# ------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("side", "lock"),
    [
        # a resting sell of 0.25 BTC placed by someone else leaves 0.05 BTC free for the 0.13333 BTC sell
        ("SELL", ("BTC/USDT", "sell", 0.25, 100000)),
        # after the sell filled, a resting 8500 USDT buy leaves too little for the first re-planned buy
        ("BUY", ("BTC/USDT", "buy", 0.17, 50000)),
    ],
)
async def test_insufficient_balance_fails_the_run_with_complete_records(
    emulator: BinanceEmulator, bot: Bot, side: str, lock: tuple[str, str, float, int]
) -> None:
    """Right after planning, funds are locked from elsewhere (a manual order on the same account), so the
    first SELL (or BUY) is refused with -2010: InsufficientFunds, not retried. The run is ``failed`` with the
    exchange's message; every record written is complete (the plan with its client ids, the before snapshot,
    the orders that did execute), and nothing is half-written (no after snapshot, no record of the refused
    order)."""
    hooked, venue = with_hooks(bot)

    async def trade_elsewhere(request: OrderRequest) -> None:
        if request.side.value.upper() == side and venue.before_place is not None:
            venue.before_place = None
            other = make_binance(emulator.base_url)
            try:
                symbol, order_side, amount, price = lock
                await other.create_order(
                    symbol, "limit", order_side, amount, price, {"clientOrderId": "manual-1"}
                )
            finally:
                await other.close()

    venue.before_place = trade_elsewhere
    error = await fail(hooked, InsufficientFunds)
    assert "Account has insufficient balance for requested action." in str(error)
    run = assert_clear_failure(error, bot.parts.ledger, emulator)
    detail = bot.parts.ledger.run_detail(run.id)
    assert detail is not None
    assert [s.kind for s in detail.snapshots] == ["before"]
    assert all(p.client_order_id for p in detail.planned_orders)
    refused = FIRST_BUY_ID if side == "BUY" else SELL_ID
    assert requests_for(emulator, refused) == [("POST", 400, None)]  # -2010, not retried
    executed = [SELL_ID] if side == "BUY" else []
    assert [o.client_order_id for o in detail.orders] == executed
    assert [o.client_order_id for o in emulator.orders()] == [*executed, "manual-1"]
    assert_invariants(emulator, bot.parts.ledger)


async def test_an_order_below_min_notional_fails_the_run_with_a_clear_message(
    emulator: BinanceEmulator, bot: Bot
) -> None:
    """The exchange refuses the first order with -1013 "Filter failure: NOTIONAL" (ccxt 4.5: BadRequest):
    OrderRejected, not retried, the run ``failed`` with the exchange's words; nothing was placed."""
    emulator.add_fault(
        "error", path="/api/v3/order", method="POST", arg=(400, -1013, "Filter failure: NOTIONAL")
    )
    error = await fail(bot, OrderRejected)
    assert not isinstance(error, InsufficientFunds)
    assert "Filter failure: NOTIONAL" in str(error)
    assert len(posts(emulator)) == 1
    assert emulator.orders() == []
    assert_clear_failure(error, bot.parts.ledger, emulator)
    assert_invariants(emulator, bot.parts.ledger)


@pytest.mark.parametrize(
    ("env", "wrong"),
    [(SECRET_ENV, "wrong-secret-8c1f"), (KEY_ENV, "wrong-key-3b7a")],
    ids=["wrong-secret", "wrong-key"],
)
async def test_a_wrong_key_is_fatal_and_never_echoed(
    emulator: BinanceEmulator,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: str,
    wrong: str,
) -> None:
    """A wrong API secret (-1022 bad signature) or key (-2015): ccxt AuthenticationError -> FatalVenueError at
    the first signed call, not retried; nothing is placed, the run is ``failed``, and neither the key nor the
    secret (nor a request signature) is in the message or the ledger."""
    monkeypatch.setenv(env, wrong)
    sleeps = Sleeps()
    bot = await emulator_bot(config, sleeps)
    try:
        error = await fail(bot, FatalVenueError)
        assert "AuthenticationError" in str(error)
        assert wrong not in str(error)
        assert sleeps == []
        assert posts(emulator) == []
        run = assert_clear_failure(error, bot.parts.ledger, emulator)
        assert run.error is not None
        assert wrong not in run.error
        assert bot.parts.ledger.consecutive_failures() == (1, run.error)
        assert_invariants(emulator, bot.parts.ledger)
    finally:
        await bot.close()


# ------------------------------------------------------------------------------------------- clock skew


@pytest.mark.parametrize("offset_ms", [60_000, -60_000], ids=["server-ahead", "server-behind"])
async def test_clock_skew_is_resynced_and_the_run_completes(
    emulator: BinanceEmulator, bot: Bot, sleeps: Sleeps, offset_ms: int
) -> None:
    """The exchange's clock is a minute off ours. The first signed request (GET /api/v3/account) is refused
    with -1021 (ccxt InvalidNonce, a temporary error); the venue measures the offset (GET /api/v3/time) before
    raising, the read is retried once (0.5 s) and signed right, and the run completes with no further -1021."""
    emulator.clock_offset_ms = offset_ms
    outcome = await bot.rebalance()
    assert_fully_rebalanced(emulator, outcome)
    assert sleeps == [0.5]
    refused = [r for r in emulator.requests if r.status == 400 and r.path == "/api/v3/account"]
    assert len(refused) == 1
    assert [r.path for r in emulator.requests].count("/api/v3/time") == 1
    assert_invariants(emulator, bot.parts.ledger)


# ------------------------------------------------------------------------------------------- the helpers themselves


async def test_the_invariants_catch_a_duplicate_order(emulator: BinanceEmulator, bot: Bot) -> None:
    """A guard on the guard: an order sent again by someone with the bot's client id (possible on Binance once
    the first is closed) breaks invariant (a)."""
    await bot.rebalance()
    other = make_binance(emulator.base_url)
    try:
        await other.create_order("BTC/USDT", "limit", "sell", 0.001, 59000, {"clientOrderId": SELL_ID})
    finally:
        await other.close()
    with pytest.raises(AssertionError, match=r"\(a\) an order was placed twice"):
        assert_invariants(emulator, bot.parts.ledger)

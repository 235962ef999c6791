"""Crash safety on the paper venue: lost answers, interrupted runs resumed, price guard, kill switch."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from flaky_bots import flaky_bot, ledger_of

from trimtab.errors import GuardTripped, KillSwitchTripped, OrderRejected, TemporaryVenueError
from trimtab.model.orders import OrderRequest, Side


async def test_a_lost_answer_is_looked_up_not_sent_twice(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot, venue = flaky_bot(path)
    lost: list[str] = []

    def lose_first_answer(request: OrderRequest) -> None:
        if not lost:
            lost.append(request.client_order_id)
            raise TemporaryVenueError("Request timeout (the order executed, the answer was lost)")

    venue.after_place = lose_first_answer
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "completed"
    ids = [r.client_order_id for r in venue.placed]
    assert len(ids) == len(set(ids)), "no order was sent twice"
    assert lost[0] in {r.client_order_id for r in outcome.results}, "the lost order was found and recorded"
    ledger = ledger_of(path)
    detail = ledger.run_detail(outcome.run_id)
    ledger.close()
    assert detail is not None
    assert {o.client_order_id for o in detail.orders} == set(ids)


async def test_an_order_that_never_arrived_is_sent_again(write_config: Callable[..., Path]) -> None:
    bot, venue = flaky_bot(write_config())
    failures: list[str] = []

    def drop_first_request(request: OrderRequest) -> None:
        if not failures:
            failures.append(request.client_order_id)
            raise TemporaryVenueError("Connection reset before the order reached the exchange")

    venue.before_place = drop_first_request
    outcome = await bot.rebalance()
    await bot.close()
    assert outcome.status == "completed"
    assert failures[0] in [r.client_order_id for r in venue.placed]


async def test_a_run_interrupted_between_sells_and_buys_is_resumed(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot, venue = flaky_bot(path)

    def venue_gone_at_first_buy(request: OrderRequest) -> None:
        if request.side is Side.BUY:
            raise TemporaryVenueError("Exchange not available")

    venue.before_place = venue_gone_at_first_buy
    with pytest.raises(TemporaryVenueError):
        await bot.rebalance()
    await bot.close()
    sells_done = [r.client_order_id for r in venue.placed]
    assert sells_done
    ledger = ledger_of(path)
    [run] = ledger.list_runs()
    ledger.close()
    assert run.status == "running", "orders were in flight: the run stays open"

    again, venue2 = flaky_bot(path)
    outcome = await again.rebalance()
    await again.close()
    assert outcome.run_id == run.id, "the unfinished run was resumed, not a new one started"
    assert outcome.status == "completed"
    assert outcome.planned.decision.reason.startswith(f"resumed unfinished run {run.id}")
    assert all(r.side is Side.BUY for r in venue2.placed), "the sells were not placed again"
    assert venue2.placed
    assert outcome.after is not None
    for asset in outcome.after.assets:
        assert abs(outcome.after.weights[asset] - outcome.after.targets[asset]) < Decimal("0.5")
    ledger = ledger_of(path)
    [summary] = ledger.list_runs()
    detail = ledger.run_detail(run.id)
    ledger.close()
    assert summary.status == "completed"
    assert detail is not None
    assert len(detail.orders) == len(sells_done) + len(venue2.placed)


async def test_an_interrupted_run_whose_buys_were_journaled_places_only_the_missing_ones(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    bot, venue = flaky_bot(path)
    buys: list[str] = []

    def stop_at_second_buy(request: OrderRequest) -> None:
        if request.side is Side.BUY:
            buys.append(request.client_order_id)
            if len(buys) == 2:
                raise KeyboardInterrupt  # Ctrl-C in the middle of the buy leg

    venue.before_place = stop_at_second_buy
    with pytest.raises(KeyboardInterrupt):
        await bot.rebalance()
    await bot.close()
    placed_before = {r.client_order_id for r in venue.placed}
    again, venue2 = flaky_bot(path)
    outcome = await again.rebalance()
    await again.close()
    placed_after = [r.client_order_id for r in venue2.placed]
    assert outcome.status == "completed"
    assert placed_after == [buys[1]], "only the buy that never reached the venue is placed"
    assert not placed_before & set(placed_after)


async def test_a_price_that_moved_too_far_stops_the_run(write_config: Callable[..., Path]) -> None:
    path = write_config()
    bot, venue = flaky_bot(path)

    def move_eth(request: OrderRequest) -> None:
        venue.price_factor["ETH"] = Decimal("1.05")  # ETH jumps 5% right after the first order

    venue.after_place = move_eth
    with pytest.raises(GuardTripped, match=r"ETH moved 5\.00% since the plan was made"):
        await bot.rebalance()
    await bot.close()
    ledger = ledger_of(path)
    [run] = ledger.list_runs()
    ledger.close()
    assert run.status == "failed"
    assert run.error is not None
    assert "ETH moved" in run.error


async def test_the_kill_switch_stops_after_consecutive_failures(write_config: Callable[..., Path]) -> None:
    path = write_config()
    for _ in range(3):
        bot, venue = flaky_bot(path)

        def reject(request: OrderRequest) -> None:
            raise OrderRejected("Filter failure: NOTIONAL")

        venue.before_place = reject
        with pytest.raises(OrderRejected):
            await bot.rebalance()
        await bot.close()
    bot, _ = flaky_bot(path)
    with pytest.raises(KillSwitchTripped, match="the last 3 runs failed"):
        await bot.rebalance()
    outcome = await bot.rebalance(override_kill_switch=True)
    await bot.close()
    assert outcome.status == "completed"
    ledger = ledger_of(path)
    assert ledger.consecutive_failures() == (0, None)
    ledger.close()

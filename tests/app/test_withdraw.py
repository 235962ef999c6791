"""External holdings, cash flows and ``withdraw`` through the bot, on the paper venue and a SQLite ledger."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trimtab.app.assembly import build_bot
from trimtab.app.service import Bot
from trimtab.config import load_config
from trimtab.errors import ConfigError, TemporaryVenueError
from trimtab.ledger.cash_records import Released
from trimtab.model.orders import Side
from trimtab.venues.paper import PaperVenue

D = Decimal
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
BTC_PRICE = D(93576)  # the bundled close of 2024-12-31


def config(external: str = "", balances: str = "{BTC: 0.1, ETH: 1.5, USDT: 2000}", extra: str = "") -> str:
    return f"""
portfolio:
  target_weights: {{BTC: 50, ETH: 30, USDT: 20}}
  {external}
rebalancing: {{strategy: threshold, threshold_percent: 5, min_trade_usd: 20}}
risk: {{slippage_tolerance: 0.5}}
data_dir: data
exchange: {{name: paper, balances: {balances}, prices: 2024-12-31, fee_rate: 0.001}}
{extra}
"""


def bot_for(path: Path) -> Bot:
    return build_bot(load_config(path), path, clock=lambda: NOW)


class RealExchange:
    """The paper venue seen as a real exchange: everything but the paper account's own transfer."""

    def __init__(self, paper: PaperVenue) -> None:
        self.paper = paper

    def __getattr__(self, name: str) -> Any:
        if name in {"transfer_out", "state_path", "executed_orders"}:
            raise AttributeError(name)
        return getattr(self.paper, name)


def as_real_exchange(bot: Bot) -> PaperVenue:
    venue = bot.parts.venue
    assert isinstance(venue, PaperVenue)
    object.__setattr__(bot.parts, "venue", RealExchange(venue))
    return venue


# -- external holdings -------------------------------------------------------------------------------


async def test_external_btc_counts_in_the_plan_and_is_never_sold(write_config: Callable[..., Path]) -> None:
    # 0.5 BTC in cold storage (46788 USDT) and 20000 USDT on the exchange: BTC is 70 % against 50 %.
    path = write_config(config("external: {BTC: 0.5}", balances="{USDT: 20000}"))
    bot = bot_for(path)
    view = await bot.portfolio()
    assert view.snapshot.amount("BTC") == D("0.5")
    assert view.snapshot.free("BTC") == 0
    assert view.total_value == D("0.5") * BTC_PRICE + 20000
    assert view.weights["BTC"] > 69
    outcome = await bot.rebalance(force=True)
    await bot.close()
    assert all(o.asset != "BTC" for o in outcome.planned.plan.orders)  # over target, but none of it is here
    assert all(not r.symbol.startswith("BTC/") for r in outcome.results)
    assert any(s.asset == "BTC" and s.side is Side.SELL for s in outcome.planned.plan.skipped)
    assert outcome.after is not None
    assert outcome.after.snapshot.amount("BTC") == D("0.5")  # still counted after the run


async def test_external_btc_under_target_is_topped_up_on_the_exchange(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config("external: {BTC: 0.1}", balances="{ETH: 3, USDT: 20000}"))
    bot = bot_for(path)
    outcome = await bot.rebalance(force=True)
    await bot.close()
    assert outcome.after is not None
    assert abs(outcome.after.weights["BTC"] - 50) < 1  # the external 0.1 BTC counted towards the 50 %
    bought = sum((r.filled for r in outcome.results if r.symbol == "BTC/USDT"), D(0))
    fees = sum((f.fee for r in outcome.results for f in r.fills if f.fee_asset == "BTC"), D(0))
    assert outcome.after.snapshot.on_venue("BTC") == bought - fees  # only the BTC bought is on the venue


# -- cash flows --------------------------------------------------------------------------------------


async def deposit(path: Path, asset: str, amount: Decimal) -> None:
    """What the owner's deposit does to the paper account file: a balance grows, with no order."""
    state_file = path.parent / "data" / "paper-venue.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state["balances"][asset] = str(D(state["balances"].get(asset, "0")) + amount)
    state_file.write_text(json.dumps(state), encoding="utf-8")


async def test_a_deposit_since_the_last_run_is_reported_and_named_in_the_next_decision(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config())
    first = bot_for(path)
    done = await first.rebalance(force=True)
    assert (await first.portfolio()).cash_flows == ()  # the run's own fills explain every change
    await first.close()
    await deposit(path, "USDT", D(1000))
    bot = bot_for(path)
    view = await bot.portfolio()
    assert [(f.asset, f.amount, f.since_run) for f in view.cash_flows] == [("USDT", D(1000), done.run_id)]
    outcome = await bot.rebalance()
    await bot.close()
    assert f"deposit of 1000 USDT since run {done.run_id}" in outcome.planned.decision.reason
    detail = bot_for(path).run_detail(outcome.run_id)
    assert detail is not None
    assert f"deposit of 1000 USDT since run {done.run_id}" in (detail.summary.reason or "")


async def test_an_asset_withdrawn_behind_the_bots_back_is_a_withdrawal(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config())
    bot = bot_for(path)
    done = await bot.rebalance(force=True)
    venue = bot.parts.venue
    assert isinstance(venue, PaperVenue)
    await venue.transfer_out("ETH", D("0.5"))
    view = await bot.portfolio()
    await bot.close()
    assert [(f.asset, f.amount) for f in view.cash_flows] == [("ETH", D("-0.5"))]
    assert view.cash_flows[0].words == f"withdrawal of 0.5 ETH since run {done.run_id}"


# -- withdraw on the paper exchange --------------------------------------------------------------------


async def test_withdraw_on_paper_sells_the_over_target_and_moves_the_cash_out(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config())
    bot = bot_for(path)
    before = await bot.portfolio()
    outcome = await bot.withdraw(D(1000))
    after_run = await bot.portfolio()
    await bot.close()
    run = outcome.run
    assert outcome.transferred
    assert outcome.ready == 1000
    assert {r.side for r in run.results} == {Side.SELL}  # BTC was over target: sold, nothing bought
    assert run.after is not None
    assert abs(run.after.total_value - (before.total_value - 1000)) < 10  # less fees
    for asset in run.after.assets:  # the rest is on target
        assert abs(run.after.weights[asset] - run.after.targets[asset]) < D("0.25"), asset
    assert after_run.cash_flows == ()  # the transfer is recorded: no unexplained cash flow
    detail = bot_for(path).run_detail(run.run_id)
    assert detail is not None
    assert detail.summary.command == "withdraw"
    assert len(detail.orders) == len(run.results)
    [record] = bot_for(path).parts.ledger.set_asides(open_only=False)
    assert (record.run_id, record.amount, record.released) == (run.run_id, D(1000), Released.TRANSFERRED)


async def test_the_account_agreement_check_passes_after_a_paper_withdrawal(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config())
    bot = bot_for(path)
    await bot.withdraw(D(500))
    await bot.close()
    again = bot_for(path)
    assert again.account_disagreement() is None
    outcome = await again.rebalance(force=True)  # refused if the account and the ledger disagreed
    await again.close()
    assert outcome.status == "completed"


async def test_withdraw_dry_run_records_the_plan_and_moves_nothing(write_config: Callable[..., Path]) -> None:
    path = write_config(config())
    bot = bot_for(path)
    outcome = await bot.withdraw(D(1000), dry_run=True)
    view = await bot.portfolio()
    await bot.close()
    assert outcome.run.mode == "dry-run"
    assert outcome.ready == 0
    assert outcome.run.planned.plan.orders  # the sells it would place
    assert view.snapshot.amount("USDT") == 2000


@pytest.mark.parametrize(
    ("amount", "asset", "message"),
    [
        (D(0), None, "AMOUNT: must be a positive number, got 0"),
        (D(-5), None, "AMOUNT: must be a positive number"),
        (D(10), "DOGE", "--asset: DOGE is not in the portfolio (its assets: BTC, ETH, USDT)"),
        (D(10**7), None, "AMOUNT: 10000000 USDT is worth 10000000 USDT, more than the whole portfolio"),
    ],
)
async def test_a_bad_withdrawal_is_one_line_of_bad_input(
    write_config: Callable[..., Path], amount: Decimal, asset: str | None, message: str
) -> None:
    bot = bot_for(write_config(config()))
    with pytest.raises(ConfigError) as raised:
        await bot.withdraw(amount, asset)
    await bot.close()
    assert message in str(raised.value)
    assert raised.value.exit_code == 2
    assert bot.history(5) == []  # nothing was recorded


async def test_a_withdrawal_only_external_holdings_could_pay_is_refused(
    write_config: Callable[..., Path],
) -> None:
    bot = bot_for(write_config(config("external: {BTC: 1}", balances="{USDT: 1000}")))
    with pytest.raises(ConfigError, match="cannot raise 5000 USDT"):
        await bot.withdraw(D(5000))
    await bot.close()


async def test_withdrawing_an_asset_buys_what_is_missing(write_config: Callable[..., Path]) -> None:
    path = write_config(config())
    bot = bot_for(path)
    outcome = await bot.withdraw(D("0.1"), "BTC")
    await bot.close()
    assert outcome.ready == D("0.1")
    assert outcome.transferred
    assert outcome.run.after is not None
    for asset in outcome.run.after.assets:
        assert abs(outcome.run.after.weights[asset] - outcome.run.after.targets[asset]) < D("0.5"), asset


# -- withdraw on a real exchange: the cash is set aside ------------------------------------------------


async def test_on_a_real_exchange_the_cash_is_set_aside_until_the_owner_withdraws_it(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config())
    bot = bot_for(path)
    paper = as_real_exchange(bot)
    outcome = await bot.withdraw(D(1000))
    assert not outcome.transferred
    assert outcome.ready == 1000
    assert outcome.run.after is not None
    assert outcome.run.after.snapshot.set_aside == {"USDT": D(1000)}
    kept = await bot.portfolio()
    assert kept.snapshot.set_aside == {"USDT": D(1000)}
    assert kept.snapshot.on_venue("USDT") - kept.snapshot.amount("USDT") == 1000
    assert kept.cash_flows == ()
    # The next run does not re-invest it: its buys fit the cash outside the set-aside.
    await paper.transfer_out("BTC", D("0.01"))  # the owner moves some BTC away: a run has to buy
    again = await bot.rebalance(force=True)
    spent = sum((r.cost for r in again.results if r.side is Side.BUY), D(0))
    got = sum((r.cost for r in again.results if r.side is Side.SELL), D(0))
    assert again.after is not None
    assert again.after.snapshot.on_venue("USDT") >= 1000
    assert spent <= got + kept.snapshot.free("USDT")
    # The owner withdraws it: the set-aside ends, and it is no cash flow (the withdraw run took it out).
    await paper.transfer_out("USDT", D(1000))
    gone = await bot.portfolio()
    assert gone.snapshot.set_aside == {}
    assert gone.cash_flows == ()
    await bot.rebalance()  # a live run releases it in the ledger
    await bot.close()
    [record] = bot_for(path).parts.ledger.set_asides(open_only=False)
    assert record.released is Released.WITHDRAWN


async def test_withdraw_cancel_gives_the_set_aside_back(write_config: Callable[..., Path]) -> None:
    path = write_config(config())
    bot = bot_for(path)
    as_real_exchange(bot)
    await bot.withdraw(D(700))
    released = await bot.cancel_withdrawals()
    view = await bot.portfolio()
    await bot.close()
    assert [(s.asset, s.amount) for s in released] == [("USDT", D(700))]
    assert view.snapshot.set_aside == {}
    assert view.cash_flows == ()  # the cancel is a run whose snapshot holds the cash again: no deposit
    [cancel, _] = bot_for(path).history(5)
    assert (cancel.command, cancel.status, cancel.rebalance) == ("withdraw-cancel", "completed", False)
    assert cancel.reason == "gave back what withdrawals set aside: 700 USDT (run 1)"


async def test_a_cancel_whose_portfolio_read_fails_ends_its_run_and_leaves_none_to_resume(
    write_config: Callable[..., Path],
) -> None:
    path = write_config(config())
    bot = bot_for(path)
    paper = as_real_exchange(bot)
    await bot.withdraw(D(700))

    class Down(RealExchange):
        async def fetch_balances(self) -> Any:
            raise TemporaryVenueError("the exchange is down (503)")

    object.__setattr__(bot.parts, "venue", Down(paper))
    with pytest.raises(TemporaryVenueError):
        await bot.cancel_withdrawals()
    ledger = bot.parts.ledger
    assert ledger.unfinished_run() is None, "a cancel never comes back as a rebalance of its own"
    [cancel, _] = bot.history(5)
    assert cancel.command == "withdraw-cancel"
    assert cancel.status != "running"
    await bot.close()

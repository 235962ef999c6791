"""Notifications of the guards: an asset frozen in a run (a halted market, a crash held back) goes out as
``frozen`` once, not again while it stays frozen; a run a guard stopped goes out as ``guard``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from configs import PAPER, yaml_config

from trimtab.app.assembly import build_bot
from trimtab.app.outcomes import RunOutcome
from trimtab.app.scheduler import CheckDone
from trimtab.config import load_config
from trimtab.config.notify_section import DEFAULT_EVENTS, NotifyEvent
from trimtab.errors import MarketUnsafe
from trimtab.notify import Delivery, Notifier
from trimtab.notify.messages import Message, Severity
from trimtab.notify.targets import Target

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def recorder(sent: list[Message]) -> Callable[[Target, Message, float], Delivery]:
    def send(target: Target, message: Message, timeout: float) -> Delivery:
        sent.append(message)
        return Delivery(target, True)

    return send


def frozen_outcome(outcome: RunOutcome, frozen: dict[str, str]) -> RunOutcome:
    view = outcome.planned.portfolio
    portfolio = replace(view, snapshot=replace(view.snapshot, frozen=frozen))
    return replace(outcome, planned=replace(outcome.planned, portfolio=portfolio))


async def test_a_frozen_asset_is_sent_once_while_it_stays_frozen(write_config: Callable[..., Path]) -> None:
    exchange = {**PAPER, "markets": {"SOL/USDT": {"status": "halted"}}}
    path = write_config(yaml_config(exchange=exchange))
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    try:
        halted = await bot.rebalance(force=True)
    finally:
        await bot.close()
    crashed = frozen_outcome(
        halted, {**halted.planned.portfolio.snapshot.frozen, "BNB": "BNB fell 35 % in 24 h"}
    )
    assert NotifyEvent.FROZEN in DEFAULT_EVENTS
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=recorder(sent))
    for outcome in (halted, halted, crashed, crashed, frozen_outcome(halted, {}), halted):
        notifier.report(CheckDone(outcome))
    await notifier.aclose()
    frozen = [m for m in sent if m.event is NotifyEvent.FROZEN]
    assert [m.title for m in frozen] == [
        "trimtab main: SOL frozen by a guard",
        "trimtab main: BNB frozen by a guard",
        "trimtab main: SOL frozen by a guard",  # thawed in between, frozen again
    ]
    assert frozen[0].severity is Severity.WARNING
    assert "- SOL: SOL/USDT is halted" in frozen[0].body
    assert "not traded; the rest of the portfolio is rebalanced around them" in frozen[0].body


async def test_a_run_stopped_by_a_guard_goes_out_as_guard() -> None:
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=recorder(sent))
    notifier.report(CheckDone(None, MarketUnsafe("USDT is off its peg: USDC/USDT trades at 0.96")))
    await notifier.aclose()
    [message] = sent
    assert message.event is NotifyEvent.GUARD
    assert "USDC/USDT trades at 0.96" in message.body

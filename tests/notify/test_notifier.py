"""The notifier, with real apprise posting to a real HTTP receiver on loopback and a real paper bot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from notify_receiver import Receiver

from trimtab.app.assembly import build_bot
from trimtab.app.outcomes import RunOutcome
from trimtab.app.scheduler import CheckDone, Scheduler, Sleeping
from trimtab.config import load_config
from trimtab.config.notify_section import NotifyEvent
from trimtab.errors import FatalVenueError, KillSwitchTripped, TemporaryVenueError
from trimtab.ledger.records import RunStatus
from trimtab.notify import Delivery, Notifier
from trimtab.notify.messages import Message
from trimtab.notify.targets import Target
from trimtab.redaction import register_secret

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
ALL = list(NotifyEvent)


async def outcome_of(path: Path, *, force: bool = False) -> RunOutcome:
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    try:
        return await bot.rebalance(force=force)
    finally:
        await bot.close()


async def test_a_rebalance_on_paper_sends_its_decision_orders_fees_and_value(
    write_config: Callable[..., Path],
) -> None:
    outcome = await outcome_of(write_config())
    assert outcome.status is RunStatus.COMPLETED
    with Receiver() as receiver:
        notifier = Notifier("main", [receiver.url()])
        notifier.report(CheckDone(outcome))
        notifier.report(Sleeping(NOW + timedelta(hours=1)))  # a wait is not sent
        await notifier.aclose()
        [post] = receiver.wait_for(1)
    assert post.title == f"trimtab main: rebalanced, {len(outcome.results)} orders"
    assert post.type == "success"
    body = post.message
    assert "Decision: rebalance: threshold: BTC is 46.93% against a target of 40%" in body
    for result in outcome.results:
        side, asset = result.side.value, result.symbol.split("/")[0]
        assert f"- {side} {result.filled.normalize():f} {asset} at " in body
    assert "- sell 0.01336 BTC at 93,576.00 USDT" in body
    assert "Fees: " in body
    assert f"(worth {outcome.fees_value:,.2f} USDT)" in body
    assert outcome.after is not None
    assert f"Value after: {outcome.after.total_value:,.2f} USDT" in body
    assert f"Run {outcome.run_id} (live), 2025-01-01 12:00 UTC" in body
    assert notifier.stats.sent == 1
    assert notifier.stats.failed == 0


async def test_skips_are_collapsed_to_one_an_hour_on_the_notifiers_clock(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    await outcome_of(path)  # now balanced: the next checks find nothing to do
    skip = await outcome_of(path)
    assert skip.status is RunStatus.SKIPPED
    now = [NOW]
    with Receiver() as receiver:
        notifier = Notifier("main", [receiver.url()], ALL, clock=lambda: now[0])
        for minutes in (0, 10, 20, 59, 61, 62):
            now[0] = NOW + timedelta(minutes=minutes)
            notifier.report(CheckDone(skip))
        await notifier.aclose()
        posts = receiver.wait_for(2)
    assert [p.title for p in posts] == ["trimtab main: nothing to do"] * 2
    assert all("Decision: no rebalance: " in p.message for p in posts)
    later = [p for p in posts if "more checks" in p.message]  # the two are sent in parallel threads
    assert len(later) == 1
    assert "3 more checks found nothing to do since 2025-01-01 12:10 UTC" in later[0].message
    assert notifier.stats.collapsed == 4


async def test_skips_are_not_sent_by_default(write_config: Callable[..., Path]) -> None:
    path = write_config()
    await outcome_of(path)
    skip = await outcome_of(path)
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=record_into(sent))
    notifier.report(CheckDone(skip))
    await notifier.aclose()
    assert sent == []


def record_into(sent: list[Message]) -> Callable[[Target, Message, float], Delivery]:
    def send(target: Target, message: Message, timeout: float) -> Delivery:
        sent.append(message)
        return Delivery(target, True)

    return send


async def test_every_failure_and_kill_switch_goes_out_however_often() -> None:
    with Receiver() as receiver:
        notifier = Notifier("main", [receiver.url()], clock=lambda: NOW)
        for _ in range(3):
            notifier.report(
                CheckDone(None, FatalVenueError("binance: -2015 Invalid API-key, IP, or permissions"))
            )
        notifier.kill_switch(KillSwitchTripped("kill switch: the last 3 runs failed"))
        await notifier.aclose()
        posts = receiver.wait_for(4)
    titles = sorted(p.title for p in posts)
    assert titles == ["trimtab main: kill switch tripped, trading stopped"] + ["trimtab main: run failed"] * 3
    failed = next(p for p in posts if p.title.endswith("run failed"))
    assert "Error: binance: -2015 Invalid API-key" in failed.message
    assert failed.type == "failure"


async def test_the_retries_of_one_outage_are_collapsed_to_one_message_an_hour() -> None:
    sent: list[Message] = []
    now = [NOW]
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=record_into(sent), clock=lambda: now[0])
    outage = TemporaryVenueError("binance: 503 Service Unavailable")
    for minutes in (0, 1, 3, 7, 15, 30, 61):  # the backoff's retries, failing again
        now[0] = NOW + timedelta(minutes=minutes)
        notifier.report(CheckDone(None, outage))
    notifier.report(CheckDone(None, FatalVenueError("binance: -2015 Invalid API-key")))  # not temporary: sent
    await notifier.aclose()
    texts = [m.body for m in sent]  # sent from parallel threads: in any order
    assert len(texts) == 3
    assert sum("503 Service Unavailable" in text and "not sent" not in text for text in texts) == 1
    assert sum("503 Service Unavailable (5 more failed retries not sent)" in text for text in texts) == 1
    assert sum("-2015" in text for text in texts) == 1
    assert notifier.stats.collapsed == 5


async def test_an_outage_after_a_successful_check_is_sent_at_once(write_config: Callable[..., Path]) -> None:
    path = write_config()
    done = await outcome_of(path)
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=record_into(sent), clock=lambda: NOW)
    outage = TemporaryVenueError("binance: 503 Service Unavailable")
    notifier.report(CheckDone(None, outage))
    notifier.report(CheckDone(done))  # the exchange answered again
    notifier.report(CheckDone(None, outage))  # a new outage, within the same hour
    await notifier.aclose()
    assert sorted(m.event for m in sent) == sorted(
        [NotifyEvent.FAILED, NotifyEvent.REBALANCED, NotifyEvent.FAILED]
    )


async def test_a_kill_switch_reported_as_a_failed_check_is_sent_as_a_kill_switch() -> None:
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=record_into(sent))
    notifier.report(CheckDone(None, KillSwitchTripped("kill switch: the last 3 runs failed")))
    await notifier.aclose()
    assert [m.event for m in sent] == [NotifyEvent.KILL_SWITCH]


async def test_a_receiver_answering_500_is_logged_and_counted_and_the_loop_goes_on(
    write_config: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    path = write_config()
    bot = build_bot(load_config(path), path, clock=lambda: NOW)
    with Receiver() as receiver:
        notifier = Notifier("main", [receiver.url("fail/tok3n-in-the-path"), receiver.url("ok")])
        scheduler = Scheduler(bot)
        events = []

        def report(event: CheckDone | Sleeping) -> None:
            events.append(event)
            notifier.report(event)
            if isinstance(event, Sleeping):
                scheduler.stop()  # the loop went on to wait for its next check: enough

        with caplog.at_level(logging.DEBUG):
            try:
                checks = await scheduler.run(report)
            finally:
                await bot.close()
            await notifier.aclose()
        posts = receiver.wait_for(1)
    assert checks == 1
    done, sleeping = events
    assert isinstance(done, CheckDone)
    assert done.outcome is not None
    assert done.outcome.status is RunStatus.COMPLETED  # the failing receiver stopped nothing
    assert isinstance(sleeping, Sleeping)
    assert [p.path for p in posts] == ["/ok"]
    assert notifier.stats.failed == 1
    assert notifier.stats.sent == 1
    warning = next(r for r in caplog.records if r.name == "trimtab.notify" and r.levelno == logging.WARNING)
    assert "not sent to urls[0] (json://127.0.0.1)" in warning.getMessage()
    assert "500" in warning.getMessage()
    assert "tok3n-in-the-path" not in caplog.text


async def test_a_send_that_hangs_is_given_up_after_the_timeout_and_one_that_raises_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stuck = threading.Event()

    def hang(target: Target, message: Message, timeout: float) -> Delivery:
        stuck.wait(30)
        return Delivery(target, True)

    def explode(target: Target, message: Message, timeout: float) -> Delivery:
        raise RuntimeError("plugin bug")

    try:
        hanging = Notifier("main", ["json://127.0.0.1:9/x"], send=hang, timeout=0.05)
        hanging.failure("boom")
        await hanging.aclose()
        assert hanging.stats.failed == 1
        assert "no answer in 0.05 s" in caplog.text
    finally:
        stuck.set()
    exploding = Notifier("main", ["json://127.0.0.1:9/x"], send=explode)
    exploding.failure("boom")
    await exploding.aclose()
    assert exploding.stats.failed == 1
    assert "RuntimeError: plugin bug" in caplog.text


async def test_no_secret_reaches_a_message() -> None:
    register_secret("sk-live-0123456789abcdef")
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], send=record_into(sent))
    notifier.failure(
        TemporaryVenueError("GET /api?signature=abc123 failed with key sk-live-0123456789abcdef")
    )
    await notifier.aclose()
    [message] = sent
    assert "sk-live-0123456789abcdef" not in message.body
    assert "abc123" not in message.body


async def test_events_not_chosen_are_not_sent_and_a_closed_notifier_sends_nothing() -> None:
    sent: list[Message] = []
    notifier = Notifier("main", ["json://127.0.0.1:9/x"], ["kill_switch"], send=record_into(sent))
    notifier.failure("network down")
    notifier.guard("price moved")
    await notifier.aclose()
    notifier.kill_switch("too many failures")
    assert sent == []


async def test_the_test_message_reports_every_target() -> None:
    with Receiver() as receiver:
        notifier = Notifier("main", [receiver.url("ok"), receiver.url("fail")])
        deliveries = await notifier.test()
        await notifier.aclose()
    assert [d.ok for d in deliveries] == [True, False]
    assert receiver.received[0].title == "trimtab main: test message"

"""Notifications on the command line: rebalance and run send through apprise to a real loopback
receiver; notify-test's exit codes; URLs never printed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from configs import yaml_config
from notify_receiver import Receiver
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()
SECRET_PATH = "hooks/s3cret-t0ken-path"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "TRIMTAB_NOTIFY_URLS": "", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def notified_config(write_config: Callable[..., Path], *urls: str) -> Path:
    return write_config(yaml_config(top={"notify": {"urls": list(urls)}} if urls else None))


def test_rebalance_sends_its_outcome(write_config: Callable[..., Path]) -> None:
    with Receiver() as receiver:
        path = notified_config(write_config, receiver.url(SECRET_PATH))
        code, out, err = invoke("rebalance", "-c", str(path), "--json")
        [post] = receiver.wait_for(1)
    assert code == 0, err
    run = json.loads(out)
    assert (
        post.title == f"trimtab trimtab: rebalanced, {len(run['results'])} orders"
    )  # named by the file's stem
    assert f"Run {run['run_id']} (live)" in post.message
    assert "s3cret-t0ken-path" not in out + err


def test_a_failing_receiver_neither_stops_nor_fails_the_rebalance(
    write_config: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver() as receiver:
        path = notified_config(write_config, receiver.url("fail/" + SECRET_PATH))
        code, out, err = invoke("rebalance", "-c", str(path), "--json")
        receiver.wait_for(1, attempts=True)
    assert code == 0
    assert json.loads(out)["status"] == "completed"
    # logged, not raised (on stderr outside pytest, whose log capture takes the record here)
    assert "not sent to notify.urls[0] (json://127.0.0.1)" in caplog.text
    assert "s3cret-t0ken-path" not in out + err + caplog.text
    code, out, _ = invoke("history", "-c", str(path), "--json")
    assert json.loads(out)["runs"][0]["status"] == "completed"


def test_run_sends_every_check_and_urls_may_come_from_the_environment(
    write_config: Callable[..., Path],
) -> None:
    with Receiver() as receiver:
        path = notified_config(write_config)
        code, _, err = invoke(
            "run", "-c", str(path), "--max-runs", "1", "--json", env={"TRIMTAB_NOTIFY_URLS": receiver.url()}
        )
        [post] = receiver.wait_for(1)
    assert code == 0, err
    assert post.title.startswith("trimtab trimtab: rebalanced")


def test_notify_test_exit_codes_and_json(write_config: Callable[..., Path]) -> None:
    with Receiver() as receiver:
        path = notified_config(write_config, receiver.url(SECRET_PATH))
        code, out, err = invoke("notify-test", "-c", str(path))
        assert code == 0, err
        assert out.strip() == "notify.urls[0] json://127.0.0.1: ok"
        assert receiver.wait_for(1)[0].title == "trimtab trimtab: test message"

        code, out, err = invoke(
            "notify-test", "-c", str(path), "--json", env={"TRIMTAB_NOTIFY_URLS": receiver.url("fail/x1")}
        )
        assert code == 1
        report = json.loads(out)
        assert report["ok"] is False
        assert [(t["where"], t["target"], t["ok"]) for t in report["targets"]] == [
            ("notify.urls[0]", "json://127.0.0.1", True),
            ("TRIMTAB_NOTIFY_URLS[0]", "json://127.0.0.1", False),
        ]
        assert "500" in report["targets"][1]["error"]
        assert "1 of 2 notification targets failed" in err
    assert "s3cret-t0ken-path" not in out + err


def test_notify_test_without_urls_says_how_to_configure_them(write_config: Callable[..., Path]) -> None:
    code, out, err = invoke("notify-test", "-c", str(notified_config(write_config)))
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert "notify.urls: no notification URL is configured" in line
    assert "TRIMTAB_NOTIFY_URLS" in line


@pytest.mark.parametrize("command", ["validate", "rebalance", "run", "notify-test"])
def test_a_url_apprise_does_not_know_is_bad_input_before_anything_runs(
    write_config: Callable[..., Path], command: str
) -> None:
    path = notified_config(write_config, "json://127.0.0.1:9/ok", "foo://me:p4ssw0rd-x@example.com")
    code, out, err = invoke(command, "-c", str(path))
    assert code == 2
    [line] = err.strip().splitlines()
    assert "notify.urls[1]: unknown notification scheme foo://" in line
    assert "p4ssw0rd-x" not in out + err
    code, out, _ = invoke("history", "-c", str(path), "--json")
    assert json.loads(out)["runs"] == []


async def test_a_kill_switch_ending_run_is_sent_and_the_notifier_closed(
    write_config: Callable[..., Path],
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime
    from io import StringIO

    from flaky_venue import FlakyVenue
    from rich.console import Console

    from trimtab.app.assembly import build_bot
    from trimtab.app.service import Bot
    from trimtab.cli.run_loop import run_loop
    from trimtab.config import load_config
    from trimtab.errors import KillSwitchTripped, OrderRejected
    from trimtab.model.orders import OrderRequest
    from trimtab.notify import Notifier

    path = write_config(yaml_config(risk={"max_consecutive_failures": 1}))
    built = build_bot(load_config(path), path, clock=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    venue = FlakyVenue(built.parts.venue)

    def reject(request: OrderRequest) -> None:
        raise OrderRejected("Account has insufficient balance for requested action.")

    venue.before_place = reject
    failing = Bot(replace(built.parts, venue=venue))
    with pytest.raises(OrderRejected):
        await failing.rebalance()
    bot = build_bot(load_config(path), path, clock=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    with Receiver() as receiver:
        notifier = Notifier("main", [receiver.url()])
        try:
            with pytest.raises(KillSwitchTripped):
                await run_loop(bot, out=Console(file=StringIO()), as_json=False, notifier=notifier)
        finally:
            await bot.close()
            await failing.close()
        [post] = receiver.wait_for(1)
    assert post.title == "trimtab main: kill switch tripped, trading stopped"
    assert "insufficient balance" in post.message
    assert notifier.stats.sent == 1
    notifier.failure("after the end")  # closed: sends nothing, raises nothing
    assert notifier.stats.sent == 1


def test_a_refused_rebalance_tells_how_to_lift_the_kill_switch_in_the_commands_words(
    write_config: Callable[..., Path],
) -> None:
    # The kill switch's message names the way out as the front end sending it spells it (here the
    # command line), not the parameter's internal name "override_kill_switch".
    from datetime import UTC, datetime, timedelta

    from trimtab.app.portfolio_home import open_ledger
    from trimtab.config import load_config

    with Receiver() as receiver:
        path = write_config(
            yaml_config(risk={"max_consecutive_failures": 2}, top={"notify": {"urls": [receiver.url("k")]}})
        )
        with open_ledger(load_config(path), path) as store:
            for hour in (10, 11):
                at = datetime(2024, 12, 31, hour, tzinfo=UTC)
                run_id = store.start_run(
                    command="run", venue="paper", mode="live", forced=False, started_at=at, config_digest="t"
                )
                store.finish_run(run_id, "failed", at + timedelta(seconds=2), "order rejected: min notional")
        code, _, err = invoke("rebalance", "-c", str(path))
        [post] = receiver.wait_for(1)
    assert code == 1, err
    assert post.title == "trimtab trimtab: kill switch tripped, trading stopped"
    assert "`trimtab rebalance --override-kill-switch`" in post.message
    assert "override_kill_switch" not in post.message

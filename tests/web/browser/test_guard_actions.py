"""The "Resume buying" button of an asset the crash guard holds back, in Debian's chromium: the
confirmation names the asset, the token is asked for once, the hold ends in the ledger and the section
leaves the page without a reload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from dashboard import TOKEN, Dashboard, Watched
from serving import cli_json

from trimtab.app.portfolio_home import open_ledger
from trimtab.config import load_config
from trimtab.ledger.records import GuardFinding, GuardKind

pytestmark = pytest.mark.slow


def hold(dashboard: Dashboard, name: str, asset: str) -> None:
    """A crash hold on ``asset``, recorded (while served) by a run as the bot's crash guard records one."""
    config = dashboard.configs[name]
    at = datetime(2024, 12, 31, 9, 0, tzinfo=UTC)
    with open_ledger(load_config(config), config) as store:
        run_id = store.start_run(
            command="run", venue="paper", mode="live", forced=False, started_at=at, config_digest="t"
        )
        store.record_guards(run_id, [GuardFinding(GuardKind.CRASH, asset, f"{asset} fell 42 % in 24 h")], at)
        store.finish_run(run_id, "skipped", at + timedelta(seconds=1), None)


def test_resume_buying_ends_the_hold_and_the_page_updates_without_a_reload(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    hold(dashboard, "core", "SOL")
    watched = open_page()
    page = watched.page
    page.goto(f"{dashboard.url}/p/core")
    page.evaluate("window.__stay = 1")
    button = page.locator('#guards-section button[data-action="resume-guard"][data-asset="SOL"]')
    button.click()
    page.locator("dialog#confirm[open]").wait_for()
    assert "Resume buying SOL in core?" in page.locator("#confirm-text").inner_text()
    page.locator('dialog#confirm button[value="confirm"]').click()
    page.locator("dialog#token[open]").wait_for()
    page.locator('dialog#token input[name="token"]').fill(TOKEN)
    page.locator('dialog#token button[value="save"]').click()
    page.locator("#guards-section").wait_for(state="detached")
    assert "SOL in core is no longer held back" in page.locator("#flash.ok").inner_text()
    assert cli_json("guards", "-c", str(dashboard.configs["core"])) == {"holds": []}
    assert page.evaluate("window.__stay === 1")  # no reload
    assert watched.errors == []

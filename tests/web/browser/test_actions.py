"""The dashboard's actions in Debian's chromium, as a person does them: a button, the confirmation, the
API token once per browser session; the pages then update live, without a reload. A wrong token is
refused and nothing runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from dashboard import TOKEN, Dashboard, Watched
from serving import cli_json

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

REFUSED = "the server responded with a status of 401"  # chromium logs a refused request itself


def run_ids(dashboard: Dashboard, name: str) -> list[int]:
    return [run["run_id"] for run in cli_json("history", "-c", str(dashboard.configs[name]))["runs"]]


def act(page: Page, action: str, *, token: str | None) -> None:
    """Press the action's button and confirm; give ``token`` when the page asks for it (either dialog
    may come first). ``token=None``: the page must not ask (it kept the token of this session)."""
    page.locator(f'button[data-action="{action}"]').click()
    confirmed, asked = False, token is None
    while not (confirmed and asked):
        opened = page.locator("dialog[open]")
        opened.wait_for()
        which = opened.get_attribute("id")
        if which == "confirm":
            assert not confirmed, "asked to confirm twice"
            page.locator('dialog#confirm button[value="confirm"]').click()
            confirmed = True
        else:
            assert which == "token", f"an unexpected dialog: {which}"
            assert token is not None, "asked for the token again in the same session"
            page.locator('dialog#token input[name="token"]').fill(token)
            page.locator('dialog#token button[value="save"]').click()
            asked = True
        page.locator(f"dialog#{which}[open]").wait_for(state="detached")


def stay(page: Page) -> None:
    """Mark the loaded document: the mark survives only if the page never navigates or reloads."""
    page.evaluate("window.__stay = 1")


def stayed(page: Page) -> bool:
    return bool(page.evaluate("window.__stay === 1"))


def test_a_wrong_token_is_refused_and_nothing_runs(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    before = run_ids(dashboard, "core")
    watched = open_page()
    page = watched.page
    page.goto(f"{dashboard.url}/p/core")
    stay(page)
    act(page, "rebalance", token=TOKEN + "-wrong")
    flash = page.locator("#flash.error")
    flash.wait_for()
    assert flash.inner_text().strip()
    assert run_ids(dashboard, "core") == before
    assert stayed(page)
    assert [e for e in watched.errors if REFUSED not in e] == []


def test_rebalance_with_the_token_shows_the_new_run_without_a_reload(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    before = run_ids(dashboard, "core")
    new = max(before) + 1
    watched = open_page()
    page = watched.page
    overview = watched.page.context.new_page()  # the overview, open in another tab of the session
    overview.goto(dashboard.url + "/")
    last_run = 'tr[data-portfolio="core"] td[data-field="last-run"]'
    overview_before = overview.locator(last_run).inner_text()
    stay(overview)
    page.goto(f"{dashboard.url}/p/core")
    assert page.locator("table#planned-orders").count() == 1  # drifted: a rebalance is due
    stay(page)
    act(page, "rebalance", token=TOKEN)
    page.locator(f'table#runs tbody tr[data-run-id="{new}"]').wait_for()
    assert stayed(page)
    assert run_ids(dashboard, "core") == [new, *before]
    assert page.locator("#flash.error").count() == 0
    # the token stays in this tab's session, never beyond it
    assert page.evaluate(f"Object.values(sessionStorage).includes({TOKEN!r})")
    assert not page.evaluate(f"Object.values(localStorage).some(v => v.includes({TOKEN!r}))")
    assert all(TOKEN not in cookie["value"] for cookie in page.context.cookies())
    # the other tab updates too
    overview.wait_for_function(
        "([selector, old]) => document.querySelector(selector).innerText !== old",
        arg=[last_run, overview_before],
    )
    assert stayed(overview)
    assert watched.errors == []


def test_pause_and_resume_change_the_state_and_ask_for_the_token_once(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    watched = open_page()
    page = watched.page
    page.goto(f"{dashboard.url}/p/monthly")
    state = page.locator("#state")
    assert "running" in state.inner_text().lower()
    stay(page)
    act(page, "pause", token=TOKEN)
    page.wait_for_function("() => /paused/i.test(document.querySelector('#state').innerText)")
    assert served_state(dashboard, "monthly") == "paused"
    act(page, "resume", token=None)
    page.wait_for_function("() => /running/i.test(document.querySelector('#state').innerText)")
    assert served_state(dashboard, "monthly") == "running"
    assert stayed(page)
    assert watched.errors == []


def served_state(dashboard: Dashboard, name: str) -> str:
    """The portfolio's state as the server's own API reports it (``/health``)."""
    answer = httpx.get(dashboard.url + "/health", timeout=30)
    return str(answer.json()["portfolios"][name]["state"])


def test_enter_in_the_token_field_saves_the_token_and_acts(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    """The keyboard way: type the token, press Enter (the form's implicit submission would otherwise
    press its first button, Cancel, and drop the action without a word)."""
    watched = open_page()
    page = watched.page
    page.goto(f"{dashboard.url}/p/monthly")
    page.locator('button[data-action="pause"]').focus()
    page.keyboard.press("Enter")
    page.locator("dialog#confirm[open]").wait_for()
    page.locator('dialog#confirm button[value="confirm"]').click()
    page.locator("dialog#token[open]").wait_for()
    page.keyboard.press("Enter")  # empty: refused by the field, the dialog stays open
    assert page.locator("dialog#token[open]").count() == 1
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_function("() => /paused/i.test(document.querySelector('#state').innerText)")
    assert served_state(dashboard, "monthly") == "paused"
    act(page, "resume", token=None)
    page.wait_for_function("() => /running/i.test(document.querySelector('#state').innerText)")
    assert watched.errors == []


def test_a_live_update_keeps_the_keyboard_focus_and_the_scroll_where_they_were(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    watched = open_page()
    page = watched.page
    page.goto(f"{dashboard.url}/p/core")
    page.locator('button[data-action="pause"]').focus()
    refreshed(page, dashboard)
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.dataset.action]")
    assert focused == ["BUTTON", "pause"]
    page.locator("#equity-details summary").click()  # opened, and focused, far down the page
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    refreshed(page, dashboard)
    assert page.evaluate("window.scrollY") == scrolled
    assert page.evaluate("document.activeElement.parentElement.id") == "equity-details"
    assert page.evaluate("document.getElementById('equity-details').open")
    assert watched.errors == []


def test_a_live_update_leaves_a_page_that_did_not_change_alone(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    """A run page does not change when another run happens: its DOM (and the reader's selection in it)
    stays as it is, instead of being swapped for the same HTML every few seconds."""
    watched = open_page()
    page = watched.page
    page.goto(f"{dashboard.url}/p/core/runs/1")
    refreshed(page, dashboard)  # the first update swaps in the fragment once
    page.evaluate("document.querySelector('main h1').dataset.mark = 'kept'")
    refreshed(page, dashboard)
    assert page.evaluate("document.querySelector('main h1').dataset.mark") == "kept"
    assert watched.errors == []


def refreshed(page: Page, dashboard: Dashboard) -> None:
    """Change what /health says (pause and resume ``monthly`` through the API) and wait until the page
    swapped in its new content."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for action in ("pause", "resume"):  # each a change of state: each refreshes the page
        before = page.locator("#live-note").inner_text()
        answer = httpx.post(f"{dashboard.url}/api/portfolios/monthly/{action}", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        page.wait_for_function(
            "old => document.querySelector('#live-note').innerText !== old", arg=before, polling=100
        )

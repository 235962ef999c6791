"""The dashboard's pages in Debian's chromium, read from the DOM: they show what ``trimtab status --json``,
``plan --json`` and ``history --json`` say, carry no inline script, log no console error, and stay
readable at 1280x800 and at a phone's 390 px (screenshots in build/screenshots/; docs/dashboard.png is
the README's). Nothing here changes a portfolio: the actions are in test_actions.py."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dashboard import DESKTOP, PHONE, README_SCREENSHOT, Dashboard, Watched, agrees
from serving import cli_json

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

PAGES = {
    "overview": "/",
    "portfolio-core": "/p/core",
    "portfolio-monthly": "/p/monthly",
    "history-core": "/p/core/history",
    "run-core-1": "/p/core/runs/1",
    "backtests": "/backtests",
}
ASSET_FIELDS = {
    "amount": "amount",
    "price": "price",
    "value": "value",
    "weight": "current",
    "target": "target",
}


def status(dashboard: Dashboard, name: str) -> dict[str, Any]:
    return cli_json("status", "-c", str(dashboard.configs[name]))  # type: ignore[no-any-return]


def cell(page: Page, row: str, field: str) -> str:
    return page.locator(f'{row} td[data-field="{field}"]').inner_text()


def loaded(watched: Watched, url: str) -> Page:
    page = watched.page
    answer = page.goto(url, wait_until="load")
    assert answer is not None
    assert answer.status == 200, f"{url}: {answer.status}"
    page.evaluate("document.fonts.ready")
    return page


def test_the_overview_shows_each_portfolio_as_status_json_does(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    page = loaded(open_page(), dashboard.url + "/")
    for name, state in [("core", "paused"), ("monthly", "running")]:
        row = f'table#portfolios tbody tr[data-portfolio="{name}"]'
        truth = status(dashboard, name)
        assert agrees(cell(page, row, "value"), truth["total_value"]), (name, cell(page, row, "value"))
        largest = max((Decimal(w["drift"]) for w in truth["weights"].values()), key=abs)
        drift = cell(page, row, "drift")
        assert agrees(drift, largest) or agrees(drift, abs(largest)), (name, drift, largest)
        assert state in cell(page, row, "state").lower()
        assert page.locator(f'{row} a[href="/p/{name}"]').count() >= 1
    # the last run and the next check of the portfolio checked at start
    assert cell(page, 'tr[data-portfolio="monthly"]', "last-run").strip()
    assert cell(page, 'tr[data-portfolio="monthly"]', "next-check").strip()
    assert cell(page, 'tr[data-portfolio="core"]', "last-run").strip()  # its last run, in 2024
    page.locator('tr[data-portfolio="core"] a[href="/p/core"]').first.click()
    page.wait_for_url("**/p/core")
    assert page.locator('table#allocation tbody tr[data-asset="BTC"]').count() == 1


@pytest.mark.parametrize("name", ["core", "monthly"])
def test_the_portfolio_page_shows_the_allocation_status_json_gives(
    dashboard: Dashboard, open_page: Callable[..., Watched], name: str
) -> None:
    page = loaded(open_page(), f"{dashboard.url}/p/{name}")
    truth = status(dashboard, name)
    assert agrees(page.locator('[data-field="total-value"]').first.inner_text(), truth["total_value"])
    rows = page.locator("table#allocation tbody tr[data-asset]")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.asset)")) == sorted(truth["weights"])
    for asset, weight in truth["weights"].items():
        row = f'table#allocation tbody tr[data-asset="{asset}"]'
        for field, key in [*ASSET_FIELDS.items(), ("drift", "drift")]:
            text = cell(page, row, field)
            assert agrees(text, weight[key]), (
                f"{name} {asset} {field}: shows {text!r}, status says {weight[key]}"
            )
    assert page.locator("#decision").inner_text().strip()
    assert page.locator("svg#allocation-chart").count() == 1
    # the curve, or (one moment recorded so far: monthly, checked once at start) the note saying so
    assert page.locator("svg#equity-chart, p#equity-empty").count() == 1
    for period in ("month", "year", "all"):
        assert page.locator(f'#fees [data-period="{period}"]').inner_text().strip()
    runs = [run["run_id"] for run in cli_json("history", "-c", str(dashboard.configs[name]))["runs"]]
    shown = page.locator("table#runs tbody tr[data-run-id]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.runId))"
    )
    assert shown == runs[: len(shown)]
    assert shown, "no recent runs shown"


def test_a_due_rebalance_shows_its_planned_orders(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    plan = cli_json("plan", "-c", str(dashboard.configs["core"]))
    assert plan["decision"]["rebalance"]  # core is drifted, paused, so never rebalanced by serve
    page = loaded(open_page(), f"{dashboard.url}/p/core")
    assert "paused" in page.locator("#state").inner_text().lower()
    orders = page.locator("table#planned-orders tbody tr")
    assert orders.count() == len(plan["orders"])
    text = orders.all_inner_texts()
    for order, shown in zip(plan["orders"], text, strict=True):
        assert order["symbol"].split("/")[0] in shown
        assert order["side"] in shown.lower()


def test_the_history_page_lists_every_run_with_its_status(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    page = loaded(open_page(), f"{dashboard.url}/p/core/history")
    runs = cli_json("history", "-c", str(dashboard.configs["core"]))["runs"]
    for run in runs:
        row = f'table#history tbody tr[data-run-id="{run["run_id"]}"]'
        assert run["status"] in cell(page, row, "status").lower()
    assert page.locator("table#history tbody tr[data-run-id]").count() == len(runs)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_every_page_is_clean_and_fits_the_screen(
    dashboard: Dashboard,
    open_page: Callable[..., Watched],
    screenshots: Callable[[Page, str], Path],
    viewport: dict[str, int],
) -> None:
    """No console error or uncaught exception, no inline script, the shared layout, and at 390 px no
    sideways scrolling of the page (a wide table scrolls inside its own box)."""
    watched = open_page(**viewport)
    for name, path in PAGES.items():
        page = loaded(watched, dashboard.url + path)
        assert page.locator("main#content").count() == 1, path
        assert page.locator('nav a[href="/"]').count() >= 1, path
        assert page.locator('nav a[href="/backtests"]').count() >= 1, path
        assert page.locator("script:not([src])").count() == 0, f"{path}: an inline script"
        screenshots(page, f"{name}-{viewport['width']}x{viewport['height']}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"{path} is {width} px wide at {viewport['width']} px"
    assert watched.errors == []


def test_a_backtest_report_is_listed_and_opens_with_its_charts(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    watched = open_page()
    page = loaded(watched, dashboard.url + "/backtests")
    page.locator('a[href="/backtests/monthly.html"]').click()
    page.wait_for_url("**/backtests/monthly.html")
    page.locator(".plotly svg").first.wait_for()  # plotly ran inside the report's sandbox
    assert watched.errors == []


def test_the_readme_screenshot_is_the_portfolio_page(
    dashboard: Dashboard, open_page: Callable[..., Watched]
) -> None:
    """docs/dashboard.png: the drifted portfolio at 1280x800, from deterministic data (the fixed clock);
    rewritten only when the page looks different."""
    page = loaded(open_page(**DESKTOP), f"{dashboard.url}/p/core")
    picture = page.screenshot(animations="disabled")
    if not README_SCREENSHOT.exists() or README_SCREENSHOT.read_bytes() != picture:
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        README_SCREENSHOT.write_bytes(picture)
    assert README_SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

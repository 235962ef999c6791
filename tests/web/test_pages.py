"""The dashboard's pages of a real ``trimtab serve`` process, read over real HTTP and parsed: each page
shows what ``status --json`` (and the ledger) say, keeps the DOM contract the browser tests rely on,
ships its assets itself, and carries a strict Content-Security-Policy.

Served: ``busy`` (a ledger with 1,000 past runs), ``waiting`` (paused before it ever ran: a rebalance is
due), ``taxed`` (a US ``tax:`` section with an imported history), ``halted`` (two failed runs: its kill switch
trips at start) and a folder of backtest reports.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from busy_ledger import fill_ledger
from configs import yaml_config
from dom import Element, parse
from serving import Served, cli_json, environment, run_cli, serve

from trimtab.app.portfolio_home import open_ledger
from trimtab.config import load_config
from trimtab.web.backtests import backtests_page, report_named

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]

TOKEN = "test-token-8d2a61c0f4"
RUNS = 1000
ODD_REPORT = "q?x#y 50% ü.html"  # a name whose characters mean something in a URL
HISTORY_CSV = (
    "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
    "2024-01-20T12:00:00Z,paper,buy,BTC,0.09053,44000,,\n"
    "2024-01-20T12:00:00Z,paper,buy,ETH,1.2754,2350,,\n"
    "2024-01-20T12:00:00Z,paper,buy,SOL,13.647,110,,\n"
    "2024-01-20T12:00:00Z,paper,buy,BNB,3.189,315,,\n"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pages")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Served]:
    (folder / "busy.yaml").write_text(yaml_config(data_dir="busy-data"), encoding="utf-8")
    fill_ledger(folder / "busy.yaml", RUNS)
    (folder / "waiting.yaml").write_text(yaml_config(data_dir="waiting-data"), encoding="utf-8")
    (folder / "waiting-data").mkdir()
    (folder / "waiting-data" / "trimtab-paused.json").write_text(
        '{"paused_at": "2025-01-01T00:00:00+00:00"}\n'
    )
    (folder / "taxed.yaml").write_text(
        yaml_config(data_dir="taxed-data", tax={"jurisdiction": "us"}), encoding="utf-8"
    )
    (folder / "history.csv").write_text(HISTORY_CSV, encoding="utf-8")
    imported = run_cli("tax", "import", str(folder / "history.csv"), "-c", str(folder / "taxed.yaml"))
    assert imported.returncode == 0, imported.stderr
    (folder / "halted.yaml").write_text(
        yaml_config(data_dir="halted-data", risk={"max_consecutive_failures": 2}), encoding="utf-8"
    )
    record_failed_runs(folder / "halted.yaml", 2)
    reports = folder / "reports"
    (reports / "sub").mkdir(parents=True)
    (reports / "sweep.html").write_text("<!doctype html><title>sweep</title><p>report</p>", encoding="utf-8")
    (reports / "sub" / "inner.html").write_text("<p>inner</p>", encoding="utf-8")
    (reports / ODD_REPORT).write_text("<p>odd</p>", encoding="utf-8")
    (folder / "secret.html").write_text("<p>outside</p>", encoding="utf-8")
    os.symlink(folder / "secret.html", reports / "link.html")
    served = serve(
        folder / "busy.yaml",
        folder / "waiting.yaml",
        folder / "taxed.yaml",
        folder / "halted.yaml",
        extra=["--backtests", str(reports)],
        env=environment(token=TOKEN),
    )
    served.listening()
    served.sleeping("busy")
    served.sleeping("taxed")
    served.until(lambda e: e["event"] == "state" and e.get("portfolio") == "halted")
    yield served
    code, stderr = served.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def record_failed_runs(config_path: Path, count: int) -> None:
    """``count`` live runs that failed for good (an order refused), as the bot records them."""
    with open_ledger(load_config(config_path), config_path) as store:
        for index in range(count):
            at = datetime(2024, 12, 31, 10 + index, tzinfo=UTC)
            run_id = store.start_run(
                command="run", venue="paper", mode="live", forced=False, started_at=at, config_digest="t"
            )
            store.finish_run(run_id, "failed", at + timedelta(seconds=2), "order rejected: min notional")


@pytest.fixture
def http(server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def page(client: httpx.Client, path: str) -> Element:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    return parse(answer.text)


def status_of(folder: Path, name: str) -> dict[str, object]:
    data: dict[str, object] = cli_json("status", "-c", str(folder / f"{name}.yaml"))
    return data


def grouped(text: str) -> str:
    """An amount or a price of a document as the pages show it: every digit, the integer ones grouped
    by commas."""
    whole, dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{dot}{fraction}"


def money(text: str) -> str:
    """A value of money as the pages (and ``trimtab status``) show it: 2 decimals, half to even, grouped."""
    return format(Decimal(text), ",.2f")


def weight(text: str) -> str:
    """A weight or target: 2 decimals and ``%``."""
    return format(Decimal(text), ".2f") + "%"


def drift_points(text: str) -> str:
    """A drift: signed percentage points with 2 decimals, a typographic minus (``−5.00 pts``)."""
    return format(Decimal(text), "+.2f").replace("-", "\u2212") + " pts"


def check_frame(document: Element) -> None:
    """What every page has: main#content, a nav to / and /backtests, no inline script or style."""
    assert document.one("main", id="content")
    nav = document.one("nav", aria_label="Main")
    hrefs = {a.get("href") for a in nav.all("a")}
    assert {"/", "/backtests"} <= hrefs
    for script in document.all("script"):
        assert script.get("src"), "no inline script"
        assert not script.text, "no inline script"
    for element in document.walk():
        assert "style" not in element.attrs, element.tag
        assert not any(name.startswith("on") for name in element.attrs), element.tag


def test_the_overview_shows_each_portfolio_as_status_json_does(http: httpx.Client, folder: Path) -> None:
    document = page(http, "/")
    check_frame(document)
    table = document.one("table", id="portfolios")
    for name in ("busy", "waiting", "taxed"):
        status = status_of(folder, name)
        row = table.one("tr", data_portfolio=name)
        assert row.one("a", href=f"/p/{name}")
        value = row.one("td", data_field="value")
        assert value.get("data-value") == status["total_value"]
        assert value.text == f"{money(str(status['total_value']))} {status['quote']}"
        weights = status["weights"]
        assert isinstance(weights, dict)
        worst = max(weights, key=lambda a: abs(Decimal(weights[a]["drift"])))
        drift = row.one("td", data_field="drift")
        assert (drift.get("data-asset"), drift.get("data-value")) == (worst, weights[worst]["drift"])
        assert f"{worst} {drift_points(weights[worst]['drift'])}" in drift.text
        assert row.one("td", data_field="next-check")
    busy = table.one("tr", data_portfolio="busy")
    assert busy.one("td", data_field="state").text == "running"
    assert busy.one("td", data_field="last-run").get("data-run-id") == str(RUNS + 1)
    waiting = table.one("tr", data_portfolio="waiting")
    assert waiting.one("td", data_field="state").text == "paused"
    assert waiting.one("td", data_field="last-run").text == "no run yet"
    assert waiting.one("td", data_field="next-check").text == "—"


def test_the_portfolio_page_shows_the_allocation_of_status_json(http: httpx.Client, folder: Path) -> None:
    document = page(http, "/p/busy")
    check_frame(document)
    status = status_of(folder, "busy")
    total = document.one(None, data_field="total-value")
    assert (total.text, total.get("data-value")) == (
        money(str(status["total_value"])),
        status["total_value"],
    )
    table = document.one("table", id="allocation")
    weights = status["weights"]
    assert isinstance(weights, dict)
    assert [row.get("data-asset") for row in table.all("tr", data_asset=True)] == list(weights)
    for asset, w in weights.items():
        row = table.one("tr", data_asset=asset)
        for field, key, shown in [
            ("amount", "amount", grouped),
            ("price", "price", grouped),
            ("value", "value", money),
            ("weight", "current", weight),
            ("target", "target", weight),
            ("drift", "drift", drift_points),
        ]:
            cell = row.one("td", data_field=field)
            assert (cell.text, cell.get("data-value")) == (shown(w[key]), w[key]), (asset, field)
    assert all(
        th.get("scope") == "col"
        for th in table.all("th")
        if th.parent and th.parent.parent and th.parent.parent.tag == "thead"
    )
    chart = document.one("svg", id="allocation-chart")
    assert chart.one("title", id="allocation-chart-title").text
    assert chart.one("desc", id="allocation-chart-desc").text
    assert {g.get("data-asset") for g in chart.all("g", data_asset=True)} == set(weights)
    assert document.one("svg", id="equity-chart").one("title", id="equity-chart-title").text
    assert document.one("details", id="equity-details").one("table", id="equity")
    assert document.by_id("state").text == "running"
    decision = document.by_id("decision")
    assert decision.get("data-rebalance") == "false"
    assert "inside the band" in decision.text
    assert not document.all("table", id="planned-orders")
    fees = document.by_id("fees")
    assert {e.get("data-period") for e in fees.all(None, data_period=True)} == {"month", "year", "all"}
    # the archive's 100 trading runs paid 0.00001 USDT and 0.00001 BTC (valued at the fill price) each
    all_time = fees.one(None, data_period="all").one("span", data_value=True)
    month = fees.one(None, data_period="month").one("span", data_value=True)
    assert Decimal(all_time.get("data-value") or "0") > Decimal(month.get("data-value") or "0") > 0
    runs = document.one("table", id="runs")
    assert [row.get("data-run-id") for row in runs.all("tr", data_run_id=True)] == [
        str(RUNS + 1 - i) for i in range(10)
    ]
    for action in ("rebalance", "pause", "resume"):
        button = document.one("button", data_action=action)
        assert button.get("data-portfolio") == "busy"
        assert "disabled" not in button.attrs
    confirm = document.one("dialog", id="confirm")
    assert confirm.one("button", value="confirm")
    assert confirm.one("button", value="cancel")
    token = document.one("dialog", id="token")
    assert token.one("input", name="token").get("type") == "password"
    assert token.one("button", value="save")
    flash = document.by_id("flash")
    assert flash.get("role") == "status"
    assert flash.parent is not None
    assert flash.parent.tag == "body"  # outside main: live updates keep it


def test_a_due_rebalance_lists_the_planned_orders_of_plan_json(http: httpx.Client, folder: Path) -> None:
    document = page(http, "/p/waiting")
    assert document.by_id("state").text == "paused"
    assert document.by_id("decision").get("data-rebalance") == "true"
    plan = cli_json("plan", "-c", str(folder / "waiting.yaml"))
    rows = document.one("table", id="planned-orders").all("tr", data_leg=True)
    assert [row.get("data-leg") for row in rows] == [str(o["leg"]) for o in plan["orders"]]
    for row, order in zip(rows, plan["orders"], strict=True):
        assert row.one("td", data_field="amount").get("data-value") == order["amount"]
        assert row.one("td", data_field="side").text == order["side"]
    assert plan["decision"]["reason"] in document.by_id("decision").text
    assert document.one("p", data_empty="runs")  # it never ran


def test_a_portfolio_without_a_curve_yet_says_so_in_text_that_wraps(http: httpx.Client) -> None:
    """An SVG <text> neither wraps nor shrinks: on a phone the sentence was cut off at the edge."""
    equity = page(http, "/p/waiting").one("section", id="equity-section")
    assert not equity.all("svg")
    assert "Not enough history yet" in equity.one("p", id="equity-empty").text
    assert not equity.all("details")  # no empty table behind a "0 of 0 points" summary


def test_a_portfolio_stopped_by_its_kill_switch_says_why_and_what_to_do(http: httpx.Client) -> None:
    document = page(http, "/p/halted")
    assert document.by_id("state").text == "kill_switch"
    note = document.by_id("kill-switch")
    assert "Resume" in note.text
    assert note.one("a").get("href") == "/p/halted/history?status=failed"
    assert not page(http, "/p/busy").all("p", id="kill-switch")


def test_the_tax_section_shows_the_year_the_maturing_lots_and_the_candidates(http: httpx.Client) -> None:
    tax = page(http, "/p/taxed").by_id("tax")
    assert "US tax year 2025" in tax.text
    assert not tax.all("p", class_="error"), tax.text
    assert tax.one("ul", id="tax-totals").all("li")
    assert tax.by_id("estimated-tax").get("data-value") is not None
    # bought on 2024-01-20: long-term from 2025-01-21, within 30 days of the served clock (2025-01-01)
    lots = tax.one("table", id="maturing-lots").all("tr", data_lot=True)
    assert lots
    assert {row.one("td", data_field="matures").text for row in lots} == {"2025-01-21"}
    assert tax.all("table", id="harvest") or "No holding has an unrealized loss" in tax.text
    assert not page(http, "/p/busy").all("section", id="tax")  # no tax: section, no tax section


def test_the_history_page_filters_by_status_and_pages_by_fifty(http: httpx.Client) -> None:
    document = page(http, "/p/busy/history")
    check_frame(document)
    rows = document.one("table", id="history").all("tr", data_run_id=True)
    assert len(rows) == 50
    assert rows[0].get("data-run-id") == str(RUNS + 1)
    filters = {a.get("data-filter-status"): a.get("href") for a in document.all("a", data_filter_status=True)}
    assert filters == {
        "": "/p/busy/history",
        "running": "/p/busy/history?status=running",
        "completed": "/p/busy/history?status=completed",
        "skipped": "/p/busy/history?status=skipped",
        "failed": "/p/busy/history?status=failed",
    }
    failed = page(http, "/p/busy/history?status=failed").one("table", id="history")
    statuses = {row.one("td", data_field="status").text for row in failed.all("tr", data_run_id=True)}
    assert statuses == {"failed"}
    assert len(failed.all("tr", data_run_id=True)) == RUNS // 25
    second = page(http, "/p/busy/history?page=2")
    assert second.one("table", id="history").all("tr", data_run_id=True)[0].get("data-run-id") == str(
        RUNS + 1 - 50
    )
    assert second.one("a", rel="prev")
    assert second.one("a", rel="next")
    last = page(http, "/p/busy/history?page=999")  # past the end: the last page
    assert last.one("table", id="history").all("tr", data_run_id=True)[-1].get("data-run-id") == "1"
    assert not last.all("a", rel="next")


def test_a_run_page_shows_its_orders_and_fills(http: httpx.Client, folder: Path) -> None:
    document = page(http, "/p/busy/runs/11")
    check_frame(document)
    detail = cli_json("history", "--run", "11", "-c", str(folder / "busy.yaml"))
    orders = document.one("table", id="orders").all("tr", data_order=True)
    assert [row.get("data-order") for row in orders] == [
        o["client_order_id"] for o in detail["orders_detail"]
    ]
    assert len(document.one("table", id="fills").all("tr", data_order=True)) == 2
    assert document.one("dd", data_field="status").text == "completed"


def test_a_run_page_says_which_planned_legs_were_placed(http: httpx.Client) -> None:
    """The ledger keeps the plan and the buys re-planned from what the sells raised: six legs for four
    orders. Each leg says whether it was placed (and as which order)."""
    document = page(http, f"/p/busy/runs/{RUNS + 1}")  # the paper rebalance made at start
    placed = {row.get("data-order") for row in document.one("table", id="orders").all("tr", data_order=True)}
    legs = document.one("table", id="planned-orders").all("tr", data_leg=True)
    cells = [leg.one("td", data_field="placed") for leg in legs]
    assert len(legs) > len(placed)  # re-planned buys
    assert {cell.get("data-order") for cell in cells if cell.text == "placed"} == placed
    assert [cell.text for cell in cells].count("not placed") == len(legs) - len(placed)


def test_unknown_pages_are_html_404s_that_suggest_the_closest_name(http: httpx.Client) -> None:
    answer = http.get("/p/busyy")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    document = parse(answer.text)
    check_frame(document)
    assert "did you mean 'busy'?" in document.by_id("not-found").text
    assert document.one("a", href="/p/busy")
    for path, status in [
        ("/p/busy/runs/99999", 404),
        ("/p/busy/runs/abc", 404),
        ("/p/busy/history?status=done", 400),
        ("/p/nobody/history", 404),
    ]:
        answer = http.get(path)
        assert answer.status_code == status, path
        assert parse(answer.text).by_id("not-found").text
    assert http.get("/api/portfolios/busyy").json()["error"].startswith("no portfolio")  # the API: JSON


def test_pages_carry_a_strict_content_security_policy(http: httpx.Client) -> None:
    for path in [
        "/",
        "/p/busy",
        "/p/busy/history",
        "/backtests",
        "/p/nobody",
        "/static/dashboard.js",
        "/health",
    ]:
        headers = http.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    report = http.get("/backtests/sweep.html").headers["content-security-policy"]
    assert report.startswith("sandbox allow-scripts")
    assert "allow-same-origin" not in report


def test_every_asset_a_page_uses_is_served_by_the_app(http: httpx.Client) -> None:
    document = page(http, "/p/busy")
    urls = [e.get("src") or e.get("href") for e in document.walk() if e.tag in {"script", "link"}]
    assert urls
    for url in urls:
        assert url is not None
        assert url.startswith("/static/"), url
        answer = http.get(url)
        assert answer.status_code == 200, url
    types = {
        path: http.get(path).headers["content-type"]
        for path in ["/static/dashboard.js", "/static/dashboard.css"]
    }
    assert types["/static/dashboard.js"].startswith(("text/javascript", "application/javascript"))
    assert types["/static/dashboard.css"].startswith("text/css")
    script = http.get("/static/dashboard.js").text
    assert "sessionStorage" in script
    assert "localStorage" not in script
    assert "document.cookie" not in script
    assert http.get("/favicon.ico").status_code == 200
    assert not re.search(r"https?://", http.get("/static/dashboard.css").text)


def test_the_fragment_is_the_main_content_and_shows_a_new_run(http: httpx.Client) -> None:
    answer = http.get("/p/taxed?fragment=1")
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert "<main" not in answer.text
    fragment = parse(answer.text)
    before = fragment.one("table", id="runs").all("tr", data_run_id=True)[0].get("data-run-id")
    done = http.post(
        "/api/portfolios/taxed/rebalance", json={"force": True}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert done.status_code == 200, done.text
    run_id = str(done.json()["run_id"])
    assert run_id != before
    after = parse(http.get("/p/taxed?fragment=1").text)
    assert after.one("table", id="runs").all("tr", data_run_id=True)[0].get("data-run-id") == run_id
    overview = parse(http.get("/?fragment=1").text)
    row = overview.one("tr", data_portfolio="taxed")
    assert row.one("td", data_field="last-run").get("data-run-id") == run_id
    for path in ["/p/busy/history?fragment=1", "/backtests?fragment=1", "/p/busy/runs/1?fragment=1"]:
        assert "<main" not in http.get(path).text, path


def test_backtest_reports_are_listed_and_opened_and_nothing_else(http: httpx.Client) -> None:
    document = page(http, "/backtests")
    check_frame(document)
    listed = [
        row.get("data-report") for row in document.one("table", id="backtests").all("tr", data_report=True)
    ]
    # not the link leading out, not the sub-folder's file
    assert sorted(str(name) for name in listed) == sorted(["sweep.html", ODD_REPORT])
    opened = http.get("/backtests/sweep.html")
    assert opened.status_code == 200
    assert "<p>report</p>" in opened.text
    for path in [
        "/backtests/link.html",
        "/backtests/sub/inner.html",
        "/backtests/..%2Fsecret.html",
        "/backtests/%2e%2e%2fsecret.html",
        "/backtests/..%5Csecret.html",
        "/backtests/%2Fetc%2Fpasswd",
        "/backtests/missing.html",
    ]:
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert "outside" not in answer.text
        assert "inner" not in answer.text


def test_a_report_whose_name_means_something_in_a_url_opens_from_its_link(http: httpx.Client) -> None:
    row = page(http, "/backtests").one("tr", data_report=ODD_REPORT)
    href = row.one("a").get("href")
    assert href is not None
    assert "?" not in href
    assert "#" not in href
    opened = http.get(href)
    assert opened.status_code == 200
    assert opened.text == "<p>odd</p>"
    assert "sandbox" in opened.headers["content-security-policy"]


def test_the_not_found_page_of_a_report_is_a_dashboard_page_with_its_policy(http: httpx.Client) -> None:
    """Not the sandbox of a report, which blocks the page's own stylesheet and script (console errors)."""
    answer = http.get("/backtests/missing.html")
    assert answer.status_code == 404
    policy = answer.headers["content-security-policy"]
    assert "sandbox" not in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy


def test_without_a_backtests_folder_the_page_says_how_to_set_it(tmp_path: Path) -> None:
    assert "trimtab serve --backtests DIR" in str(backtests_page(None))
    (tmp_path / "a.html").write_text("<p>a</p>", encoding="utf-8")
    assert report_named(tmp_path, "a.html") is not None
    assert report_named(tmp_path, "../a.html") is None
    assert report_named(tmp_path / "nowhere", "a.html") is None
    done = run_cli("serve", "-c", str(tmp_path / "x.yaml"), "--backtests", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "--backtests" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_json_api_is_unchanged_by_the_pages(http: httpx.Client, folder: Path) -> None:
    assert http.get("/api/portfolios/busy").json() == status_of(folder, "busy")
    spec = http.get("/openapi.json").json()
    assert not any(path.startswith(("/p/", "/backtests", "/static")) or path == "/" for path in spec["paths"])
    assert json.loads(http.get("/health").text)["status"] == "ok"

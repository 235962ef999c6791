"""The crash guard's holds through a real ``trimtab serve``: ``GET .../guards`` is ``trimtab guards --json``,
``POST .../guards/{asset}/resume`` needs the token, ends the hold (the CLI sees it gone) and is harmless
twice; an unknown asset is a 404 with a did-you-mean; the portfolio page shows each hold with its button,
and nothing when none is held."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from configs import yaml_config
from dom import Element, parse
from serving import Served, cli_json, http_client, serving
from serving import get_json as get

from trimtab.app.portfolio_home import open_ledger
from trimtab.config import load_config
from trimtab.ledger.records import GuardFinding, GuardKind

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]

TOKEN = "test-token-3a9e51d07c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HELD_SINCE = datetime(2024, 12, 31, 9, 0, tzinfo=UTC)
REASON = "SOL fell 42 % in 24 h"


def hold(config_path: Path, asset: str, reason: str, at: datetime) -> None:
    """A crash hold on ``asset``, recorded by a run as the bot's crash guard records one."""
    with open_ledger(load_config(config_path), config_path) as store:
        run_id = store.start_run(
            command="run", venue="paper", mode="live", forced=False, started_at=at, config_digest="t"
        )
        store.record_guards(run_id, [GuardFinding(GuardKind.CRASH, asset, reason)], at)
        store.finish_run(run_id, "skipped", at + timedelta(seconds=1), None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("guards")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Served]:
    """``held`` (SOL held back by the crash guard) and ``clear`` (nothing held)."""
    (folder / "held.yaml").write_text(yaml_config(data_dir="held-data"), encoding="utf-8")
    hold(folder / "held.yaml", "SOL", REASON, HELD_SINCE)
    (folder / "clear.yaml").write_text(yaml_config(data_dir="clear-data"), encoding="utf-8")
    with serving(folder / "held.yaml", folder / "clear.yaml", token=TOKEN) as served:
        yield served


@pytest.fixture
def http(server: Served) -> Iterator[httpx.Client]:
    with http_client(server) as http:
        yield http


def portfolio_page(client: httpx.Client, name: str) -> Element:
    answer = client.get(f"/p/{name}")
    assert answer.status_code == 200, answer.text
    return parse(answer.text)


def test_the_holds_are_what_guards_json_prints(http: httpx.Client, folder: Path) -> None:
    holds = get(http, "/api/portfolios/held/guards")
    assert holds == cli_json("guards", "-c", str(folder / "held.yaml"))
    [sol] = holds["holds"]
    assert (sol["asset"], sol["reason"], sol["resumed_at"]) == ("SOL", REASON, None)
    assert datetime.fromisoformat(sol["since"]) == HELD_SINCE
    assert get(http, "/api/portfolios/clear/guards") == {"holds": []}


def test_unknown_portfolios_and_assets_are_404s_that_suggest_the_closest_name(http: httpx.Client) -> None:
    answer = http.get("/api/portfolios/helt/guards")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no portfolio 'helt' is served here (did you mean 'held'?)"}
    unknown = http.post("/api/portfolios/held/guards/SOLL/resume", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no asset 'SOLL' in portfolio held (did you mean 'SOL'?)"}
    assert http.post("/api/portfolios/helt/guards/SOL/resume", headers=AUTH).status_code == 404
    assert len(get(http, "/api/portfolios/held/guards")["holds"]) == 1


def test_the_page_shows_each_hold_with_its_resume_button(http: httpx.Client) -> None:
    page = portfolio_page(http, "held")
    section = page.by_id("guards-section")
    row = section.one("tr", data_asset="SOL")
    assert row.one("td", data_field="reason").text == REASON
    assert row.one("td", data_field="since").one("time").get("datetime") == HELD_SINCE.isoformat()
    button = row.one("button", data_action="resume-guard")
    assert (button.get("data-portfolio"), button.get("data-asset")) == ("held", "SOL")
    assert button.text == "Resume buying"
    assert "disabled" not in button.attrs
    assert not portfolio_page(http, "clear").all(id="guards-section")
    assert not portfolio_page(http, "clear").all("button", data_action="resume-guard")


def test_the_openapi_page_documents_both_routes(http: httpx.Client) -> None:
    paths = get(http, "/openapi.json")["paths"]
    listed = paths["/api/portfolios/{name}/guards"]["get"]
    assert "404" in listed["responses"]
    resume = paths["/api/portfolios/{name}/guards/{asset}/resume"]["post"]
    assert resume["security"]
    assert {"401", "403", "404"} <= set(resume["responses"])
    docs = http.get("/docs").text
    assert "GET /api/portfolios/{name}/guards" in docs
    assert "POST /api/portfolios/{name}/guards/{asset}/resume" in docs


def test_resuming_needs_the_token_ends_the_hold_and_is_harmless_twice(
    http: httpx.Client, folder: Path
) -> None:
    path = "/api/portfolios/held/guards/sol/resume"  # the asset in any case
    assert http.post(path).status_code == 401
    assert http.post(path, headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert len(get(http, "/api/portfolios/held/guards")["holds"]) == 1
    answer = http.post(path, headers=AUTH)
    assert answer.status_code == 200, answer.text
    [ended] = answer.json()["resumed"]
    assert ended["asset"] == "SOL"
    assert ended["resumed_at"] is not None
    assert get(http, "/api/portfolios/held/guards") == {"holds": []}
    assert cli_json("guards", "-c", str(folder / "held.yaml")) == {"holds": []}
    again = http.post(path, headers=AUTH)
    assert again.status_code == 200
    assert again.json() == {"resumed": []}
    assert not portfolio_page(http, "held").all(id="guards-section")

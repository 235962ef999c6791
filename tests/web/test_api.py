"""The JSON API of a real ``trimtab serve`` process (uvicorn on a free loopback port), spoken to over real
HTTP: every read is the document the command line prints with ``--json`` for the same config, every write
needs the bearer token, every error is one JSON line."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from configs import MONTHLY, yaml_config
from serving import Served, cli_json, environment, http_client, serve, serving
from serving import get_json as get

from trimtab.app.portfolio_home import open_ledger
from trimtab.config import load_config

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]

TOKEN = "test-token-6c1f0e2b9d"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Served]:
    """Two portfolios: ``drifted`` (threshold) and ``monthly`` (a calendar), both checked at start."""
    (folder / "drifted.yaml").write_text(yaml_config(data_dir="drifted-data"), encoding="utf-8")
    (folder / "monthly.yaml").write_text(
        yaml_config(data_dir="monthly-data", rebalancing=MONTHLY), encoding="utf-8"
    )
    with serving(folder / "drifted.yaml", folder / "monthly.yaml", token=TOKEN) as served:
        yield served


@pytest.fixture
def http(server: Served) -> Iterator[httpx.Client]:
    with http_client(server) as http:
        yield http


def test_health_names_every_portfolio_with_its_state_last_run_and_next_check(http: httpx.Client) -> None:
    health = get(http, "/health")
    assert health["status"] == "ok"
    assert set(health["portfolios"]) == {"drifted", "monthly"}
    drifted = health["portfolios"]["drifted"]
    assert drifted["state"] == "running"
    assert drifted["last_run"]["status"] in {"completed", "skipped"}
    assert drifted["next_check"] > "2025-01-01T12:00:00"


def test_each_read_is_what_the_command_line_prints_with_json(http: httpx.Client, folder: Path) -> None:
    config = str(folder / "drifted.yaml")
    assert get(http, "/api/portfolios/drifted") == cli_json("status", "-c", config)
    assert get(http, "/api/portfolios/drifted/plan") == cli_json("plan", "-c", config)
    assert get(http, "/api/portfolios/drifted/plan?force=true") == cli_json("plan", "--force", "-c", config)
    assert get(http, "/api/portfolios/drifted/history") == cli_json("history", "-c", config)
    assert get(http, "/api/portfolios/drifted/history?limit=1") == cli_json(
        "history", "-n", "1", "-c", config
    )
    assert get(http, "/api/portfolios/drifted/history/1") == cli_json("history", "--run", "1", "-c", config)


def test_the_list_and_the_equity_curve_agree_with_the_ledger(http: httpx.Client, folder: Path) -> None:
    listed = {p["name"]: p for p in get(http, "/api/portfolios")["portfolios"]}
    status = cli_json("status", "-c", str(folder / "monthly.yaml"))
    assert listed["monthly"]["value"] == status["total_value"]
    assert listed["monthly"]["quote"] == "USDT"
    assert listed["monthly"]["state"] == "running"
    equity = get(http, "/api/portfolios/drifted/equity")
    runs = cli_json("history", "-c", str(folder / "drifted.yaml"))["runs"]
    values = [v for run in reversed(runs) for v in (run["value_before"], run["value_after"]) if v is not None]
    assert [point["value"] for point in equity] == values
    assert get(http, "/api/portfolios/drifted/equity?limit=1") == equity[-1:]


def test_an_unknown_portfolio_is_a_404_that_suggests_the_closest_name(http: httpx.Client) -> None:
    answer = http.get("/api/portfolios/drifed/plan")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no portfolio 'drifed' is served here (did you mean 'drifted'?)"}


def test_errors_are_one_json_line(http: httpx.Client) -> None:
    for path, status in [
        ("/api/portfolios/drifted/history/999", 404),
        ("/api/portfolios/drifted/history?limit=0", 422),
        ("/nowhere", 404),
    ]:
        answer = http.get(path)
        assert answer.status_code == status
        body = answer.json()
        assert list(body) == ["error"], body
        assert "\n" not in body["error"], body
    assert "access-control-allow-origin" not in http.get("/health", headers={"Origin": "http://evil"}).headers


def test_a_post_needs_the_right_bearer_token(http: httpx.Client, folder: Path) -> None:
    path = "/api/portfolios/drifted/rebalance"
    missing = http.post(path, json={"force": True})
    assert missing.status_code == 401
    assert "token" in missing.json()["error"]
    wrong = http.post(path, json={"force": True}, headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 401
    right = http.post(path, json={"force": True}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200, right.text
    run = right.json()
    assert run["decision"]["forced"] is True
    assert run["mode"] == "live"
    recorded = cli_json("history", "--run", str(run["run_id"]), "-c", str(folder / "drifted.yaml"))
    assert recorded["command"] == "api"
    assert recorded["status"] == run["status"]
    # the status document is fresh after a run (it is cached between runs)
    assert get(http, "/api/portfolios/drifted") == cli_json("status", "-c", str(folder / "drifted.yaml"))


def test_a_rebalance_body_must_say_force_exactly(http: httpx.Client, folder: Path) -> None:
    # A write that trades: "yes" or 1 is not read as force, a misspelt key is not dropped, a form body
    # (curl -d without a JSON content type) is told what to send; nothing runs.
    path = "/api/portfolios/drifted/rebalance"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    runs = len(cli_json("history", "-n", "100", "-c", str(folder / "drifted.yaml"))["runs"])
    for body in [{"force": "yes"}, {"force": 1}, {"forse": True}]:
        answer = http.post(path, json=body, headers=auth)
        assert answer.status_code == 422, (body, answer.text)
        assert list(answer.json()) == ["error"]
    form = http.post(path, content=b'{"force": true}', headers={**auth, "Content-Type": "text/plain"})
    assert form.status_code == 422
    assert "expected a JSON object" in form.json()["error"]
    assert "Content-Type: application/json" in form.json()["error"]
    assert len(cli_json("history", "-n", "100", "-c", str(folder / "drifted.yaml"))["runs"]) == runs


def test_a_refused_token_is_told_how_to_send_one(http: httpx.Client) -> None:
    answer = http.post("/api/portfolios/drifted/pause", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401
    assert answer.json()["error"] == (
        "missing or wrong token (send the server's TRIMTAB_WEB_TOKEN as a bearer token in the "
        "Authorization header)"
    )


def test_the_openapi_page_documents_every_route(http: httpx.Client) -> None:
    spec = get(http, "/openapi.json")
    paths = spec["paths"]
    expected = {
        "/health": "get",
        "/api/portfolios": "get",
        "/api/portfolios/{name}": "get",
        "/api/portfolios/{name}/plan": "get",
        "/api/portfolios/{name}/history": "get",
        "/api/portfolios/{name}/history/{run_id}": "get",
        "/api/portfolios/{name}/equity": "get",
        "/api/portfolios/{name}/rebalance": "post",
        "/api/portfolios/{name}/pause": "post",
        "/api/portfolios/{name}/resume": "post",
    }
    for path, method in expected.items():
        answer = paths[path][method]["responses"]["200"]["content"]["application/json"]
        assert "schema" in answer, path
        assert answer["schema"] or "example" in answer, path
        if method == "post":
            assert paths[path][method]["security"], path
            assert {"401", "403"} <= set(paths[path][method]["responses"]), path
    page = http.get("/docs")  # rendered here from the spec: no CDN, works offline
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path, method in expected.items():
        assert f"{method.upper()} {path}" in page.text, path
    sources = re.findall(r"<(?:script|link)[^>]*(?:src|href)=\"([^\"]+)\"", page.text)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    assert http.get("/redoc").status_code == 404


def test_without_a_token_the_server_takes_no_writes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml_config(), encoding="utf-8")
    served = serve(tmp_path / "a.yaml")
    try:
        url = served.listening()
        answer = httpx.post(f"{url}/api/portfolios/a/pause", headers={"Authorization": "Bearer anything"})
        assert answer.status_code == 403
        assert "TRIMTAB_WEB_TOKEN" in answer.json()["error"]
    finally:
        code, stderr = served.stop()
    assert code == 0, stderr


def test_a_kill_switch_refusal_says_how_to_lift_it_through_the_api(tmp_path: Path) -> None:
    # The API's 409 names the API's way out (resume), not a parameter name ("run override_kill_switch").
    config = tmp_path / "halted.yaml"
    config.write_text(
        yaml_config(data_dir="halted-data", risk={"max_consecutive_failures": 2}), encoding="utf-8"
    )
    with open_ledger(load_config(config), config) as store:
        for index in range(2):
            at = datetime(2024, 12, 31, 10 + index, tzinfo=UTC)
            run_id = store.start_run(
                command="run", venue="paper", mode="live", forced=False, started_at=at, config_digest="t"
            )
            store.finish_run(run_id, "failed", at + timedelta(seconds=2), "order rejected: min notional")
    served = serve(config, env=environment(token=TOKEN))
    try:
        url = served.listening()
        answer = httpx.post(
            f"{url}/api/portfolios/halted/rebalance",
            json={"force": True},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert answer.status_code == 409
        error = answer.json()["error"]
        assert error.startswith("kill switch: the last 2 runs failed"), error
        assert "POST /api/portfolios/halted/resume" in error
        assert "override_kill_switch" not in error
    finally:
        code, stderr = served.stop()
    assert code == 0, stderr

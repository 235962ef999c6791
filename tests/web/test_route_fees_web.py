"""What ``routing: cheapest`` saved, on the API's run read (= ``history --run N --json``) and on the run page
(one line beside the fees: the quote-only route's fees and the saving), read from a real ``trimtab serve``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from configs import cross_routed
from dom import parse
from serving import Served, cli_json, environment, run_cli, serve

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("route-fees")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Served]:
    """``routed`` (run 1 rebalanced over the cross pairs) and ``plain`` (run 1 quote-only)."""
    for name, routing in (("routed", "cheapest"), ("plain", "quote")):
        path = folder / f"{name}.yaml"
        path.write_text(cross_routed(routing, data_dir=f"{name}-data"), encoding="utf-8")
        done = run_cli("rebalance", "-c", str(path))
        assert done.returncode == 0, done.stderr
    served = serve(folder / "routed.yaml", folder / "plain.yaml", env=environment())
    served.listening()
    served.sleeping("routed")
    served.sleeping("plain")
    yield served
    code, stderr = served.stop()
    assert code == 0, stderr


@pytest.fixture
def http(server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_the_api_run_read_carries_the_quote_route_fees_and_the_saving(
    http: httpx.Client, folder: Path
) -> None:
    answer = http.get("/api/portfolios/routed/history/1")
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert run == cli_json("history", "--run", "1", "-c", str(folder / "routed.yaml"))
    assert run["quote_route_fees"] is not None
    assert run["fees_saved"] is not None
    plain = http.get("/api/portfolios/plain/history/1").json()
    assert (plain["quote_route_fees"], plain["fees_saved"]) == (None, None)


def test_the_run_page_shows_the_quote_route_fees_only_for_a_routed_run(http: httpx.Client) -> None:
    run = http.get("/api/portfolios/routed/history/1").json()
    page = http.get("/p/routed/runs/1")
    assert page.status_code == 200, page.text
    line = parse(page.text).one("dd", data_field="quote-route-fees")
    assert line.one("span", data_value=run["quote_route_fees"]).text.endswith(" USDT")
    saved = line.one("span", data_field="fees-saved")
    assert saved.get("data-value") == run["fees_saved"]
    assert line.text.startswith(f"{float(run['quote_route_fees']):,.2f} USDT in fees (")
    assert f"{float(run['fees_saved']):,.2f} USDT" in saved.text
    plain = http.get("/p/plain/runs/1")
    assert plain.status_code == 200
    assert parse(plain.text).all("dd", data_field="quote-route-fees") == []

"""``trimtab serve`` as a person runs it: real processes, real signals, real HTTP on loopback.

A pause survives a restart; a portfolio served by another process is reported busy (exit 2 when nothing is
left to serve); SIGTERM during a run lets it finish (exit 0, the ledger consistent); bad flags, a host other
than loopback without a token, a port in use and bad configs are one line and exit 2."""

from __future__ import annotations

import json
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest
from configs import yaml_config
from serving import Served, cli_json, environment, run_cli, serve, trimtab_command

from trimtab.ledger.store import LedgerStore
from trimtab.venues.paper_state import STATE_FILE_NAME, load_state

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"), pytest.mark.slow]

TOKEN = "serve-test-token-41d9"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def write(folder: Path, name: str, **overrides: object) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml_config(data_dir=f"{name}-data", **overrides), encoding="utf-8")  # type: ignore[arg-type]
    return path


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_pause_is_kept_across_a_restart_until_resumed(tmp_path: Path) -> None:
    config = write(tmp_path, "a")
    first = serve(config, env=environment(token=TOKEN))
    url = first.listening()
    first.sleeping("a")
    paused = httpx.post(f"{url}/api/portfolios/a/pause", headers=AUTH)
    assert paused.status_code == 200
    assert paused.json() == {"name": "a", "state": "paused"}
    assert first.stop()[0] == 0
    runs = len(cli_json("history", "-c", str(config))["runs"])

    second = serve(config, env=environment(token=TOKEN))
    url = second.listening()
    assert second.until(lambda e: e["event"] == "serving")["state"] == "paused"
    assert httpx.get(f"{url}/health").json()["portfolios"]["a"]["state"] == "paused"
    resumed = httpx.post(f"{url}/api/portfolios/a/resume", headers=AUTH)
    assert resumed.json() == {"name": "a", "state": "running"}
    second.sleeping("a")
    assert second.stop()[0] == 0
    assert len(cli_json("history", "-c", str(config))["runs"]) == runs + 1


def test_a_portfolio_served_elsewhere_is_reported_busy_and_not_served_twice(tmp_path: Path) -> None:
    shared, other = write(tmp_path, "shared"), write(tmp_path, "other")
    first = serve(shared)
    first.listening()
    try:
        alone = serve(shared)
        code, stderr = alone.finish()
        assert code == 2
        line = one_error_line(stderr)
        assert "nothing to serve" in line
        assert "portfolio busy" in line
        assert "serve" in line
        assert [e["event"] for e in alone.events] == ["busy"]

        both = serve(shared, other)
        url = both.listening()
        busy = both.until(lambda e: e["event"] == "busy")
        assert busy["portfolio"] == "shared"
        assert set(httpx.get(f"{url}/health").json()["portfolios"]) == {"other"}
        assert both.stop()[0] == 0
    finally:
        assert first.stop()[0] == 0


def consistent(data: Path) -> list[str]:
    """The ledger's run statuses, after checking it agrees with the paper account order for order."""
    with LedgerStore.open(f"sqlite:///{data / 'ledger.db'}") as ledger:
        details = [ledger.run_detail(r.id) for r in ledger.list_runs(1000)]
    ids = [o.client_order_id for d in details if d is not None for o in d.orders]
    state = load_state(data / STATE_FILE_NAME)
    assert set(ids) == set(state.orders if state is not None else {})
    return [str(d.summary.status) for d in details if d is not None]


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03, 0.06])
def test_sigterm_during_a_run_lets_it_finish_and_exits_0(tmp_path: Path, delay: float) -> None:
    """The first check starts as the portfolio is announced (``serving``): the signal lands in it."""
    config = write(tmp_path, "a")
    served = Served(["-c", str(config), "--port", "0"], environment())
    served.until(lambda e: e["event"] == "serving")
    time.sleep(delay)
    code, stderr = served.stop(signal.SIGTERM)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    statuses = consistent(tmp_path / "a-data")
    assert statuses == ["completed"], "the run in progress finished, and no other started"
    history = cli_json("history", "-c", str(config))["runs"]
    assert history[0]["finished_at"] is not None
    assert history[0]["orders"] == 4
    assert [e["event"] for e in served.events][-1] == "stopped"


def test_a_host_other_than_loopback_needs_a_token(tmp_path: Path) -> None:
    done = run_cli("serve", "-c", str(write(tmp_path, "a")), "--host", "0.0.0.0")
    assert done.returncode == 2
    assert "TRIMTAB_WEB_TOKEN" in one_error_line(done.stderr)
    assert not (tmp_path / "a-data" / "ledger.db").exists(), "nothing started"


def test_an_empty_host_asks_for_an_address(tmp_path: Path) -> None:
    # not "  is reachable from other machines"
    done = run_cli("serve", "-c", str(write(tmp_path, "a")), "--host", "")
    assert done.returncode == 2
    assert one_error_line(done.stderr) == (
        "error: command line: --host: expected an address to listen on, such as 127.0.0.1"
    )


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = run_cli("serve", "-c", str(write(tmp_path, "a")), "--port", port)
    assert done.returncode == 2
    assert f"port {port}" in one_error_line(done.stderr)
    assert "in use" in done.stderr


def test_bad_configs_are_one_line_naming_the_file(tmp_path: Path) -> None:
    good = write(tmp_path, "good")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml_config(weights={"BTC": 50, "ETH": 30}), encoding="utf-8")
    done = run_cli("serve", "-c", str(good), "-c", str(bad), "--port", "0")
    assert done.returncode == 2
    assert str(bad) in one_error_line(done.stderr)

    folder = tmp_path / "twins"
    folder.mkdir()
    for stem in ("one", "two"):
        (folder / f"{stem}.yaml").write_text(
            yaml_config(data_dir=f"{stem}-data", top={"name": "same"}), encoding="utf-8"
        )
    done = run_cli("serve", "--config-dir", str(folder), "--port", "0")
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert str(folder / "one.yaml") in line
    assert str(folder / "two.yaml") in line

    shared = tmp_path / "shared"
    shared.mkdir()
    for stem in ("x", "y"):
        (shared / f"{stem}.yaml").write_text(yaml_config(data_dir="../same-data"), encoding="utf-8")
    done = run_cli("serve", "--config-dir", str(shared), "--port", "0")
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert str(shared / "x.yaml") in line
    assert str(shared / "y.yaml") in line


def test_a_config_folder_serves_every_yaml_by_its_name(tmp_path: Path) -> None:
    for name in ("beta", "alpha"):
        write(tmp_path, name)
    (tmp_path / "notes.txt").write_text("not a config", encoding="utf-8")
    served = Served(["--config-dir", str(tmp_path), "--port", "0"], environment())
    served.listening()
    assert [e["portfolio"] for e in served.events if e["event"] == "serving"] == ["alpha", "beta"]
    assert served.stop()[0] == 0


def test_without_json_serve_prints_one_line_per_event(tmp_path: Path) -> None:
    import subprocess

    config = write(tmp_path, "a")
    process = subprocess.Popen(
        [*trimtab_command(), "serve", "-c", str(config), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("a: next check"):
            break
    process.send_signal(signal.SIGINT)
    rest, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert lines[0] == f"a: serving {config}"
    assert lines[1].startswith("Serving 1 portfolio at http://127.0.0.1:")
    assert "/docs" in lines[1]
    assert lines[2].startswith("a: 2025-01-01 12:00:00 UTC run 1: threshold:")
    assert rest.splitlines() == ["a: stopped", "Stopped: every portfolio finished its run."]


def test_demo_serve_lives_through_a_replayed_year(tmp_path: Path) -> None:
    env = {k: v for k, v in environment().items() if k != "TRIMTAB_NOW"}  # the replay keeps the time
    demo = Served.command(["demo", "--serve", "--dir", str(tmp_path / "demo"), "--port", "0", "--json"], env)
    url = demo.listening()
    demo.until(lambda e: e["event"] == "run" and e.get("portfolio") == "demo")
    history = httpx.get(f"{url}/api/portfolios/demo/history").json()["runs"]
    assert history
    assert history[-1]["started_at"].startswith("2024-01")
    code, stderr = demo.stop()
    assert code == 0, stderr
    assert json.loads((tmp_path / "demo" / ".trimtab-demo.json").read_text(encoding="utf-8"))


def test_each_portfolio_notifies_its_own_runs(tmp_path: Path) -> None:
    from notify_receiver import Receiver

    with Receiver() as receiver:
        configs = [
            write(tmp_path, name, top={"notify": {"urls": [receiver.url(f"hooks/{name}")]}})
            for name in ("a", "b")
        ]
        served = serve(*configs)
        served.listening()
        served.sleeping("a")
        served.sleeping("b")
        posts = receiver.wait_for(2)
        code, stderr = served.stop()
    assert code == 0, stderr
    by_path = {post.path: post for post in posts}
    assert set(by_path) == {"/hooks/a", "/hooks/b"}
    for name in ("a", "b"):
        post = by_path[f"/hooks/{name}"]
        assert name in post.title + post.message
        assert "hooks" not in post.message, "no notification URL in a message"

"""`trimtab sweep --scheduler`: the same backtests on a real Dask cluster, with the local run's results.

One real LocalCluster (2 single-threaded worker processes) serves the module; the tests connect to it by
address, as to a remote ``dask scheduler``. The reference runs are local and in this process
(``workers=1``: the local pool forks, and this process runs the cluster's threads).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from distributed import Client, LocalCluster
from sweep_configs import CONFIG, PORTFOLIO
from typer.testing import CliRunner

from trimtab.backtest import sweep_dask
from trimtab.backtest.sweep import ResultCollector, SweepJob, SweepRun, run_sweep
from trimtab.backtest.sweep_dask import (
    ClusterFailed,
    Installed,
    Scheduler,
    execute_on_cluster,
    parse_scheduler,
    run_on_worker,
)
from trimtab.backtest.sweep_grid import SweepGrid, sweep_points, variant_mapping
from trimtab.cli.main import app
from trimtab.config import config_from_mapping
from trimtab.errors import ParameterError
from trimtab.policy import Interval

D = Decimal
# threshold and hybrid at 2 bands, 2 calendars; x static and inverse volatility x 2 fees: 24 configs
GRID = SweepGrid(
    thresholds=(D(5), D(10)),
    intervals=(D(24),),
    calendars=(Interval.MONTHLY, Interval.QUARTERLY),
    fee_rates=(D(0), D("0.001")),
)
PERIOD = {"start": date(2022, 1, 1), "end": date(2023, 12, 31)}
SWEEP_ARGS = ("--start", "2023-01-01", "--end", "2023-12-31", "--thresholds", "5,10", "--intervals", "24",
              "--calendars", "monthly", "--fee-rates", "0,0.001")  # fmt: skip
runner = CliRunner()


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as started:
        yield started


@pytest.fixture(scope="module")
def remote(cluster: LocalCluster) -> Scheduler:
    """The module's cluster as a sweep reaches a remote one: by the scheduler's address."""
    return parse_scheduler(str(cluster.scheduler_address))


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sweep_tasks(cluster: LocalCluster) -> set[str]:
    return {str(key) for key in cluster.scheduler.tasks if str(key).startswith("trimtab-sweep-")}


# -- the results ------------------------------------------------------------------------------------------


def test_a_sweep_on_the_cluster_equals_the_local_sweep_exactly(remote: Scheduler) -> None:
    seen: list[SweepRun] = []
    told: list[sweep_dask.ClusterInfo] = []
    local = run_sweep(config_from_mapping(PORTFOLIO, "test"), GRID, workers=1, **PERIOD)
    dask = run_sweep(
        config_from_mapping(PORTFOLIO, "test"), GRID, scheduler=remote, on_result=seen.append,
        on_cluster=told.append, **PERIOD,
    )  # fmt: skip
    assert len(local.runs) == 24
    assert dask.runs == local.runs  # the ranking, and every metric of every run to the last digit
    assert [r.premium for r in dask.runs] == [r.premium for r in local.runs]
    assert (dask.buy_and_hold, dask.start, dask.end, dask.bars) == (
        local.buy_and_hold, local.start, local.end, local.bars
    )  # fmt: skip
    assert sorted(r.label for r in seen) == sorted(r.label for r in local.runs)  # each run reported once
    assert local.cluster is None
    assert dask.cluster == told[0]
    assert (dask.cluster.scheduler, dask.cluster.address, dask.cluster.workers) == (
        remote.text, remote.address, 2
    )  # fmt: skip


def test_an_interrupt_cancels_the_clusters_tasks(cluster: LocalCluster, remote: Scheduler) -> None:
    """Ctrl-C while the results come in raises KeyboardInterrupt in the collecting loop, as an
    ``on_result`` raising it does here: the sweep cancels the rest, which never runs."""
    grid = SweepGrid(thresholds=tuple(D(t) for t in range(1, 21)), intervals=(D(24), D(168)),
                     calendars=(), fee_rates=(D(0), D("0.001")))  # fmt: skip
    total = len(sweep_points(config_from_mapping(PORTFOLIO, "test"), grid, source="test"))
    assert total == 240
    before = {key for key, *_ in cluster.scheduler.transition_log}

    def interrupt(run: SweepRun) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(config_from_mapping(PORTFOLIO, "test"), grid, scheduler=remote, on_result=interrupt,
                  **PERIOD)  # fmt: skip
    deadline = time.monotonic() + 30
    while sweep_tasks(cluster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sweep_tasks(cluster), "the sweep's tasks are gone from the scheduler"
    ran = {
        key
        for key, _, finish, *_ in cluster.scheduler.transition_log
        if str(key).startswith("trimtab-sweep-") and finish == "memory" and key not in before
    }
    assert 1 <= len(ran) < total // 2, f"{len(ran)} of {total} tasks ran after the interrupt"


# -- the cluster's checks -----------------------------------------------------------------------------------


def test_a_worker_with_another_trimtab_is_refused_before_any_run(cluster: LocalCluster) -> None:
    other = Installed("0.0.9", "0123456789ab", "1.0.0")
    with Client(cluster, set_as_default=False) as client:
        with pytest.raises(ClusterFailed) as caught:
            sweep_dask._check_workers(client, str(cluster.scheduler_address), 5.0, expected=other)
        line = str(caught.value)
        assert line.startswith("sweep: the Dask worker tcp://127.0.0.1:")
        assert f"runs {sweep_dask.installed()}, this machine {other}: install the same trimtab" in line
        # a worker joining later is checked by its first task
        cfg = config_from_mapping(PORTFOLIO, "test")
        point = sweep_points(cfg, GRID, source="test")[0]
        job = SweepJob(0, point, variant_mapping(cfg, point), "test", None, None, None, D(10000), False)
        index, outcome = client.submit(run_on_worker, job, None, "frame", other, pure=False).result()
        assert index == 0
        assert "runs trimtab" in str(getattr(outcome, "message", ""))


@pytest.mark.slow
def test_a_worker_without_trimtab_is_one_line(tmp_path: Path) -> None:
    """A real ``dask worker`` process that cannot import trimtab, on a scheduler of its own."""
    hide = (
        "import sys; sys.modules['trimtab'] = None; from distributed.cli.dask_worker import main; "
        "sys.argv[0] = 'dask worker'; main()"
    )
    with LocalCluster(n_workers=0, processes=True, dashboard_address=":0") as empty:
        address = str(empty.scheduler_address)
        worker = subprocess.Popen(
            [sys.executable, "-c", hide, address, "--nthreads", "1", "--no-nanny"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            with Client(empty, set_as_default=False) as client:
                client.wait_for_workers(1, timeout=60)
                with pytest.raises(ClusterFailed) as caught:
                    sweep_dask._check_workers(client, address, 5.0)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert str(caught.value).startswith("sweep: the Dask worker tcp://")
    assert "has no trimtab installed: install the same trimtab on every worker" in str(caught.value)


def test_an_unreachable_scheduler_is_one_line() -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterFailed) as caught:
        execute_on_cluster([], None, parse_scheduler(address), ResultCollector([], None), connect_timeout=0.5)
    assert str(caught.value).startswith(f"sweep: cannot reach the Dask scheduler at {address}: ")
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 1


@pytest.mark.parametrize(
    ("text", "address", "local"),
    [
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786", None),
        ("tcp://scheduler.lan", "tcp://scheduler.lan:8786", None),
        ("tls://[::1]:9000", "tls://[::1]:9000", None),
        ("local:3", None, 3),
    ],
)
def test_scheduler_values(text: str, address: str | None, local: int | None) -> None:
    parsed = parse_scheduler(text)
    assert (parsed.address, parsed.local_workers) == (address, local)


@pytest.mark.parametrize(
    "text",
    ["foo", "local:0", "local:", "local:two", "tcp://", "http://host:8786", "tcp://host:99999", "host:8786"],
)
def test_a_bad_scheduler_value_is_refused(text: str) -> None:
    with pytest.raises(ParameterError, match="expected tcp://HOST:PORT, tls://HOST:PORT or local:N"):
        parse_scheduler(text)


# -- the command line ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["foo", "local:0", "http://host:8786"])
def test_sweep_with_a_bad_scheduler_says_so_in_one_line(
    write_config: Callable[..., Path], value: str
) -> None:
    code, _, err = invoke("sweep", "-c", str(write_config(CONFIG)), "--scheduler", value)
    assert code == 2
    assert err == (
        f"error: command line: --scheduler: expected tcp://HOST:PORT, tls://HOST:PORT or local:N (N >= 1), "
        f"got {value!r}\n"
    )


def test_workers_and_a_scheduler_do_not_mix(write_config: Callable[..., Path]) -> None:
    code, _, err = invoke(
        "sweep", "-c", str(write_config(CONFIG)), "--scheduler", "local:2", "--workers", "2"
    )
    assert code == 2
    assert err.startswith("error: command line: --workers: ")
    assert len(err.splitlines()) == 1


def test_sweep_on_a_scheduler_prints_the_local_table(
    write_config: Callable[..., Path], remote: Scheduler
) -> None:
    path = str(write_config(CONFIG))
    code, local, err = invoke("sweep", "-c", path, *SWEEP_ARGS, "--workers", "1")
    assert code == 0, err
    code, dask, err = invoke("sweep", "-c", path, *SWEEP_ARGS, "--scheduler", str(remote.address))
    assert code == 0, err
    assert dask == local
    assert err == f"sweep: 20 runs on the Dask cluster at {remote.address}, 2 workers; dashboard " + (
        f"http://127.0.0.1:{err.rsplit(':', 1)[1].split('/')[0]}/status\n"
    )
    dashboard = httpx.get(err.rsplit(" ", 1)[1].strip(), timeout=30)  # Dask's own page, bokeh installed
    assert dashboard.status_code == 200
    assert "Dask" in dashboard.text
    code, report, err = invoke("sweep", "-c", path, *SWEEP_ARGS, "--scheduler", str(remote.address), "--json")
    assert code == 0, err
    cluster = json.loads(report)["cluster"]
    assert (cluster["scheduler"], cluster["address"], cluster["workers"]) == (remote.text, remote.address, 2)


@pytest.mark.slow
def test_sweep_on_a_local_cluster_prints_the_local_table(write_config: Callable[..., Path]) -> None:
    path = str(write_config(CONFIG))
    code, local, err = invoke("sweep", "-c", path, *SWEEP_ARGS, "--workers", "1")
    assert code == 0, err
    code, dask, err = invoke("sweep", "-c", path, *SWEEP_ARGS, "--scheduler", "local:2")
    assert code == 0, err
    assert dask == local
    assert err.startswith("sweep: 20 runs on the Dask cluster at tcp://127.0.0.1:")
    assert "(local:2), 2 workers; dashboard http://127.0.0.1:" in err


def trimtab_command() -> list[str]:
    executable = Path(sys.executable).parent / "trimtab"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "trimtab"]


@pytest.mark.slow
def test_an_unreachable_scheduler_from_the_command_line(write_config: Callable[..., Path]) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [*trimtab_command(), "sweep", "-c", str(write_config(CONFIG)), *SWEEP_ARGS, "--scheduler", address],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: sweep: cannot reach the Dask scheduler at {address}: ")
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_terminal_stops_a_local_cluster_sweep_cleanly(write_config: Callable[..., Path]) -> None:
    """A terminal sends SIGINT to the whole process group: the command and its LocalCluster's workers."""
    process = subprocess.Popen(
        [*trimtab_command(), "sweep", "-c", str(write_config(CONFIG)), "--start", "2019-01-01",
         "--thresholds", "1,2,3,4,5,6,7,8,9,10", "--intervals", "24,48,168", "--scheduler", "local:2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(60), "the cluster never said where it runs"
    time.sleep(0.5)  # some runs done, most to come
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    reader.join(timeout=10)
    assert process.stdout is not None
    stdout = process.stdout.read()
    assert process.returncode == 130
    assert lines[0].startswith("sweep: ")
    assert lines[1:] == ["error: interrupted\n"], "one line, no traceback from the command or a worker"
    assert stdout == ""
    deadline = time.monotonic() + 10  # the workers' resource tracker ends once they are gone
    while (left := group(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == "", "no worker process is left behind"


def group(pgid: int) -> str:
    """The processes of a process group, one ``pid command`` a line."""
    found = subprocess.run(["pgrep", "-a", "-g", str(pgid)], capture_output=True, text=True, check=False)
    return found.stdout

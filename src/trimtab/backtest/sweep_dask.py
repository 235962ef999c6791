# mypy: disallow-untyped-calls=False
# (distributed's Client, LocalCluster, as_completed, scatter and cancel are not annotated)
"""A sweep's backtests on a Dask distributed cluster (``trimtab sweep --scheduler``).

The jobs are :mod:`trimtab.backtest.sweep`'s, and each runs through the same function as on local
processes (``run_job``), so the results are the local run's to the last digit; they are collected by
the same collector and ranked the same way. What differs is where the price history comes from: the
parent's frame is scattered to every worker once (``broadcast``), and each task receives it from the
worker's memory, so no worker reads the price file (it need not have one) and no task carries it. A
worker keeps one :class:`~trimtab.backtest.study.StudyCache` per scattered frame, as a local process
keeps one per price file.

``tcp://HOST:PORT`` (or ``tls://``, with Dask's own TLS configuration) connects to a running scheduler;
``local:N`` starts a :class:`distributed.LocalCluster` of N single-threaded worker processes here, for its
dashboard. Before any run, every worker must have the same trimtab (version, and a digest of its source)
and numpy as this process: results identical to a local run depend on it. A worker that joins later is
checked by its first task.

A failure, or an interrupt (Ctrl-C) while the results come in, cancels the cluster's tasks of the sweep
before it propagates; the client, and a ``local:N`` cluster, are closed either way. Dask is imported here
only, and this module only by a sweep given a scheduler.
"""

from __future__ import annotations

import hashlib
import logging
import re
import signal
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from trimtab.backtest.study import StudyCache
from trimtab.backtest.sweep import ResultCollector, RunFailure, SweepFailed, SweepJob, SweepRun, run_job
from trimtab.errors import ParameterError, Wording

if TYPE_CHECKING:
    from distributed import Client

    from trimtab.backtest.data import PriceFrame

DEFAULT_PORT = 8786  # the port `dask scheduler` listens on
CONNECT_TIMEOUT = 5.0  # seconds to reach the scheduler, and for a scheduler without workers to get one
CLOSE_TIMEOUT = 10.0
_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::(\d{1,5}))?/?$")
_LOCAL = re.compile(r"^local:(\d{1,4})$")
EXPECTED = "expected tcp://HOST:PORT, tls://HOST:PORT or local:N (N >= 1)"


@dataclass(frozen=True)
class Scheduler:
    """Where a sweep runs: a running scheduler's ``address``, or a LocalCluster of ``local_workers``."""

    text: str  # as the user gave it
    address: str | None = None
    local_workers: int | None = None


@dataclass(frozen=True)
class ClusterInfo:
    """The cluster a sweep ran on, for the front end to show and the JSON to name."""

    scheduler: str  # as the user gave it: tcp://HOST:PORT or local:N
    address: str  # the scheduler's address (a local:N cluster's is on 127.0.0.1)
    workers: int  # when the sweep started
    dashboard: str | None  # Dask's dashboard, None when the scheduler serves no HTTP


class ClusterFailed(SweepFailed):
    """The cluster cannot run the sweep: unreachable, no workers, or a worker with another trimtab."""


def parse_scheduler(text: str) -> Scheduler:
    """``tcp://HOST[:PORT]``, ``tls://HOST[:PORT]`` (port 8786 by default) or ``local:N`` (N >= 1)."""
    value = text.strip()
    local = _LOCAL.match(value)
    if local is not None and int(local.group(1)) >= 1:
        return Scheduler(value, local_workers=int(local.group(1)))
    address = _ADDRESS.match(value)
    if address is not None:
        scheme, host, port = address.groups()
        number = DEFAULT_PORT if port is None else int(port)
        if 1 <= number <= 65535:
            return Scheduler(value, address=f"{scheme}://{host}:{number}")
    raise ParameterError("scheduler", f"{EXPECTED}, got {text!r}")


# -- what a worker runs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """What must be the same on every worker as here for the results to be the same."""

    trimtab: str
    code: str  # a digest of the sweep's Python sources: a checkout's edits count, not only the version
    numpy: str

    def __str__(self) -> str:
        return f"trimtab {self.trimtab} (code {self.code}, numpy {self.numpy})"


# The floors above the backtest (the import contracts keep them out of it): edits there cannot change a
# sweep's results, and a worker need not match them.
_ABOVE_THE_SWEEP = frozenset({"app", "cli", "web", "notify"})


@lru_cache(maxsize=1)
def installed() -> Installed:
    import numpy

    import trimtab

    root = Path(trimtab.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] in _ABOVE_THE_SWEEP:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return Installed(trimtab.__version__, digest.hexdigest()[:12], numpy.__version__)


def dask_setup(worker: object) -> None:
    """A ``local:N`` worker process ignores SIGINT (Dask's preload hook, run as it starts). A terminal's
    Ctrl-C goes to every process of its group; the sweep's process cancels the tasks and closes the
    cluster, and a worker interrupted meanwhile would only print its traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_caches: dict[tuple[str, int], StudyCache] = {}
_caches_lock = threading.Lock()


def _cache(frame: PriceFrame, frame_key: str) -> StudyCache:
    """This worker thread's cache of the scattered frame (a worker keeps the frame as long as the sweep)."""
    key = (frame_key, threading.get_ident())
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None or cache.frame is not frame:
            cache = _caches[key] = StudyCache(frame)
            while len(_caches) > 8:
                del _caches[next(iter(_caches))]
        return cache


def run_on_worker(
    job: SweepJob, frame: PriceFrame, frame_key: str, expected: Installed
) -> tuple[int, SweepRun | RunFailure]:
    """One task: the local path's run of ``job``, on the frame scattered to this worker."""
    here = installed()
    if here != expected:
        from distributed import get_worker

        text = f"the Dask worker {get_worker().address} runs {here}, this sweep {expected}"
        return job.index, RunFailure(job.index, Wording((text,)), 1)
    return run_job(job, _cache(frame, frame_key))


# -- the sweep's side ------------------------------------------------------------------------------------


def execute_on_cluster(
    jobs: list[SweepJob],
    frame: PriceFrame,
    scheduler: Scheduler,
    collect: ResultCollector,
    *,
    on_cluster: Callable[[ClusterInfo], None] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> ClusterInfo:
    """Run ``jobs`` on the cluster, passing each outcome to ``collect`` as it completes."""
    from distributed import as_completed

    with _connected(scheduler, connect_timeout) as (client, address):
        workers = _check_workers(client, address, connect_timeout)
        info = ClusterInfo(scheduler.text, address, workers, _dashboard(client, address))
        if on_cluster is not None:
            on_cluster(info)
        shared = client.scatter(frame, broadcast=True, hash=False)
        token = uuid.uuid4().hex[:12]
        futures = client.map(
            run_on_worker,
            jobs,
            frame=shared,
            frame_key=shared.key,
            expected=installed(),
            key=[f"trimtab-sweep-{token}-{job.index}" for job in jobs],
            pure=False,
        )
        try:
            for future in as_completed(futures, loop=client.loop):
                try:
                    index, outcome = future.result()
                except Exception as error:  # the cluster's failure, not a run's (those come as RunFailure)
                    raise ClusterFailed(f"sweep: a task failed on the Dask cluster at {address}: "
                                        f"{type(error).__name__}: {error}") from error  # fmt: skip
                collect(index, outcome)
        except BaseException:  # a failed run, a lost cluster, Ctrl-C: the rest is not wanted
            client.cancel([*futures, shared])
            raise
    return info


@contextmanager
def _connected(scheduler: Scheduler, timeout: float) -> Iterator[tuple[Client, str]]:
    """A client of the scheduler (of a LocalCluster started here for ``local:N``), closed on exit."""
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if scheduler.local_workers is not None:
            with _sigint_held(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "port 8787 is in use, the dashboard is on port ..."
                cluster = LocalCluster(
                    n_workers=scheduler.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    preload=[__name__],  # dask_setup: the workers leave Ctrl-C to this process
                    silence_logs=logging.ERROR,  # not the workers' warnings about tasks cancelled
                )
                stack.callback(cluster.close, timeout=CLOSE_TIMEOUT)
            client = Client(cluster, set_as_default=False)
            address = str(cluster.scheduler_address)
        else:
            address = scheduler.address or ""
            try:
                client = Client(address, timeout=timeout, set_as_default=False)
            except Exception as error:
                raise ClusterFailed(f"sweep: cannot reach the Dask scheduler at {address}: {error}") from None
        stack.callback(client.close, timeout=CLOSE_TIMEOUT)
        yield client, address


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile, and so in the threads it starts (Dask's event loop) and
    the processes they start (a LocalCluster's workers): a terminal's Ctrl-C, which goes to every process
    of its group, then reaches this process alone, as soon as the cluster is up and can be closed."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _check_workers(client: Client, address: str, timeout: float, expected: Installed | None = None) -> int:
    """The number of workers, each with this process's trimtab (``expected``); else one line saying what
    is wrong."""
    if not client.scheduler_info()["workers"]:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterFailed(
                f"sweep: the Dask scheduler at {address} has no workers (start some: dask worker {address})"
            ) from None
    expected = expected or installed()
    fix = "install the same trimtab on every worker (pip install -c constraints.txt .)"
    found = client.run(installed, on_error="return")
    for worker, theirs in sorted(found.items()):
        # a failure to unpickle the probe comes as Exception('ModuleNotFoundError("No module named ...")')
        if isinstance(theirs, BaseException) and "No module named 'trimtab" in str(theirs):
            raise ClusterFailed(f"sweep: the Dask worker {worker} has no trimtab installed: {fix}")
        if isinstance(theirs, BaseException):
            raise ClusterFailed(
                f"sweep: the Dask worker {worker} cannot run trimtab ({type(theirs).__name__}: {theirs}): {fix}"
            )
        if theirs != expected:
            raise ClusterFailed(
                f"sweep: the Dask worker {worker} runs {theirs}, this machine {expected}: {fix}"
            )
    return len(found)


def _dashboard(client: Client, address: str) -> str | None:
    """The dashboard's address; None when the scheduler serves no HTTP. (Without bokeh on the
    scheduler's machine, the page there says to install it.)"""
    port = client.scheduler_info().get("services", {}).get("dashboard")
    if port is None:
        return None
    host = address.split("://", 1)[1].rsplit(":", 1)[0]
    return f"http://{host}:{port}/status"

"""A real ``trimtab serve`` process for tests: started with ``--json --port 0`` on loopback, its events read
as they come, its URL taken from its ``listening`` event, stopped with a real signal."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

WAIT = 90.0  # seconds: generous, never reached when things work (the tests are not timed)
FIXED_CLOCK = {"TRIMTAB_NOW": "2025-01-01T12:00:00Z", "COLUMNS": "200"}


def trimtab_command() -> list[str]:
    return [sys.executable, "-m", "trimtab"]


def environment(extra: Mapping[str, str] | None = None, *, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRIMTAB_WEB_TOKEN", "TRIMTAB_NOTIFY_URLS")}
    env.update(FIXED_CLOCK)
    if token is not None:
        env["TRIMTAB_WEB_TOKEN"] = token
    env.update(extra or {})
    return env


def run_cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*trimtab_command(), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(env) if env is not None else environment(),
    )


def cli_json(*args: str) -> Any:
    done = run_cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Served:
    """One ``trimtab serve --json`` process and the events it printed so far."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], *, command: tuple[str, ...] = ("serve", "--json")
    ) -> None:
        self.process = subprocess.Popen(
            [*trimtab_command(), *command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(env),
        )
        self.events: list[dict[str, Any]] = []
        self.url = ""
        self.read_output()

    @classmethod
    def command(cls, args: list[str], env: Mapping[str, str]) -> Served:
        """Another command that serves (``demo --serve``), its arguments given whole."""
        return cls(args, env, command=())

    def read_output(self) -> None:
        """Read stdout (events) and stderr in threads: neither pipe ever fills up and blocks trimtab."""
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self._stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        self._stderr.extend(self.process.stderr)

    def until(self, found: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first event for which ``found`` is true (waiting for it); fails if the process ends first."""
        for event in self.events:
            if found(event):
                return event
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"serve ended: {self.finish()[1]}")
            event = json.loads(line)
            self.events.append(event)
            if found(event):
                return event
        raise AssertionError(f"no such event in {self.events}")

    def listening(self) -> str:
        self.url = self.until(lambda e: e["event"] == "listening")["url"]
        return self.url

    def sleeping(self, portfolio: str) -> dict[str, Any]:
        return self.until(lambda e: e["event"] == "sleep" and e.get("portfolio") == portfolio)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.finish()

    def finish(self) -> tuple[int, str]:
        """Wait for the process to end: its exit code and stderr (every event is read into ``events``)."""
        self.process.wait(timeout=WAIT)
        self._stderr_thread.join(timeout=WAIT)
        stderr = "".join(self._stderr)
        while True:
            line = self._lines.get(timeout=WAIT)
            if line is None:
                break
            self.events.append(json.loads(line))
        self._lines.put(None)
        return self.process.returncode, stderr


def serve(*configs: Path, extra: list[str] | None = None, env: Mapping[str, str] | None = None) -> Served:
    args = [arg for path in configs for arg in ("-c", str(path))]
    return Served([*args, "--host", "127.0.0.1", "--port", "0", *(extra or [])], env or environment())


@contextmanager
def serving(*configs: Path, token: str | None = None) -> Iterator[Served]:
    """``trimtab serve`` on ``configs`` (each portfolio named after its file), given once every portfolio was
    checked at start and went to sleep; stopped afterwards, and it must end cleanly: exit 0, no traceback."""
    served = serve(*configs, env=environment(token=token))
    served.listening()
    for config in configs:
        served.sleeping(config.stem)
    yield served
    code, stderr = served.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr


@contextmanager
def http_client(served: Served) -> Iterator[httpx.Client]:
    """An HTTP client on ``served``'s URL."""
    with httpx.Client(base_url=served.url, timeout=30) as http:
        yield http


def get_json(http: httpx.Client, path: str) -> Any:
    """The JSON of a ``GET path`` that must answer 200."""
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    return answer.json()

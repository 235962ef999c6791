"""The installed ``trimtab`` command as a real process: exit codes, no tracebacks, clean stop on signals."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def trimtab_command() -> list[str]:
    executable = Path(sys.executable).parent / "trimtab"
    if executable.exists():
        return [str(executable)]
    found = shutil.which("trimtab")
    return [found] if found else [sys.executable, "-m", "trimtab"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*trimtab_command(), *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def test_bad_config_exits_2_with_one_line_and_no_traceback(write_config: Callable[..., Path]) -> None:
    path = write_config("portfolio:\n  target_weights: {BTC: 50, ETH: 60}\n")
    result = run("plan", "-c", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "portfolio.target_weights: weights sum to 110, they must sum to 100" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(write_config: Callable[..., Path]) -> None:
    path = write_config("portfolio:\n  target_weights: {BTC: 50, ETH: 60}\n")
    result = run("plan", "-c", str(path), "--debug")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_unknown_flag_is_a_usage_error() -> None:
    assert run("status", "--no-such-flag").returncode == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_loop_stops_cleanly_on_signal(write_config: Callable[..., Path], sig: signal.Signals) -> None:
    path = write_config()
    process = subprocess.Popen(
        [*trimtab_command(), "run", "-c", str(path), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    # wait for the first check to finish: the loop then sleeps until the next one
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if '"event": "sleep"' in line:
            break
    else:
        process.kill()
        pytest.fail(f"the loop never went to sleep: {seen}")
    process.send_signal(sig)
    try:
        code = process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the loop did not stop on the signal")
    assert code == 0
    stderr = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in stderr
    history = run("history", "-c", str(path), "--json")
    assert '"status": "completed"' in history.stdout

"""Ctrl-C (SIGINT) sent to real ``trimtab`` processes at various moments: always exit code 130 and the one
line ``error: interrupted``, never a traceback, and the portfolio left for the next command to finish.

SIGINT is honoured even when the parent started trimtab ignoring it, as a shell does for a background job
(``trimtab rebalance &`` in a script): before, the rebalance then ran on and exited 0."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from trimtab.app.portfolio_lock import LOCK_FILE_NAME, holder_path
from trimtab.cli.console import LostInterrupts
from trimtab.ledger.store import LedgerStore
from trimtab.venues.paper_state import STATE_FILE_NAME, load_state

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

INTERRUPTED = 130


def trimtab_command() -> list[str]:
    executable = Path(sys.executable).parent / "trimtab"
    return [str(executable)] if executable.exists() else [sys.executable, "-m", "trimtab"]


# What a script's ``trimtab rebalance &`` does: the command starts with SIGINT ignored.
IGNORING_SIGINT = ["bash", "-c", 'trap "" INT; exec "$@"', "bash"]


def interrupt_after(
    args: list[str], delay: float, *, ready: Callable[[], bool] | None = None, ignored: bool = False
) -> tuple[int | None, str, str]:
    """Start trimtab, wait until ``ready()`` (if given) and ``delay`` more seconds, send SIGINT. Returns
    (exit code, stdout, stderr), the exit code None if the command had finished before the signal."""
    process = subprocess.Popen(
        [*(IGNORING_SIGINT if ignored else []), *trimtab_command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while ready is not None and not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(delay)
    finished_first = process.poll() is not None
    if not finished_first:
        process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    return (None if finished_first else process.returncode), stdout, stderr


def assert_interrupted(code: int | None, stderr: str) -> bool:
    """True if the signal interrupted the command; False if it came as the command was ending (exit 0,
    its work done: SIGINT is ignored once the exit code is decided)."""
    if code == 0:
        assert "Traceback" not in stderr
        return False
    assert code == INTERRUPTED, stderr
    assert stderr == "error: interrupted\n", "one line, no traceback"
    return True


@pytest.mark.parametrize("command", [["status"], ["rebalance"], ["validate"], ["--help"]])
def test_sigint_while_starting_is_one_line_and_130(
    write_config: Callable[..., Path], command: list[str]
) -> None:
    """The first second is spent importing (typer, rich, pydantic, SQLAlchemy): Ctrl-C there too."""
    path = write_config()
    args = command if command == ["--help"] else [*command, "-c", str(path)]
    interrupted = 0
    for delay in (0.1, 0.2, 0.3, 0.45, 0.6):
        code, _, stderr = interrupt_after(args, delay)
        if code is None:
            continue  # done before the signal: nothing to interrupt
        interrupted += assert_interrupted(code, stderr)
    assert interrupted, "every command finished before its signal: nothing was tested"


def agree(data: Path) -> None:
    """The ledger and the paper account hold the same orders, each once, and no run failed."""
    with LedgerStore.open(f"sqlite:///{data / 'ledger.db'}") as ledger:
        runs = ledger.list_runs(1000)
        details = [ledger.run_detail(r.id) for r in runs]
    ids = [o.client_order_id for d in details if d is not None for o in d.orders]
    assert len(ids) == len(set(ids))
    state = load_state(data / STATE_FILE_NAME)
    assert set(ids) == set(state.orders if state is not None else {})
    assert {str(r.status) for r in runs} <= {"completed", "skipped"}, [(r.status, r.error) for r in runs]
    assert all(r.error in (None, "interrupted before any order was placed") for r in runs)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.03, 0.06, 0.09, 0.12, 0.15, 0.2])
def test_sigint_during_rebalance_exits_130_and_the_next_rebalance_finishes(
    write_config: Callable[..., Path], delay: float
) -> None:
    """Sent once the command holds the portfolio (imports done), SIGINT lands while the bot is built,
    plans or trades. The parent ignores SIGINT, as a script's ``&`` does: trimtab must not."""
    path = write_config()
    data = path.parent / "data"
    record = holder_path(data / LOCK_FILE_NAME)
    code, _, stderr = interrupt_after(
        ["rebalance", "-c", str(path)], delay, ready=record.exists, ignored=True
    )
    if code is not None:
        assert_interrupted(code, stderr)
    else:
        assert "Traceback" not in stderr
    again = subprocess.run(
        [*trimtab_command(), "rebalance", "-c", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    agree(data)
    status = subprocess.run(
        [*trimtab_command(), "plan", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Decision: no rebalance" in status.stdout, "the portfolio reached its targets, once"


def test_an_interrupt_that_lands_in_a_callback_is_kept_not_printed() -> None:
    """A KeyboardInterrupt raised inside ``__del__`` or a gc callback cannot propagate; Python would print
    "Exception ignored in ..." with a traceback. The command's hook keeps it (the command then ends as
    interrupted) and passes other exceptions on."""
    passed_on: list[type[BaseException] | None] = []
    lost = LostInterrupts(lambda failure: passed_on.append(failure.exc_type))

    class Dying:
        def __init__(self, error: type[BaseException]) -> None:
            self.error = error

        def __del__(self) -> None:
            raise self.error

    previous = sys.unraisablehook
    sys.unraisablehook = lost
    try:
        Dying(ValueError)  # freed at once: its __del__'s exception is unraisable
        assert (passed_on, lost.caught) == ([ValueError], False)
        Dying(KeyboardInterrupt)
        assert (passed_on, lost.caught) == ([ValueError], True)
    finally:
        sys.unraisablehook = previous


def test_an_interrupt_python_wraps_in_another_error_still_ends_as_interrupted() -> None:
    """A SIGINT inside a class's ``__set_name__`` (while a module is imported) reaches trimtab as a
    RuntimeError caused by the KeyboardInterrupt: still one line and 130, no traceback."""
    code = (
        "import sys, types\n"
        "class Interrupting:\n"
        "    def __set_name__(self, owner, name):\n"
        "        raise KeyboardInterrupt\n"
        "fake = types.ModuleType('trimtab.cli.main')\n"
        "fake.main = lambda: type('Owner', (), {'attr': Interrupting()})\n"
        "sys.modules['trimtab.cli.main'] = fake\n"
        "from trimtab.cli.console import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == INTERRUPTED, done.stderr
    assert done.stderr == "error: interrupted\n"

"""The installed ``trimtab`` command (``[project.scripts]``) and ``python -m trimtab``.

It imports nothing but the standard library before it is ready for Ctrl-C, then imports the command line
(:mod:`trimtab.cli.main`: typer, rich, pydantic, later SQLAlchemy and ccxt). A SIGINT at any moment therefore
ends the command with one line, ``error: interrupted``, and exit code 130 — during the imports too, where
Python would print a ``KeyboardInterrupt`` traceback — and inside a command too, once the command has left
the ledger consistent (see ``Bot.rebalance``) and typer has turned the interrupt into exit code 130.

A shell starts a background job (``trimtab rebalance &`` in a script) with SIGINT ignored, and Python
keeps it ignored: ``kill -INT`` then did nothing and the rebalance went on to exit 0. trimtab honours
SIGINT however it was started: stopping it is always safe, and a signal silently ignored is not what the
person sending it expects.

Python runs a SIGINT's handler between any two bytecodes, also inside a garbage-collection callback or a
``__del__`` (SQLAlchemy has such callbacks). A KeyboardInterrupt raised there cannot propagate: Python
would print ``Exception ignored in: ...`` with a traceback and go on as if nothing had happened. trimtab
keeps such an interrupt (:class:`LostInterrupts`) and, the command done, ends with ``error: interrupted``
and 130 unless the command failed on its own. (Inside ``asyncio.run``, where the long work happens, a
SIGINT cancels the running task instead and never lands in a callback.)

numpy's OpenBLAS starts one thread per core when numpy is imported (~20 ms of wall time and ~80 ms of CPU
on 2 cores, for a command that takes half a second); nothing trimtab computes is a matrix product large
enough to gain from them. One thread is the default; ``OPENBLAS_NUM_THREADS`` set by the user wins.
"""

from __future__ import annotations

import os
import signal
import sys

# typing takes longer to import than the rest of this module: until main() is ready for Ctrl-C, nothing
# is imported that need not be (the names below are for the type checker only).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


def main() -> None:
    honour_sigint()
    lost = LostInterrupts(sys.unraisablehook)
    sys.unraisablehook = lost
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported (see the docstring)
    try:
        from trimtab.cli.main import main as command_line

        command_line()
    except KeyboardInterrupt:
        interrupted()
    except Exception as error:
        # A SIGINT inside a class's __set_name__ (an import) comes out as RuntimeError("Error calling
        # __set_name__ ...") with the KeyboardInterrupt as its cause (Python 3.11).
        if caused_by_interrupt(error):
            interrupted()
        raise
    except SystemExit as stop:
        # typer ends a Ctrl-C inside a command with 130 but without a word
        if stop.code == INTERRUPTED or (lost.caught and not stop.code):
            interrupted()
        raise
    else:
        if lost.caught:
            interrupted()
    finally:
        # The command is over and its exit code decided: a Ctrl-C while Python shuts down would only
        # turn it into a death by signal.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def honour_sigint() -> None:
    """Make SIGINT raise KeyboardInterrupt (Python's default) even if the parent started us ignoring it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class LostInterrupts:
    """An unraisable-exception hook that keeps the KeyboardInterrupts Python could not raise (a SIGINT that
    came inside a callback) instead of printing them, and passes every other exception on to ``hook``.
    ``caught`` says whether one came: the command then ends as interrupted."""

    def __init__(self, hook: Callable[[sys.UnraisableHookArgs], object]) -> None:
        self.hook = hook
        self.caught = False

    def __call__(self, failure: sys.UnraisableHookArgs) -> None:
        if failure.exc_type is KeyboardInterrupt:
            self.caught = True
            return
        self.hook(failure)


def caused_by_interrupt(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is the cause of ``error`` (Python wrapped it in another error)."""
    seen: set[int] = set()
    cause = error.__cause__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__
    return False


def interrupted() -> NoReturn:
    """End the process with exit code 130 and the one line ``error: interrupted`` on stderr; a second
    Ctrl-C meanwhile changes nothing."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stderr.write("error: interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr closed: the exit code still says it
    raise SystemExit(INTERRUPTED)

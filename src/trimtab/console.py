"""The installed ``trimtab`` command (``[project.scripts]``) and ``python -m trimtab``.

It imports nothing but the standard library before it is ready for Ctrl-C, then imports the command line
(:mod:`trimtab.cli`: typer, rich, pydantic, later SQLAlchemy and ccxt). A SIGINT at any moment therefore
ends the command with one line, ``error: interrupted``, and exit code 130 — during the imports too, where
Python would print a ``KeyboardInterrupt`` traceback — and inside a command too, once the command has left
the ledger consistent (see ``Bot.rebalance``) and typer has turned the interrupt into exit code 130.

A shell starts a background job (``trimtab rebalance &`` in a script) with SIGINT ignored, and Python
keeps it ignored: ``kill -INT`` then did nothing and the rebalance went on to exit 0. trimtab honours
SIGINT however it was started: stopping it is always safe, and a signal silently ignored is not what the
person sending it expects.

numpy's OpenBLAS starts one thread per core when numpy is imported (~20 ms of wall time and ~80 ms of CPU
on 2 cores, for a command that takes half a second); nothing trimtab computes is a matrix product large
enough to gain from them. One thread is the default; ``OPENBLAS_NUM_THREADS`` set by the user wins.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


def main() -> None:
    honour_sigint()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported (see the docstring)
    try:
        from trimtab.cli import main as command_line

        command_line()
    except KeyboardInterrupt:
        interrupted()
    except SystemExit as stop:
        if stop.code == INTERRUPTED:
            interrupted()  # typer ends a Ctrl-C inside a command with 130 but without a word
        raise
    finally:
        # The command is over and its exit code decided: a Ctrl-C while Python shuts down would only
        # turn it into a death by signal.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def honour_sigint() -> None:
    """Make SIGINT raise KeyboardInterrupt (Python's default) even if the parent started us ignoring it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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

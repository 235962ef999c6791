"""`tax report` pauses Python's cyclic collector while it builds and walks a history, and always gives
it back as it was: after a report, after a failing one, and when it was already paused."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from trimtab.collector import collector_paused


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failure_inside_still_enables_it_again() -> None:
    with pytest.raises(ValueError, match="bad row"), collector_paused():
        raise ValueError("bad row")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_the_pause_made_goes_to_the_oldest_generation_and_stays_collectable() -> None:
    gc.collect()
    with collector_paused():
        made: list[list[int]] = [[] for _ in range(5000)]
        loop: list[object] = []
        loop.append(loop)
        del loop
    assert gc.get_freeze_count() == 0  # moved, not left frozen
    assert gc.get_count()[0] < 1000  # nothing for the youngest generation's pass to walk
    assert gc.is_tracked(made[0])
    assert gc.collect() >= 1  # the loop made during the pause is still found by a full pass


def test_a_process_that_paused_it_freezes_what_is_left_when_it_exits() -> None:
    code = (
        "import atexit, gc\n"
        "from trimtab.collector import collector_paused\n"
        "with collector_paused():\n"
        "    kept = [[] for _ in range(1000)]\n"
        "atexit._run_exitfuncs()\n"
        "print(gc.get_freeze_count() >= 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"

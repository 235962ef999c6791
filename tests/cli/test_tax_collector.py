"""`tax report` pauses Python's cyclic collector while it builds and walks a history, and always gives
it back as it was: after a report, after a failing one, and when it was already paused."""

from __future__ import annotations

import gc

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

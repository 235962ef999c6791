"""retrying: temporary venue errors are retried with backoff and Retry-After; nothing else is."""

from __future__ import annotations

import pytest

from trimtab.errors import FatalVenueError, InsufficientFunds, OrderRejected, TemporaryVenueError, VenueError
from trimtab.venues.retry import backoff_delay, retrying


class Script:
    """An async call that raises the scripted errors in turn, then returns "ok"; it records the sleeps."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.sleeps: list[float] = []

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_a_temporary_error_is_retried_until_the_call_succeeds() -> None:
    script = Script(TemporaryVenueError("busy"), TemporaryVenueError("busy"))
    assert await retrying(script, sleep=script.sleep) == "ok"
    assert script.calls == 3
    assert script.sleeps == [0.5, 1.0]


async def test_after_the_last_attempt_the_last_error_is_raised() -> None:
    errors = [TemporaryVenueError(f"busy {n}") for n in range(4)]
    script = Script(*errors, TemporaryVenueError("never reached"))
    with pytest.raises(TemporaryVenueError) as caught:
        await retrying(script, attempts=4, sleep=script.sleep)
    assert caught.value is errors[-1]
    assert script.calls == 4
    assert script.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "error",
    [OrderRejected("Filter failure: NOTIONAL"), InsufficientFunds("no money"), FatalVenueError("bad key")],
)
async def test_rejections_and_fatal_errors_are_never_retried(error: VenueError) -> None:
    script = Script(error)
    with pytest.raises(type(error)) as caught:
        await retrying(script, sleep=script.sleep)
    assert caught.value is error
    assert script.calls == 1
    assert script.sleeps == []


async def test_other_exceptions_are_not_retried() -> None:
    script = Script(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        await retrying(script, sleep=script.sleep)
    assert script.calls == 1


async def test_it_waits_at_least_what_the_venue_asked_for() -> None:
    script = Script(TemporaryVenueError("429", retry_after=7.0), TemporaryVenueError("429", retry_after=0.1))
    assert await retrying(script, sleep=script.sleep) == "ok"
    assert script.sleeps == [7.0, 1.0]  # the larger of Retry-After and the backoff


async def test_a_wait_longer_than_max_delay_is_not_slept_but_raised_for_the_caller() -> None:
    ban = TemporaryVenueError("IP banned", retry_after=3600.0)
    script = Script(ban)
    with pytest.raises(TemporaryVenueError) as caught:
        await retrying(script, max_delay=30.0, sleep=script.sleep)
    assert caught.value is ban
    assert caught.value.retry_after == 3600.0
    assert script.sleeps == []


async def test_backoff_is_capped_at_max_delay() -> None:
    script = Script(*(TemporaryVenueError("busy") for _ in range(5)))
    assert await retrying(script, attempts=6, base_delay=1.0, max_delay=4.0, sleep=script.sleep) == "ok"
    assert script.sleeps == [1.0, 2.0, 4.0, 4.0, 4.0]


async def test_on_retry_sees_each_retry_before_its_sleep() -> None:
    first = TemporaryVenueError("busy")
    script = Script(first)
    seen: list[tuple[int, TemporaryVenueError, float]] = []
    await retrying(script, sleep=script.sleep, on_retry=lambda n, e, d: seen.append((n, e, d)))
    assert seen == [(1, first, 0.5)]


async def test_one_attempt_means_no_retry() -> None:
    script = Script(TemporaryVenueError("busy"))
    with pytest.raises(TemporaryVenueError):
        await retrying(script, attempts=1, sleep=script.sleep)
    assert script.calls == 1


async def test_attempts_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="attempts must be >= 1"):
        await retrying(Script(), attempts=0)


def test_backoff_doubles_from_the_base_delay() -> None:
    assert [backoff_delay(n, 0.25, 10.0) for n in (1, 2, 3, 4, 7)] == [0.25, 0.5, 1.0, 2.0, 10.0]

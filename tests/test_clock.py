"""TRIMTAB_NOW: a fixed clock for reproducible paper runs, refused with a real exchange."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trimtab.clock import environment_clock, fixed_time
from trimtab.errors import ConfigError


@pytest.mark.parametrize(
    "text",
    ["2026-11-25T00:58:00Z", "2026-11-25 00:58:00", "2026-11-25T01:58:00+01:00", "2026-11-25T00:58"],
)
def test_fixed_time_reads_iso_8601_as_utc(text: str) -> None:
    assert fixed_time(text) == datetime(2026, 11, 25, 0, 58, tzinfo=UTC)


def test_fixed_time_names_the_variable_and_the_format() -> None:
    with pytest.raises(ConfigError, match="TRIMTAB_NOW: expected an ISO 8601 time"):
        fixed_time("next tuesday")


def test_without_the_variable_there_is_no_fixed_clock() -> None:
    assert environment_clock(True, {}) is None
    assert environment_clock(False, {"TRIMTAB_NOW": " "}) is None


def test_the_paper_exchange_gets_the_fixed_time() -> None:
    clock = environment_clock(True, {"TRIMTAB_NOW": "2026-11-25T00:58:00Z"})
    assert clock is not None
    assert clock() == clock() == datetime(2026, 11, 25, 0, 58, tzinfo=UTC)


def test_a_real_exchange_refuses_a_fixed_clock() -> None:
    with pytest.raises(ConfigError, match="paper exchange only"):
        environment_clock(False, {"TRIMTAB_NOW": "2026-11-25T00:58:00Z"})

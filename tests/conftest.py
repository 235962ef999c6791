"""Shared fixtures: a config file on disk with a drifted paper portfolio and a fixed clock."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# Test helpers shared across folders (e.g. ``flaky_venue``): importable as plain modules, since pytest runs
# with --import-mode=importlib and the test folders are not packages.
_SUPPORT = str(Path(__file__).parent / "support")
if _SUPPORT not in sys.path:
    sys.path.insert(0, _SUPPORT)

from configs import yaml_config  # noqa: E402  (found through the path above)

# The seed portfolio, drifted since it was bought at the targets on 2024-01-01 (see tests/support/configs.py).
DRIFTED_CONFIG = yaml_config(risk={"max_single_trade_percent": 20, "slippage_tolerance": 0.5})


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str = DRIFTED_CONFIG, name: str = "trimtab.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write

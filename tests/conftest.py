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

DRIFTED_CONFIG = """
portfolio:
  target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}
rebalancing:
  strategy: threshold
  threshold_percent: 5
  min_trade_usd: 20
risk:
  max_single_trade_percent: 20
  slippage_tolerance: 0.5
data_dir: data
exchange:
  name: paper
  # bought at the targets with 10,000 USDT at the closes of 2024-01-01
  balances: {BTC: 0.09053, ETH: 1.2754, SOL: 13.647, BNB: 3.189, USDT: 500.9402525}
  prices: 2024-12-31
  fee_rate: 0.001
"""


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str = DRIFTED_CONFIG, name: str = "trimtab.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write

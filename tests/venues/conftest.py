"""Fixtures for the paper venue tests: a venue factory with a fixed clock and BTC at 60000 USDT."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from trimtab.pricedata import PriceHistory, bundled_history
from trimtab.venues.paper import PaperSettings, PaperVenue

FIXED_NOW = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    """The paper venue clock's time in these tests."""
    return FIXED_NOW


@pytest.fixture
def make_venue() -> Callable[..., PaperVenue]:
    """Build a paper venue: 10000 USDT and 0.5 BTC, BTC at an explicit 60000, the rest from the bundled history."""

    def make(
        *,
        state_path: Path | None = None,
        balances: Mapping[str, Decimal] | None = None,
        prices: Mapping[str, Decimal] | None = None,
        history: PriceHistory | None = None,
        quote: str = "USDT",
        **options: Any,
    ) -> PaperVenue:
        settings = PaperSettings(
            balances={"USDT": Decimal(10000), "BTC": Decimal("0.5")} if balances is None else balances,
            prices={"BTC": Decimal(60000)} if prices is None else prices,
            **options,
        )
        return PaperVenue(
            settings,
            quote=quote,
            state_path=state_path,
            history=bundled_history() if history is None else history,
            clock=lambda: FIXED_NOW,
        )

    return make

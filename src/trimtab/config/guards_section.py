"""The ``guards:`` section: checks made before any order, each of which stops or narrows a run.

- a market the exchange reports halted, in break or delisted: its asset is frozen for the run (the
  rest is rebalanced around it);
- ``depeg_percent``: the quote stablecoin trades further than this from 1 USD on ``depeg_reference``
  (a symbol such as ``USDC/USDT`` whose price should be 1): the run stops;
- ``max_price_age``: a price older than this stops the run (``90s``, ``15m``, ``2h`` or seconds);
- ``crash_percent``: an asset that fell more than this in 24 hours is not bought until the owner
  resumes it.

``null`` turns a guard off.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import field_validator

from trimtab.config.fields import Finite, Frozen, shown, within

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class Guards(Frozen):
    depeg_percent: Annotated[Decimal, Finite, within(0, 100, above=True)] | None = Decimal(2)
    depeg_reference: str | None = None
    max_price_age: Decimal | None = Decimal(900)  # seconds (15 minutes)
    crash_percent: Annotated[Decimal, Finite, within(0, 100, above=True)] | None = Decimal(30)

    @field_validator("max_price_age", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value if value is None else _bad_duration(value)
        if isinstance(value, int | float | Decimal):
            seconds = Decimal(str(value))
        else:
            match = _DURATION.fullmatch(str(value).strip().lower())
            if match is None:
                return _bad_duration(value)
            seconds = Decimal(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if not Decimal(1) <= seconds <= Decimal(86400 * 30):
            raise ValueError(f"expected a duration from 1s to 30d, got {shown(value)}")
        return seconds

    @field_validator("depeg_reference")
    @classmethod
    def _reference(cls, symbol: str | None) -> str | None:
        if symbol is None:
            return None
        if symbol.count("/") != 1 or not all(part.strip() for part in symbol.split("/")):
            raise ValueError(f"expected a market symbol BASE/QUOTE such as USDC/USDT, got {shown(symbol)}")
        return symbol.strip().upper()


def _bad_duration(value: Any) -> Any:
    raise ValueError(f"expected a duration such as 90s, 15m, 2h or a number of seconds, got {shown(value)}")


def default_depeg_reference(quote: str) -> str | None:
    """The market whose price says whether ``quote`` holds its peg, when the config names none:
    ``USDC/USDT`` for USDT (and the inverse role for USDC), ``USDT/<quote>`` for other dollar
    stablecoins; None for a quote that is not a dollar stablecoin (no depeg guard)."""
    if quote == "USDT":
        return "USDC/USDT"
    if quote in {"USDC", "FDUSD", "TUSD", "DAI", "USDP", "BUSD", "USD1", "USDE"}:
        return f"{quote}/USDT"
    return None


__all__ = ["Guards", "default_depeg_reference"]

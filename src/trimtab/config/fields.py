"""The building blocks every config section shares: the frozen, strict base model and the number types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Percent = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]
NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class Frozen(BaseModel):
    """Base of every config section: immutable, strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def asset_name(name: str) -> str:
    """``name`` upper-cased; ValueError unless it is letters and digits (``-`` and ``_`` allowed)."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"{name!r} is not an asset symbol (letters and digits, e.g. BTC)")
    return name.upper()

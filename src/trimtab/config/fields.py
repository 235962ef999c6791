"""The building blocks every config section shares: the frozen, strict base model and the number types."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from trimtab.limits import MAX_AMOUNT, MAX_PRICE, MAX_VALUE, MIN_PRICE, MIN_STEP, interval

#: How much of a value given in the input an error message shows (a message never holds a huge value).
SHOWN_CHARS = 60


def shown(value: Any) -> str:
    """``value`` for an error message: text quoted, numbers as they are, cut to :data:`SHOWN_CHARS`."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def within(
    low: Decimal | int | str, high: Decimal | int | str, *, above: bool = False, below: bool = False
) -> AfterValidator:
    """A validator keeping a Decimal inside ``[low, high]`` (ends open with ``above``/``below``), whose
    message names the whole allowed range: ``expected a number in (0, 100], got 150``."""
    lo, hi = Decimal(low), Decimal(high)
    allowed = interval(lo, hi, above=above, below=below)

    def check(value: Decimal) -> Decimal:
        if (value <= lo if above else value < lo) or (value >= hi if below else value > hi):
            raise ValueError(f"expected a number in {allowed}, got {shown(value)}")
        return value

    return AfterValidator(check)


Finite = Field(allow_inf_nan=False)
Percent = Annotated[Decimal, Finite, within(0, 100)]
#: Units of an asset: a balance, a minimum amount (see :mod:`trimtab.limits`).
Amount = Annotated[Decimal, Finite, within(0, MAX_AMOUNT)]
#: A lot step: no finer than 1e-12, no coarser than the largest amount.
Step = Annotated[Decimal, Finite, within(MIN_STEP, MAX_AMOUNT)]
#: A price of one unit in the quote currency.
Price = Annotated[Decimal, Finite, within(MIN_PRICE, MAX_PRICE)]
#: A value in the quote (or report) currency: a minimum trade, a minimum notional, a loss.
Value = Annotated[Decimal, Finite, within(0, MAX_VALUE)]


def _tick(value: Decimal) -> Decimal:
    if value != 0 and value < MIN_STEP:
        raise ValueError(
            f"expected 0 (no grid) or a number in {interval(MIN_STEP, MAX_PRICE)}, got {shown(value)}"
        )
    return value


#: A price tick: 0 (no grid) or from 1e-12 to the largest price.
Tick = Annotated[Decimal, Finite, within(0, MAX_PRICE), AfterValidator(_tick)]


class Frozen(BaseModel):
    """Base of every config section: immutable, strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def asset_name(name: str) -> str:
    """``name`` upper-cased; ValueError unless it is letters and digits (``-`` and ``_`` allowed)."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"{shown(name)} is not an asset symbol (letters and digits, e.g. BTC)")
    return name.upper()

"""``exchange.replay``: the paper exchange walking along a price history instead of standing on one day.

::

    exchange:
      name: paper
      replay: {start: 2024-01-01, speed: 86400, prices: hourly.csv}

``start`` is a date (its 00:00 UTC) or a time (no zone: UTC), kept as an aware UTC time; ``speed`` is market seconds per wall-clock
second (86400: a day per second); ``prices`` is a wide close-price CSV in the backtester's format (default:
the bundled daily history). The clock and the market themselves are :mod:`trimtab.venues.replay`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import field_validator

from trimtab.config.fields import Finite, Frozen, shown, within

#: The fastest replay: about 116 market days per wall second. Faster would only reach the end of any
#: history before the first check finished (and, left running, the end of the calendar).
MAX_SPEED = Decimal(10_000_000)
DEFAULT_SPEED = Decimal(86_400)


class Replay(Frozen):
    """A replayed market: where it starts, how fast it runs, on which prices."""

    start: dt.datetime
    speed: Annotated[Decimal, Finite, within(0, MAX_SPEED, above=True)] = DEFAULT_SPEED
    prices: str | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, start: object) -> dt.datetime:
        # YAML reads 2024-01-01 as a date and 2024-01-01T12:00:00Z as a time; both mean an instant in UTC.
        if isinstance(start, dt.datetime):
            moment = start
        elif isinstance(start, dt.date):
            moment = dt.datetime(start.year, start.month, start.day)
        else:
            text = str(start).strip()
            text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"expected a date YYYY-MM-DD or a time such as 2024-01-01T12:00:00Z, got {shown(start)}"
                ) from None
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)

    @field_validator("prices")
    @classmethod
    def _file(cls, prices: str | None) -> str | None:
        if prices is not None and not prices.strip():
            raise ValueError(f"expected the path of a price CSV, got {shown(prices)}")
        return prices

"""Tickers: a market's last price together with when it was traded and how it moved over a day.

The guards (:mod:`trimtab.app.guards`) read them: a price older than ``guards.max_price_age`` stops a
run, an asset down more than ``guards.crash_percent`` over 24 hours is not bought.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Ticker:
    """The last ``price`` of one market (in its quote asset), the ``time`` it was traded or published
    (aware UTC; None when the venue does not say), and its ``change_percent`` over the last 24 hours
    (-12.5 = down 12.5 %; None when the venue does not know it, as for fixed paper prices)."""

    price: Decimal
    time: datetime | None
    change_percent: Decimal | None = None


def change_percent(last: Decimal, before: Decimal) -> Decimal | None:
    """The move from ``before`` to ``last`` in percent (None when ``before`` is not a price).

    >>> change_percent(Decimal(70), Decimal(100))
    Decimal('-30')
    """
    if before <= 0:
        return None
    return (last - before) * 100 / before


__all__ = ["Ticker", "change_percent"]

"""Daily rates from USD (and USDT, counted as USD), the money trimtab trades in, to the report currency.

trimtab's trades are priced in USDT, and exchange histories are often in USD, but a German or UK tax
report is in EUR or GBP. A :class:`RateTable` holds one rate per day (report-currency units per 1
USD, USDT counted as USD) and answers with the rate of the latest date on or before the day asked: a
file of working-day rates covers the weekends between them. The same file converts the bot's USDT
fills and history imported in USD (:mod:`trimtab.tax.history`).

The documented default, :meth:`RateTable.identity`, treats 1 USDT as 1 unit of the report currency
(USDT = USD); a EUR or GBP report needs a rates file, read by :func:`load_rates`::

    date,rate
    2024-01-02,0.9123
    2024-01-03,0.9140

A day before the first date is an error rather than a guess: a wrong rate silently changes every gain.

>>> table = RateTable("rates.csv", (date(2024, 1, 2), date(2024, 1, 5)), (Decimal("0.91"), Decimal("0.92")))
>>> table.rate_on(date(2024, 1, 4)), table.convert(Decimal(100), date(2024, 1, 5))
(Decimal('0.91'), Decimal('92.00'))
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from trimtab.errors import ConfigError
from trimtab.tax.importer import parse_decimal, read_table

COLUMNS = ("date", "rate")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class RateTable:
    """Rates (report-currency units per 1 USD or USDT, > 0) from each of ``days`` (strictly increasing) on.

    ``source`` names where the rates came from (the file), for errors.
    """

    source: str
    days: tuple[date, ...]
    rates: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        if not self.days or len(self.days) != len(self.rates):
            raise ValueError("a rate table needs one rate per day and at least one day")
        if any(later <= earlier for earlier, later in pairwise(self.days)):
            raise ValueError("the days of a rate table must be strictly increasing")
        if any(not rate.is_finite() or rate <= 0 for rate in self.rates):
            raise ValueError("rates must be finite and above 0")

    @classmethod
    def identity(cls) -> RateTable:
        """Rate 1 on every day: 1 USDT counted as 1 unit of the report currency (the default, USDT = USD)."""
        return cls("USDT = report currency", (date.min,), (Decimal(1),))

    def rate_on(self, day: date) -> Decimal:
        """The rate of the latest date on or before ``day``; ConfigError when ``day`` is before them all."""
        index = bisect.bisect_right(self.days, day) - 1
        if index < 0:
            raise ConfigError(
                self.source,
                "date",
                f"no rate on or before {day.isoformat()} (the first rate is for {self.days[0].isoformat()})",
            )
        return self.rates[index]

    def convert(self, amount: Decimal, day: date) -> Decimal:
        """``amount`` USD (or USDT) on ``day`` in the report currency."""
        return amount * self.rate_on(day)


def load_rates(path: Path) -> RateTable:
    """The rates of the ``date,rate`` CSV at ``path`` (UTF-8, optional BOM, header required).

    Dates are ``YYYY-MM-DD`` and strictly increasing; rates are plain decimals above 0. The first
    problem raises a one-line ConfigError naming the file, the line and the column.
    """
    days: list[date] = []
    rates: list[Decimal] = []
    for line, row in read_table(path, COLUMNS):
        where = f"{path}:{line}"
        cell = row["date"]
        try:
            if not _DATE.fullmatch(cell):
                raise ValueError(cell)
            day = date.fromisoformat(cell)
        except ValueError:
            raise ConfigError(where, "date", f"expected a date YYYY-MM-DD, got {cell!r}") from None
        if days and day <= days[-1]:
            raise ConfigError(
                where,
                "date",
                f"expected a date after {days[-1].isoformat()} (dates must increase), got {cell!r}",
            )
        days.append(day)
        rates.append(parse_decimal(row["rate"], where, "rate"))
    return RateTable(str(path), tuple(days), tuple(rates))

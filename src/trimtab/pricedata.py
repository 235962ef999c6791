"""Daily close history: the bundled real Binance closes, or any wide CSV of the same shape.

A wide CSV has a ``date`` column (YYYY-MM-DD) and one column per asset; a cell is empty before the
asset listed. Values are kept as exact Decimal strings, as written in the file.
"""

from __future__ import annotations

import bisect
import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path

from trimtab.errors import ConfigError

BUNDLED_NAME = "daily_close_usd.csv"


@dataclass(frozen=True)
class PriceHistory:
    """Daily closes: ``closes[asset][i]`` is the close on ``dates[i]`` (None before the asset listed)."""

    source: str
    dates: tuple[date, ...]
    closes: dict[str, tuple[Decimal | None, ...]]

    @property
    def assets(self) -> list[str]:
        return list(self.closes)

    @property
    def first_date(self) -> date:
        return self.dates[0]

    @property
    def last_date(self) -> date:
        return self.dates[-1]

    def index_on_or_before(self, day: date) -> int:
        """Index of the last row dated on or before ``day``; raises ConfigError if ``day`` is too early."""
        index = bisect.bisect_right(self.dates, day) - 1
        if index < 0:
            raise ConfigError(
                self.source, "date", f"{day} is before the first day of the history ({self.first_date})"
            )
        return index

    def prices_on(self, day: date) -> dict[str, Decimal]:
        """Close of every asset listed on ``day`` (the last row on or before it)."""
        index = self.index_on_or_before(day)
        return {a: values[index] for a, values in self.closes.items() if values[index] is not None}  # type: ignore[misc]

    def history(self, asset: str, until: date, days: int) -> list[Decimal]:
        """Up to ``days`` closes of ``asset`` ending on ``until`` (inclusive), oldest first."""
        index = self.index_on_or_before(until)
        values = self.closes.get(asset, ())
        window = values[max(0, index - days + 1) : index + 1]
        return [v for v in window if v is not None]


def parse_price_csv(text: str, source: str) -> PriceHistory:
    """Parse a wide daily-close CSV. Errors name the file, the line and what was expected."""
    rows = list(csv.reader(text.splitlines()))
    if not rows or not rows[0] or rows[0][0].strip().lower() != "date":
        raise ConfigError(
            source, "line 1", "expected a header starting with 'date' followed by asset columns"
        )
    assets = [name.strip() for name in rows[0][1:]]
    dates: list[date] = []
    columns: list[list[Decimal | None]] = [[] for _ in assets]
    for line_no, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise ConfigError(
                source, f"line {line_no}", f"expected a date YYYY-MM-DD, got {row[0]!r}"
            ) from None
        if dates and day <= dates[-1]:
            raise ConfigError(source, f"line {line_no}", f"dates must increase, {day} follows {dates[-1]}")
        dates.append(day)
        for col, asset in enumerate(assets):
            cell = row[col + 1].strip() if col + 1 < len(row) else ""
            if not cell:
                columns[col].append(None)
                continue
            try:
                value = Decimal(cell)
            except InvalidOperation:
                raise ConfigError(
                    source, f"line {line_no}", f"{asset}: expected a price, got {cell!r}"
                ) from None
            if not value.is_finite() or value <= 0:
                raise ConfigError(source, f"line {line_no}", f"{asset}: prices must be positive, got {cell}")
            columns[col].append(value)
    if not dates:
        raise ConfigError(source, "", "the file has a header but no rows")
    return PriceHistory(
        source=source, dates=tuple(dates), closes={a: tuple(c) for a, c in zip(assets, columns, strict=True)}
    )


@cache
def bundled_history() -> PriceHistory:
    """The real daily closes shipped with trimtab (see ``trimtab/data/SOURCES.md``)."""
    text = resources.files("trimtab.data").joinpath(BUNDLED_NAME).read_text(encoding="utf-8")
    return parse_price_csv(text, f"bundled {BUNDLED_NAME}")


def load_history(path: Path) -> PriceHistory:
    """Read a wide daily-close CSV from ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot read the file ({error.strerror})") from None
    return parse_price_csv(text, str(path))

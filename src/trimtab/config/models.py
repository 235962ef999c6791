"""The configuration schema: typed, frozen pydantic models, unknown keys rejected.

The README's example configuration (``seed.yaml``, the one trimtab was specified from) loads exactly as
written; everything trimtab adds has a default.
Weights and percentages are Decimal percents (0..100). See the README's configuration reference.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from trimtab.config.exchange_section import Exchange
from trimtab.config.fields import Amount, Finite, Frozen, Percent, Value, shown, within
from trimtab.config.fields import asset_name as _asset_name
from trimtab.config.guards_section import Guards
from trimtab.config.notify_section import Notify
from trimtab.config.tax_section import TaxSection
from trimtab.model.portfolio import WEIGHT_SUM_TOLERANCE
from trimtab.planning.options import RebalanceTo, Routing, Sells
from trimtab.policy.calendar import Interval
from trimtab.policy.window import parse_weekday

WEIGHT_GRID = Decimal("0.0001")


class Strategy(StrEnum):
    CALENDAR = "calendar"
    THRESHOLD = "threshold"
    HYBRID = "hybrid"


class UnlistedAssets(StrEnum):
    """What to do with assets held but absent from the targets."""

    IGNORE = "ignore"  # leave them alone, outside the managed portfolio
    SELL = "sell"  # count them with target 0 and sell them


class DynamicWeights(Frozen):
    """Risk parity: weights inversely proportional to each asset's volatility."""

    method: Literal["inverse_volatility"]
    assets: tuple[str, ...] = Field(min_length=1)
    lookback_days: int = Field(default=30, ge=2, le=3650)
    cash_weight: Percent = Decimal(0)
    min_weight: Percent | None = None
    max_weight: Percent | None = None

    @field_validator("assets")
    @classmethod
    def _assets(cls, assets: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(_asset_name(a) for a in assets)
        if len(set(names)) != len(names):
            raise ValueError("an asset is listed twice")
        return names

    @field_validator("cash_weight", "min_weight", "max_weight")
    @classmethod
    def _on_grid(cls, value: Decimal | None) -> Decimal | None:
        # Computed weights are rounded to 0.0001; a bound off that grid could not be kept exactly.
        if value is not None and value % WEIGHT_GRID != 0:
            raise ValueError(f"expected a multiple of {WEIGHT_GRID}, got {value}")
        return value

    @model_validator(mode="after")
    def _caps(self) -> DynamicWeights:
        share = Decimal(100) - self.cash_weight
        count = len(self.assets)
        if self.min_weight is not None and self.max_weight is not None and self.min_weight > self.max_weight:
            raise ValueError(f"min_weight {self.min_weight} is above max_weight {self.max_weight}")
        if self.min_weight is not None and self.min_weight * count > share:
            raise ValueError(
                f"min_weight {self.min_weight} x {count} assets exceeds the {share}% left after cash"
            )
        if self.max_weight is not None and self.max_weight * count < share:
            raise ValueError(
                f"max_weight {self.max_weight} x {count} assets cannot fill the {share}% left after cash"
            )
        return self


class Portfolio(Frozen):
    target_weights: dict[str, Percent] | None = None
    dynamic_weights: DynamicWeights | None = None
    unlisted_assets: UnlistedAssets = UnlistedAssets.IGNORE
    # Holdings outside the exchange (cold storage, another exchange): counted, never traded.
    external: dict[str, Amount] = Field(default_factory=dict)

    @field_validator("external")
    @classmethod
    def _external(cls, external: dict[str, Decimal]) -> dict[str, Decimal]:
        named = {_asset_name(a): amount for a, amount in external.items()}
        if len(named) != len(external):
            raise ValueError("an asset is listed twice (names are case-insensitive)")
        return named

    @field_validator("target_weights")
    @classmethod
    def _weights(cls, weights: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        if weights is None:
            return None
        if not weights:
            raise ValueError("no assets given; expected a mapping like {BTC: 60, USDT: 40}")
        named = {_asset_name(a): w for a, w in weights.items()}
        if len(named) != len(weights):
            raise ValueError("an asset is listed twice (names are case-insensitive)")
        total = sum(named.values(), Decimal(0))
        if abs(total - 100) > WEIGHT_SUM_TOLERANCE:
            raise ValueError(f"weights sum to {total.normalize():f}, they must sum to 100")
        return named

    @model_validator(mode="after")
    def _one_source(self) -> Portfolio:
        if (self.target_weights is None) == (self.dynamic_weights is None):
            raise ValueError(
                "give exactly one of target_weights (fixed) or dynamic_weights (e.g. inverse_volatility)"
            )
        targeted = set(self.target_weights or ()) | set(
            self.dynamic_weights.assets if self.dynamic_weights else ()
        )
        stray = sorted(set(self.external) - targeted)
        if stray:
            raise ValueError(
                f"external: {stray[0]} has no target weight; external holdings count towards the targets, "
                "so give the asset a target"
            )
        return self


class Schedule(Frozen):
    """A calendar schedule, e.g. ``{interval: weekly, day: monday, time: "12:00"}`` (UTC)."""

    type: Literal["calendar"] | None = None  # the README's example writes it; adds nothing
    interval: Interval
    day: str | int | None = None
    time: dt.time = dt.time(0, 0)

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, int):  # YAML 1.1 reads 12:00 unquoted as a base-60 integer (720)
            value = f"{value // 60:02d}:{value % 60:02d}"
        if isinstance(value, str):
            try:
                hours, minutes = (int(part) for part in value.split(":"))
                return dt.time(hours, minutes)
            except ValueError:
                raise ValueError(f"expected a UTC time HH:MM such as '12:00', got {shown(value)}") from None
        return value

    @model_validator(mode="after")
    def _day(self) -> Schedule:
        if self.interval is Interval.WEEKLY:
            if not isinstance(self.day, str):
                raise ValueError("a weekly schedule needs day: a weekday name such as monday")
            parse_weekday(self.day)
        elif self.interval in (Interval.MONTHLY, Interval.QUARTERLY):
            if self.day is not None and (not isinstance(self.day, int) or not 1 <= self.day <= 31):
                raise ValueError(
                    f"a {self.interval} schedule takes day: a day of the month 1-31, got {shown(self.day)}"
                )
        elif self.day is not None:
            raise ValueError("a daily schedule takes no day")
        return self

    @property
    def weekday(self) -> int | None:
        return parse_weekday(self.day) if isinstance(self.day, str) else None

    @property
    def day_of_month(self) -> int | None:
        return self.day if isinstance(self.day, int) else None


class RebalanceWindow(Frozen):
    """Rebalance only on these days, between these UTC hours (start inclusive, end exclusive)."""

    days: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    hours_utc: tuple[int, int] = (0, 24)

    @field_validator("days")
    @classmethod
    def _days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        if not days:
            raise ValueError("no days given; expected weekday names such as monday")
        for day in days:
            parse_weekday(day)
        return days

    @field_validator("hours_utc")
    @classmethod
    def _hours(cls, hours: tuple[int, int]) -> tuple[int, int]:
        start, end = hours
        if not (0 <= start <= 24 and 0 <= end <= 24):
            raise ValueError(f"hours must be within 0-24, got [{start}, {end}]")
        if start >= end:
            raise ValueError(f"the start hour must be before the end hour, got [{start}, {end}]")
        return hours

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(parse_weekday(d) for d in self.days)


class Rebalancing(Frozen):
    strategy: Strategy = Strategy.THRESHOLD
    threshold_percent: Annotated[Decimal, Finite, within(0, 100, above=True)] = Decimal(5)
    relative_threshold_percent: Annotated[Decimal, Finite, within(0, 1000, above=True)] | None = None
    # From 36 seconds to a (leap) year.
    check_interval_hours: Annotated[Decimal, Finite, within("0.01", 8784)] = Decimal(24)
    min_trade_usd: Value = Decimal(10)
    schedule: Schedule | None = None
    rebalance_window: RebalanceWindow | None = None
    # How trades are routed, how far an asset past its band is traded, and which sells are allowed
    # (trimtab.planning.options); swept into a target asset when the exchange converts dust.
    routing: Routing = Routing.QUOTE
    rebalance_to: RebalanceTo = RebalanceTo.TARGET
    sells: Sells = Sells.ALLOWED
    convert_dust: bool = True

    @model_validator(mode="after")
    def _schedule(self) -> Rebalancing:
        if self.strategy is Strategy.CALENDAR and self.schedule is None:
            raise ValueError(
                "strategy calendar needs a schedule, e.g. {interval: weekly, day: monday, time: '12:00'}"
            )
        return self


class Risk(Frozen):
    max_single_trade_percent: Annotated[Decimal, Finite, within(0, 100, above=True)] = Decimal(100)
    slippage_tolerance: Annotated[Decimal, Finite, within(0, 100, below=True)] = Decimal("0.5")
    # Stop the run when a price moved more than this (percent) between planning and placing an order.
    max_price_move_percent: Annotated[Decimal, Finite, within(0, 100, above=True)] = Decimal(2)
    # The kill switch: `run` stops after this many failed runs in a row.
    max_consecutive_failures: int = Field(default=3, ge=1, le=1000)


PORTFOLIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DATABASE_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # a PostgreSQL identifier that needs no quotes


class Config(Frozen):
    """The whole configuration file."""

    # How the portfolio is named by `serve`, its API and its notifications (default: the file's stem).
    name: str | None = None
    portfolio: Portfolio
    rebalancing: Rebalancing = Field(default_factory=Rebalancing)
    risk: Risk = Field(default_factory=Risk)
    exchange: Exchange = Field(default_factory=Exchange)
    quote: str = "USDT"
    data_dir: str = "trimtab-data"
    database_url: str | None = None
    # The portfolio's schema in a PostgreSQL database_url (default: derived from the portfolio's name);
    # one database holds many portfolios, one schema each. Not for SQLite: a file is one portfolio.
    database_schema: str | None = None
    # Accepted at the top level too, since the README's example (seed.yaml) can be read either way.
    rebalance_window: RebalanceWindow | None = None
    tax: TaxSection | None = None
    # Messages to the owner through apprise (URLs here and/or in TRIMTAB_NOTIFY_URLS); see notify_section.
    notify: Notify = Field(default_factory=Notify)
    # Checks before any order: halted markets, a depegged quote, stale prices, crashes (guards_section).
    guards: Guards = Field(default_factory=Guards)

    @field_validator("quote")
    @classmethod
    def _quote(cls, quote: str) -> str:
        return _asset_name(quote)

    @field_validator("name")
    @classmethod
    def _portfolio_name(cls, name: str | None) -> str | None:
        if name is not None and not PORTFOLIO_NAME.fullmatch(name):
            raise ValueError(
                "expected 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit "
                f"(it names the portfolio in URLs and messages), got {shown(name)}"
            )
        return name

    @field_validator("database_schema")
    @classmethod
    def _database_schema(cls, schema: str | None, info: ValidationInfo) -> str | None:
        if schema is None:
            return None
        if not DATABASE_SCHEMA.fullmatch(schema):
            raise ValueError(
                "expected a PostgreSQL schema name: 1-63 lowercase letters, digits or '_', not starting "
                f"with a digit, got {shown(schema)}"
            )
        url = info.data.get("database_url")
        if url is None or url.split(":", 1)[0].split("+", 1)[0].strip().lower() == "sqlite":
            raise ValueError(
                "a schema needs a PostgreSQL database_url (postgresql+psycopg://...); a SQLite ledger is "
                "one file per portfolio and has no schemas"
            )
        return schema

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.rebalance_window is not None and self.rebalancing.rebalance_window is not None:
            raise ValueError("rebalance_window is given twice (top level and under rebalancing); keep one")
        threshold = self.threshold
        band = self.tax.hard_band_percent if self.tax is not None else None
        if band is not None and threshold is not None and band <= threshold:
            raise ValueError(
                f"tax.hard_band_percent ({band}) must be wider than rebalancing.threshold_percent ({threshold}): "
                "a sell is deferred only while the drift stays inside it"
            )
        return self

    @property
    def threshold(self) -> Decimal | None:
        """The drift band (points) of a threshold or hybrid policy; None for a calendar policy."""
        if self.rebalancing.strategy is Strategy.CALENDAR:
            return None
        return self.rebalancing.threshold_percent

    @property
    def window(self) -> RebalanceWindow | None:
        return self.rebalancing.rebalance_window or self.rebalance_window

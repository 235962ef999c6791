"""The ``tax:`` section: which country's rules the bot plans and harvests under, and how hard it tries.

Without it trimtab plans exactly as before. With it, ``plan`` and ``rebalance`` estimate each plan's
tax, choose lots (US), may defer a sell whose lots are about to turn long-term (US) or tax-free
(Germany), and ``tax harvest`` looks for losses. Not tax advice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from trimtab.config.fields import Finite, Frozen, Percent, Value, shown, within

Jurisdiction = Literal["us", "de", "uk"]
LotMethod = Literal["fifo", "hifo", "min-tax"]
CURRENCY_OF: dict[str, str] = {"us": "USD", "de": "EUR", "uk": "GBP"}
# Defaults for the estimated tax (percent): US ordinary (short-term) and long-term rates, the German
# personal rate (without solidarity surcharge or church tax), the UK higher CGT rate from 30 Oct 2024.
DEFAULT_RATE_PERCENT: dict[str, Decimal] = {"us": Decimal(24), "de": Decimal(42), "uk": Decimal(24)}
DEFAULT_US_LONG_TERM_RATE_PERCENT = Decimal(15)
DEFAULT_US_METHOD: LotMethod = "min-tax"
DEFAULT_US_TIMEZONE = "America/New_York"
DEFAULT_HARD_BAND_PERCENT = Decimal(10)  # for calendar policies, which have no threshold to double
US_ONLY = ("method", "timezone", "wash_sale", "long_term_rate_percent")
WHY_NOT = {
    "de": "Germany prescribes FIFO per wallet and its own calendar",
    "uk": "the UK prescribes share matching (same day, 30 days, section 104 pool)",
}


class TaxSection(Frozen):
    """``tax:`` in the config file; see the README's configuration reference."""

    jurisdiction: Jurisdiction
    method: LotMethod | None = None
    timezone: str | None = None
    wash_sale: bool | None = None
    rates_file: str | None = None
    rate_percent: Percent | None = None
    long_term_rate_percent: Percent | None = None
    defer_days: int = Field(default=30, ge=0, le=366)
    hard_band_percent: Annotated[Decimal, Finite, within(0, 100, above=True)] | None = None
    harvest_min_loss: Value = Decimal(100)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"expected an IANA time zone such as America/Chicago, got {shown(name)}"
                ) from None
        return name

    @model_validator(mode="after")
    def _us_only(self) -> TaxSection:
        if self.jurisdiction == "us":
            return self
        given = [key for key in US_ONLY if key in self.model_fields_set]
        if given:
            raise ValueError(
                f"{', '.join(given)} only apply to jurisdiction us; {WHY_NOT[self.jurisdiction]}"
            )
        return self

    @property
    def currency(self) -> str:
        """The report currency: USD, EUR or GBP."""
        return CURRENCY_OF[self.jurisdiction]

    @property
    def lot_method(self) -> LotMethod:
        """The US standing lot order (``min-tax`` unless set); ``fifo`` elsewhere (the law's)."""
        if self.jurisdiction != "us":
            return "fifo"
        return self.method or DEFAULT_US_METHOD

    @property
    def zone_name(self) -> str:
        """The taxpayer's time zone for US holding periods (Germany and the UK use their own)."""
        return self.timezone or DEFAULT_US_TIMEZONE

    @property
    def rate(self) -> Decimal:
        """The estimated tax rate as a fraction: US short-term (ordinary), German personal, UK CGT."""
        percent = (
            self.rate_percent if self.rate_percent is not None else DEFAULT_RATE_PERCENT[self.jurisdiction]
        )
        return percent / 100

    @property
    def long_term_rate(self) -> Decimal:
        """The US long-term rate as a fraction (elsewhere the same as :attr:`rate`)."""
        if self.jurisdiction != "us":
            return self.rate
        percent = self.long_term_rate_percent
        return (percent if percent is not None else DEFAULT_US_LONG_TERM_RATE_PERCENT) / 100

    def hard_band(self, threshold_percent: Decimal | None) -> Decimal:
        """The drift (points) beyond which no sell is deferred: as set, else twice the policy's
        threshold, else 10 points."""
        if self.hard_band_percent is not None:
            return self.hard_band_percent
        return 2 * threshold_percent if threshold_percent is not None else DEFAULT_HARD_BAND_PERCENT

"""The ``tax:`` section: which country's rules the bot plans and harvests under, and how hard it tries.

Without it trimtab plans exactly as before. With it, ``plan`` and ``rebalance`` estimate each plan's
tax, choose lots (US), may defer a sell whose lots are about to turn long-term (US) or tax-free
(Germany), and ``tax harvest`` looks for losses. Not tax advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from trimtab.config.fields import Finite, Frozen, Percent, Value, shown, within

# The jurisdiction codes a config may name. The rules of each live in trimtab.tax.jurisdictions (one
# module per country behind one registry); this layer sits below tax, so it keeps only what a ``tax:``
# section needs to validate itself and fill its defaults, once per code in SECTION_DEFAULTS.
JurisdictionCode = Literal["us", "de", "uk"]
Jurisdiction = JurisdictionCode  # the name the config and its callers have used
LotMethod = Literal["fifo", "hifo", "min-tax"]
DEFAULT_HARD_BAND_PERCENT = Decimal(10)  # for calendar policies, which have no threshold to double
CHOICE_KEYS = ("method", "timezone", "wash_sale", "long_term_rate_percent")


@dataclass(frozen=True)
class SectionDefaults:
    """What a ``tax:`` section of one jurisdiction defaults to, and whether the taxpayer may choose the
    lot method, time zone, wash-sale switch and long-term rate (:data:`CHOICE_KEYS`).

    ``refusal`` says why a jurisdiction without those choices refuses them (None: it takes them)."""

    currency: str
    zone: str  # where holding periods and tax years are counted
    rate_percent: Decimal  # the estimated tax rate (the US short-term/ordinary one)
    long_term_rate_percent: Decimal | None = None  # None: one rate whatever the holding period
    method: LotMethod = "fifo"  # the standing lot order (the law's where there is no choice)
    refusal: str | None = None

    @property
    def takes_choices(self) -> bool:
        return self.refusal is None


# Defaults for the estimated tax (percent): US ordinary (short-term) and long-term rates, the German
# personal rate (without solidarity surcharge or church tax), the UK higher CGT rate from 30 Oct 2024.
SECTION_DEFAULTS: Mapping[str, SectionDefaults] = MappingProxyType(
    {
        "us": SectionDefaults("USD", "America/New_York", Decimal(24), Decimal(15), "min-tax"),
        "de": SectionDefaults(
            "EUR",
            "Europe/Berlin",
            Decimal(42),
            refusal="Germany prescribes FIFO per wallet and its own calendar",
        ),
        "uk": SectionDefaults(
            "GBP",
            "Europe/London",
            Decimal(24),
            refusal="the UK prescribes share matching (same day, 30 days, section 104 pool)",
        ),
    }
)
CHOOSING = next(code for code, facts in SECTION_DEFAULTS.items() if facts.takes_choices)


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
    def _choices(self) -> TaxSection:
        refusal = self.defaults.refusal
        if refusal is None:
            return self
        given = [key for key in CHOICE_KEYS if key in self.model_fields_set]
        if given:
            raise ValueError(f"{', '.join(given)} only apply to jurisdiction {CHOOSING}; {refusal}")
        return self

    @property
    def defaults(self) -> SectionDefaults:
        """The jurisdiction's defaults and whether it takes the lot-method choices."""
        return SECTION_DEFAULTS[self.jurisdiction]

    @property
    def currency(self) -> str:
        """The report currency: USD, EUR or GBP."""
        return self.defaults.currency

    @property
    def lot_method(self) -> LotMethod:
        """The US standing lot order (``min-tax`` unless set); ``fifo`` elsewhere (the law's)."""
        return self.method or self.defaults.method

    @property
    def zone_name(self) -> str:
        """The taxpayer's time zone for holding periods (the US one may be set; the others are fixed)."""
        return self.timezone or self.defaults.zone

    @property
    def rate(self) -> Decimal:
        """The estimated tax rate as a fraction: US short-term (ordinary), German personal, UK CGT."""
        percent = self.rate_percent if self.rate_percent is not None else self.defaults.rate_percent
        return percent / 100

    @property
    def long_term_rate(self) -> Decimal:
        """The US long-term rate as a fraction (elsewhere the same as :attr:`rate`)."""
        default = self.defaults.long_term_rate_percent
        if default is None:
            return self.rate
        percent = self.long_term_rate_percent
        return (percent if percent is not None else default) / 100

    def hard_band(self, threshold_percent: Decimal | None) -> Decimal:
        """The drift (points) beyond which no sell is deferred: as set, else twice the policy's
        threshold, else 10 points."""
        if self.hard_band_percent is not None:
            return self.hard_band_percent
        return 2 * threshold_percent if threshold_percent is not None else DEFAULT_HARD_BAND_PERCENT

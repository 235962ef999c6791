"""The optional dust conversion of a venue: small balances swapped into one asset (Binance: BNB).

Not part of :class:`~trimtab.venues.port.Venue`: few exchanges offer it, and the paper venue does not
(its dust is left and reported). A venue offers it by having both methods of :class:`DustConverter`;
:func:`dust_converter` finds them, so no other venue needs a stub.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from trimtab.model.money import ZERO
from trimtab.venues.port import Venue


@dataclass(frozen=True, slots=True)
class ConvertedDust:
    """One asset swept by a conversion: ``amount`` of ``asset`` given, ``received`` of the conversion's
    asset got for it (after the venue's charge), and ``fee`` the charge, in the conversion's asset."""

    asset: str
    amount: Decimal
    received: Decimal
    fee: Decimal


@dataclass(frozen=True)
class DustConversion:
    """What one dust conversion did: the assets swept ``into`` one asset, and the assets asked for
    that the venue would not convert (``left``: asset -> why)."""

    into: str
    converted: tuple[ConvertedDust, ...]
    left: Mapping[str, str] = field(default_factory=dict)
    reference: str | None = None  # the venue's id of the conversion (Binance: the tranId), if any

    @property
    def received(self) -> Decimal:
        """Everything received, in :attr:`into`, after the venue's charges."""
        return sum((c.received for c in self.converted), ZERO)

    @property
    def fee(self) -> Decimal:
        """The venue's charges, in :attr:`into`."""
        return sum((c.fee for c in self.converted), ZERO)


@runtime_checkable
class DustConverter(Protocol):
    """A venue that converts small balances into one asset."""

    def dust_conversion_asset(self) -> str | None:
        """The asset dust is converted into (Binance: ``BNB``), or None when this venue offers no
        conversion (a ccxt exchange other than Binance)."""
        ...

    async def convert_dust(self, assets: Sequence[str]) -> DustConversion:
        """Convert the whole free balances of ``assets`` into :meth:`dust_conversion_asset`; the assets
        the venue will not convert are left (and named in the answer). Not idempotent: never retried."""
        ...


def dust_converter(venue: Venue) -> DustConverter | None:
    """``venue`` as a dust converter when it offers a conversion now, else None."""
    if not isinstance(venue, DustConverter) or venue.dust_conversion_asset() is None:
        return None
    return venue

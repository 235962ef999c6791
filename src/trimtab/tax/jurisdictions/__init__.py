"""The jurisdictions trimtab knows, one module each, behind one registry.

>>> jurisdiction("uk").tax_year_bounds(2024)
(datetime.date(2024, 4, 6), datetime.date(2025, 4, 5))

To add a country: write ``trimtab/tax/jurisdictions/<country>.py`` with a subclass of
:class:`Jurisdiction` (its rules may live beside it in ``trimtab/tax/<country>.py``), add one line to
:data:`JURISDICTIONS` below, and give its code and section defaults to the config
(``JurisdictionCode`` and ``SECTION_DEFAULTS`` in :mod:`trimtab.config.tax_section`, which sits below
this package and validates the ``tax:`` section).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from trimtab.errors import TaxError
from trimtab.suggest import did_you_mean
from trimtab.tax.jurisdictions.base import Jurisdiction, TaxReport
from trimtab.tax.jurisdictions.germany import GERMANY
from trimtab.tax.jurisdictions.uk import UK
from trimtab.tax.jurisdictions.us import US

__all__ = ["JURISDICTIONS", "Jurisdiction", "TaxReport", "UnknownJurisdiction", "jurisdiction", "of_report"]

JURISDICTIONS: Mapping[str, Jurisdiction[Any]] = MappingProxyType(
    {
        US.code: US,
        GERMANY.code: GERMANY,
        UK.code: UK,
    }
)


class UnknownJurisdiction(TaxError):
    """A jurisdiction code no module here answers for."""


def jurisdiction(code: str) -> Jurisdiction[Any]:
    """The jurisdiction of ``code`` (``us``, ``de``, ``uk``); UnknownJurisdiction for any other."""
    found = JURISDICTIONS.get(code)
    if found is None:
        raise UnknownJurisdiction(
            f"unknown jurisdiction {code!r}{did_you_mean(code, JURISDICTIONS)}; "
            f"expected one of {', '.join(JURISDICTIONS)}"
        )
    return found


def of_report(report: TaxReport) -> Jurisdiction[Any]:
    """The jurisdiction whose report ``report`` is."""
    for candidate in JURISDICTIONS.values():
        if isinstance(report, candidate.report_type):
            return candidate
    raise TypeError(f"{type(report).__name__} is no jurisdiction's report")

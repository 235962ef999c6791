"""Sweeping a live run's dust into a target asset, when the venue offers a dust conversion.

After a live run's orders (which may leave new dust: the remainder of a sold asset below its step),
the dust of the portfolio (:mod:`trimtab.planning.dust`) is converted when all of these hold:
``rebalancing.convert_dust`` is on, the venue converts dust (:mod:`trimtab.venues.dust_port`; Binance:
into BNB, the paper venue never), and the asset it converts into has a target above 0 — converting
into an asset the portfolio does not hold would only make new dust. Otherwise the dust is left where
it is and reported.

A conversion disposes of the dust assets and acquires the conversion's asset, so it is written to the
ledger's tax history as events (source ``dust conversion, run N``): a sale of each asset for what was
received, and a buy of the conversion's asset, priced in the quote (counted as USD for a USD
stablecoin) at the run's last prices. A failed conversion never fails the run (its orders stand): it
is reported, and the dust waits for the next run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from trimtab.app.outcomes import DustSweep
from trimtab.app.parts import BotParts
from trimtab.errors import LedgerError, VenueError
from trimtab.ledger.records import RunMode
from trimtab.model.assets import USD_QUOTES
from trimtab.model.money import ZERO
from trimtab.model.portfolio import Snapshot
from trimtab.planning.dust import find_dust
from trimtab.tax.model import EventType, TaxEvent
from trimtab.venues.dust_port import DustConversion, dust_converter
from trimtab.venues.port import Venue


def sweepable(venue: Venue, snapshot: Snapshot, targets: Mapping[str, Decimal]) -> list[str]:
    """The dust assets of ``snapshot`` that ``venue`` would convert into a target asset (none when it
    offers no conversion, or converts into an asset without a target above 0)."""
    converter = dust_converter(venue)
    into = converter.dust_conversion_asset() if converter is not None else None
    if into is None or targets.get(into, ZERO) <= 0:
        return []
    return [a for a in find_dust(snapshot, targets) if a not in (into, snapshot.quote)]


async def sweep_dust(
    parts: BotParts, run_id: int, snapshot: Snapshot, targets: Mapping[str, Decimal], mode: RunMode
) -> DustSweep | None:
    """After live run ``run_id``'s orders, convert the dust of ``snapshot`` (the balances they left)
    into the venue's dust asset and record it; None when nothing is swept (see the module docstring)."""
    if mode is not RunMode.LIVE or not parts.convert_dust:
        return None
    venue, ledger, at = parts.venue, parts.ledger, parts.clock()
    assets = sweepable(venue, snapshot, targets)
    converter = dust_converter(venue)
    if not assets or converter is None:
        return None
    try:
        conversion = await converter.convert_dust(assets)
    except VenueError as error:
        return DustSweep(None, f"dust conversion of {', '.join(assets)} failed: {error}")
    if not conversion.converted:
        return DustSweep(conversion)
    events = conversion_events(conversion, snapshot, wallet=venue.name, at=at)
    try:
        ledger.record_tax_events(
            events,
            source=f"dust conversion, run {run_id}",
            report_currency=priced_in(snapshot.quote),
            imported_at=at,
        )
    except LedgerError as error:
        return DustSweep(conversion, f"dust conversion done, but its tax events were not recorded: {error}")
    return DustSweep(conversion)


def priced_in(quote: str) -> str:
    """The currency the tax events of a conversion are priced in: USD for a USD stablecoin quote (the
    tax history counts USDT as USD), else the quote itself."""
    return "USD" if quote in USD_QUOTES else quote


def conversion_events(
    conversion: DustConversion, snapshot: Snapshot, *, wallet: str, at: datetime
) -> list[TaxEvent]:
    """The tax events of ``conversion``: each swept asset sold for the value received (the venue's
    charge comes off the proceeds), and the conversion's asset bought at its last price."""
    into_price = snapshot.prices.get(conversion.into, ZERO)
    events = [
        TaxEvent(at, wallet, EventType.SELL, c.asset, c.amount, c.received * into_price / c.amount)
        for c in conversion.converted
        if c.amount > 0
    ]
    if conversion.received > 0:
        events.append(TaxEvent(at, wallet, EventType.BUY, conversion.into, conversion.received, into_price))
    return events

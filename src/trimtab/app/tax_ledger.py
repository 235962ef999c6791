"""The tax history a config's ledger keeps, for the front ends (``trimtab tax import`` and the reports).

Like :mod:`trimtab.app.history`, these open only the ledger: no venue, no portfolio lock, so they work
while another process drives the portfolio and never touch the exchange.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from pathlib import Path

from trimtab.app.portfolio_home import open_ledger
from trimtab.config.models import Config
from trimtab.tax.history import LedgerHistory, ledger_history
from trimtab.tax.model import TaxEvent
from trimtab.tax.rates import RateTable


def import_tax_events(
    config: Config,
    config_path: Path,
    events: Iterable[TaxEvent],
    *,
    source: str,
    report_currency: str,
    imported_at: datetime,
) -> int:
    """Store ``events`` (priced in ``report_currency``, read from ``source``) in one transaction, all or
    nothing; events already in the ledger are skipped. Returns how many were added."""
    with open_ledger(config, config_path) as store:
        return store.record_tax_events(
            events, source=source, report_currency=report_currency, imported_at=imported_at
        )


def read_tax_history(
    config: Config,
    config_path: Path,
    *,
    rates: RateTable | None,
    report_currency: str,
    before: datetime,
    zone: tzinfo,
) -> LedgerHistory:
    """The imported history and the bot's fills on the config's exchange, in ``report_currency``, before
    ``before`` (:func:`trimtab.tax.history.ledger_history`)."""
    with open_ledger(config, config_path) as store:
        return ledger_history(
            store,
            rates=rates,
            report_currency=report_currency,
            wallet=config.exchange.name,
            before=before,
            zone=zone,
        )

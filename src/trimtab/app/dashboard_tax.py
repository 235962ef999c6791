"""The tax year at a glance, for the web dashboard of a portfolio with a ``tax:`` section.

The same computations as ``trimtab tax report`` (the year's realized gains and estimated tax from the
ledger's history and the bot's fills, :class:`~trimtab.tax.jurisdiction.TaxYear`) and ``trimtab tax
harvest`` (the candidates, read-only: :meth:`~trimtab.app.service.Bot.harvest` without ``execute``),
plus the open lots that turn long-term (US) or tax-free (Germany) soon. Not tax advice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from trimtab.app.service import Bot
from trimtab.errors import TrimtabError
from trimtab.model.money import fmt
from trimtab.tax.harvest import Candidate
from trimtab.tax.history import all_events
from trimtab.tax.jurisdiction import TaxYear
from trimtab.tax.lots import Oversold

SOON_DAYS = 30


@dataclass(frozen=True)
class MaturingLot:
    """An open lot whose sale turns long-term or tax-free on ``matures`` (within :data:`SOON_DAYS`)."""

    asset: str
    lot_id: str
    amount: Decimal
    cost: Decimal
    acquired: datetime
    matures: date


@dataclass(frozen=True)
class TaxGlance:
    """The current tax ``year`` of the portfolio's ``tax:`` section: its totals (``totals_lines``, as
    ``tax report`` prints them), the estimated tax, the lots maturing soon, the harvest candidates.
    ``error``: one line when the history cannot be computed (e.g. sales of units never bought in the
    ledger); the figures are then empty. ``harvest_error`` likewise for the candidates alone."""

    jurisdiction: str
    currency: str
    year: int
    totals_lines: tuple[str, ...] = ()
    estimated_tax: Decimal | None = None
    maturing: tuple[MaturingLot, ...] = ()
    maturing_label: str = ""
    candidates: tuple[Candidate, ...] = ()
    harvest_min_loss: Decimal | None = None
    harvest_saving: Decimal | None = None
    error: str | None = None
    harvest_error: str | None = None


async def tax_glance(bot: Bot, harvest_min_loss: Decimal) -> TaxGlance | None:
    """The tax year at a glance, or None when the portfolio has no ``tax:`` section."""
    advisor = bot.parts.tax
    if advisor is None:
        return None
    rules = advisor.rules
    now = bot.now()
    base = TaxGlance(
        rules.jurisdiction, rules.currency, rules.year_of(now), harvest_min_loss=harvest_min_loss
    )
    label = {"us": "long-term", "de": "tax-free"}.get(rules.jurisdiction, "")
    try:
        history = all_events(
            bot.parts.ledger, rates=advisor.rates, report_currency=rules.currency, wallet=advisor.wallet
        )
        year = TaxYear.of(rules, history, now)
        money = _money(rules.currency)
        lines = tuple(rules.country.totals_lines(year.report, money))
        maturing = _maturing(year, now.date() if label else None)
    except (TrimtabError, ValueError) as error:  # the UK matcher raises plain ValueErrors
        return replace(base, error=_line(error))
    glance = replace(
        base,
        totals_lines=lines,
        estimated_tax=year.tax,
        maturing=maturing,
        maturing_label=label,
    )
    try:
        found = (await bot.harvest(min_loss=harvest_min_loss)).harvest
    except (TrimtabError, ValueError) as error:
        return replace(glance, harvest_error=_line(error))
    return replace(glance, candidates=found.candidates, harvest_saving=found.saving)


def _maturing(year: TaxYear, today: date | None) -> tuple[MaturingLot, ...]:
    book = year.book
    if book is None or today is None:
        return ()
    soon = today + timedelta(days=SOON_DAYS)
    found = []
    for lot in book.open_lots():
        matures = year.rules.matures(lot)
        if matures is not None and today < matures <= soon:
            found.append(MaturingLot(lot.asset, lot.lot_id, lot.amount, lot.cost, lot.acquired, matures))
    return tuple(sorted(found, key=lambda lot: (lot.matures, lot.asset, lot.lot_id)))


def _money(currency: str) -> Callable[[Decimal], str]:
    def money(value: Decimal) -> str:
        return f"{fmt(value, 2, fixed=True, thousands=True)} {currency}"

    return money


def _line(error: BaseException) -> str:
    if isinstance(error, Oversold):  # the bot sold units whose purchase the ledger does not know
        return (
            f"{error.line()}; import the history of how the wallet got it with `trimtab tax import FILE.csv`"
        )
    return error.line() if isinstance(error, TrimtabError) else str(error)

"""Tax-loss harvesting: which holdings to sell at a loss and buy straight back, and what that saves.

:func:`find_harvest` looks at every asset the bot's wallet (the exchange's name) holds and returns one
:class:`Candidate` per asset whose unrealized loss is above ``min_loss`` (report currency):

- **US and Germany**, from the lot book. A lot's value is its units at the current price (converted
  to the report currency, less the sell fee); a *loss lot* is worth less than its cost by more than
  ``min_loss``. A sale consumes the wallet's lots in the jurisdiction's order: the US standing method
  (``min-tax`` and ``hifo`` take the loss lots first, ``fifo`` may have to sell older lots first),
  Germany FIFO per wallet (BMF 06.03.2025 Rz. 61-62): selling a loss lot means selling every older
  lot of the wallet first. Of the sales that end at a loss lot, the one whose counted result is
  lowest is proposed (Germany counts only lots held one year or less, § 23 EStG; the US weighs a
  short-term result at the ordinary rate and a long-term one at the long-term rate).
- **UK**, from the section 104 pool: the units the wallet holds at the pool's average cost.

Units are capped at what the venue has free and floored to the market's step.

``saving`` is the tax saved *this year*: minus :func:`~trimtab.tax.jurisdiction.added_tax` of the sale
**and its immediate rebuy** (same units, same price, fees charged in the report currency). Computing
with the rebuy lets each jurisdiction's rules decide what the harvest is worth: a US wash sale (when
switched on) disallows the loss, the UK same-day rule matches the sale with the rebuy so the loss
disappears, and in Germany the rebuy is a new lot whose one-year clock starts again. The year's
netting, the US 3,000 USD limit, the German Freigrenze cliff and the UK exempt amount all count;
losses carried to other years do not. ``saving_without_rebuy`` is the same without the rebuy, for
information. A candidate is ``worthwhile`` when its saving exceeds the round-trip fees
(``2 x value x fee rate``), and ``allowed`` unless the rule defeats the rebuy (the UK: ``--execute``
never harvests there). Not tax advice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from trimtab.model.money import ONE, ZERO, floor_to_step, fmt
from trimtab.tax.jurisdiction import TaxRules, TaxYear
from trimtab.tax.lots import LotBook, allocate
from trimtab.tax.model import EventType, Lot, TaxEvent, priced_trade
from trimtab.tax.normalize import wallet_holdings
from trimtab.tax.uk import UKReport
from trimtab.tax.wash_sale import wash_sale_enabled


@dataclass(frozen=True)
class Holding:
    """One asset as the venue shows it: ``price`` in the report currency per unit (last price x the
    quote's rate), ``free`` units that can be sold now (None: no cap), the market's amount ``step``."""

    asset: str
    price: Decimal
    free: Decimal | None = None
    step: Decimal = ZERO


@dataclass(frozen=True)
class HarvestLot:
    """The piece of one lot a harvest sells. ``mature``: held over a year on the sale day (US
    long-term, German tax-free); ``counts``: its gain or loss counts for this year's tax."""

    lot_id: str
    amount: Decimal
    acquired: date
    cost: Decimal
    value: Decimal
    mature: bool
    counts: bool

    @property
    def gain(self) -> Decimal:
        return self.value - self.cost


@dataclass(frozen=True)
class Candidate:
    """Units of ``asset`` to sell at a loss and buy back (see the module docstring); money in the
    report currency, ``value`` net of the sell fee; ``lots`` empty in the UK (pooled)."""

    asset: str
    units: Decimal
    cost: Decimal
    value: Decimal
    lots: tuple[HarvestLot, ...]
    saving: Decimal
    saving_without_rebuy: Decimal
    fees: Decimal
    allowed: bool
    rule: str

    @property
    def unrealized_loss(self) -> Decimal:
        """``cost - value``: positive for a loss (negative when older lots sold first gained more)."""
        return self.cost - self.value

    @property
    def worthwhile(self) -> bool:
        """The tax saved with the rebuy exceeds the round-trip fees."""
        return self.saving > self.fees

    @property
    def harvest(self) -> bool:
        """Worthwhile and allowed: ``--execute`` sells it and buys back."""
        return self.allowed and self.worthwhile


@dataclass(frozen=True)
class Harvest:
    """Every candidate of tax ``year``, and ``saving``: what harvesting the :attr:`chosen` ones
    together saves this year (not simply their sum: the year's netting and limits apply once)."""

    jurisdiction: str
    currency: str
    year: int
    min_loss: Decimal
    candidates: tuple[Candidate, ...]
    saving: Decimal

    @property
    def chosen(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.harvest)


@dataclass(frozen=True)
class _Context:
    rules: TaxRules
    base: TaxYear  # this year as the history leaves it: walked once, asked per candidate
    wallet: str
    when: datetime
    day: date
    fee_rate: Decimal

    @property
    def year(self) -> int:
        return self.base.year

    def trade(self, kind: EventType, asset: str, units: Decimal, price: Decimal) -> TaxEvent:
        return priced_trade(
            self.when,
            self.wallet,
            kind,
            asset,
            units,
            price,
            fee_rate=self.fee_rate,
            currency=self.rules.currency,
        )

    def round_trip(self, asset: str, units: Decimal, price: Decimal) -> list[TaxEvent]:
        return [
            self.trade(EventType.SELL, asset, units, price),
            self.trade(EventType.BUY, asset, units, price),
        ]


def find_harvest(
    rules: TaxRules,
    history: Sequence[TaxEvent],
    holdings: Sequence[Holding],
    *,
    wallet: str,
    when: datetime,
    fee_rate: Decimal,
    min_loss: Decimal,
) -> Harvest:
    """The harvest candidates of ``holdings`` in ``wallet`` at ``when`` (see the module docstring).

    ``history`` is every tax event so far in the rules' currency (imported history and the bot's own
    fills). Raises :class:`~trimtab.errors.TaxError` (or ValueError in the UK) when the history
    cannot be taxed, e.g. it sells more than it bought.
    """
    ctx = _Context(rules, TaxYear.of(rules, history, when), wallet, when, rules.local_day(when), fee_rate)
    candidates: list[Candidate] = []
    if rules.country.pools:
        report = ctx.base.report
        assert isinstance(report, UKReport)  # the one pooling jurisdiction's report
        held = wallet_holdings(history, rules.currency, wallet)  # the UK pool spans every wallet
        for holding in sorted(holdings, key=lambda h: h.asset):
            found = _pool_candidate(ctx, report, held.get(holding.asset, ZERO), holding, min_loss)
            if found is not None:
                candidates.append(found)
    else:
        book = ctx.base.book
        assert book is not None
        for holding in sorted(holdings, key=lambda h: h.asset):
            found = _lot_candidate(ctx, book, holding, min_loss)
            if found is not None:
                candidates.append(found)
    chosen = [c for c in candidates if c.harvest]
    saving = ZERO
    if chosen:
        prices = {h.asset: h.price for h in holdings}
        events = [e for c in chosen for e in ctx.round_trip(c.asset, c.units, prices[c.asset])]
        saving = -ctx.base.adding(events).tax
    return Harvest(rules.jurisdiction, rules.currency, ctx.year, min_loss, tuple(candidates), saving)


def _sellable(units: Decimal, holding: Holding) -> Decimal:
    capped = units if holding.free is None else min(units, holding.free)
    return floor_to_step(capped, holding.step)


def _lot_candidate(ctx: _Context, book: LotBook, holding: Holding, min_loss: Decimal) -> Candidate | None:
    rules, day = ctx.rules, ctx.day
    net = holding.price * (ONE - ctx.fee_rate)
    order = rules.lot_order(net, day)
    ordered = list(order(book.open_lots(holding.asset, ctx.wallet)))
    end, best, running = 0, ZERO, ZERO
    for index, lot in enumerate(ordered):
        gain = lot.amount * net - lot.cost
        running += _weighted(rules, lot, gain, day)
        if gain < -min_loss and (end == 0 or running < best):
            end, best = index + 1, running
    if end == 0:
        return None
    units = _sellable(sum((lot.amount for lot in ordered[:end]), ZERO), holding)
    if units <= 0:
        return None
    pieces = book.pick(holding.asset, ctx.wallet, units, order, when=ctx.when)
    values = allocate(units * net, [piece.amount for piece in pieces])
    lots = tuple(_harvest_lot(rules, piece, value, day) for piece, value in zip(pieces, values, strict=True))
    saving, alone = _savings(ctx, holding.asset, units, holding.price)
    cost = sum((lot.cost for lot in lots), ZERO)
    fees = 2 * units * holding.price * ctx.fee_rate
    rule = _us_rule(ctx, lots, alone) if rules.country.takes_choices else _de_rule(lots, units)
    return Candidate(holding.asset, units, cost, units * net, lots, saving, alone, fees, True, rule)


def _weighted(rules: TaxRules, lot: Lot, gain: Decimal, day: date) -> Decimal:
    """What ``gain`` on ``lot`` weighs in this year's tax, to compare sales (not the tax itself)."""
    matures = rules.matures(lot)
    mature = matures is not None and matures <= day
    if not rules.country.mature_results_count:
        return ZERO if mature else gain
    return gain * (rules.long_term_rate if mature else rules.rate)


def _harvest_lot(rules: TaxRules, piece: Lot, value: Decimal, day: date) -> HarvestLot:
    matures = rules.matures(piece)
    mature = matures is not None and matures <= day
    counts = not (mature and not rules.country.mature_results_count)
    return HarvestLot(
        piece.lot_id, piece.amount, rules.local_day(piece.acquired), piece.cost, value, mature, counts
    )


def _savings(ctx: _Context, asset: str, units: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
    """Tax saved this year by the sale with its rebuy, and by the sale alone."""
    sale, rebuy = ctx.round_trip(asset, units, price)
    with_rebuy = ctx.base.adding([sale, rebuy])
    alone = ctx.base.adding([sale])
    return -with_rebuy.tax, -alone.tax


def _pool_candidate(
    ctx: _Context, report: UKReport, held: Decimal, holding: Holding, min_loss: Decimal
) -> Candidate | None:
    pool = next((p for p in report.pools if p.asset == holding.asset), None)
    if pool is None:
        return None
    units = _sellable(min(held, pool.amount), holding)
    if units <= 0:
        return None
    cost = pool.cost if units == pool.amount else pool.cost * units / pool.amount
    value = units * holding.price * (ONE - ctx.fee_rate)
    if value - cost >= -min_loss:
        return None
    saving, alone = _savings(ctx, holding.asset, units, holding.price)
    fees = 2 * units * holding.price * ctx.fee_rate
    rule = (
        "30-day rule: a rebuy on the same day or within 30 days is matched with the sale and cancels "
        "the loss, so --execute does not harvest in the UK (the bot would buy back at its next "
        f"rebalance); selling and staying out for 31 days would save {_money(alone, ctx)}"
    )
    return Candidate(holding.asset, units, cost, value, (), saving, alone, fees, False, rule)


def _units(units: Decimal) -> str:
    return f"{fmt(units)} unit{'' if units == 1 else 's'}"


def _money(value: Decimal, ctx: _Context) -> str:
    return f"{fmt(value, 2, fixed=True, thousands=True, negative_zero=True)} {ctx.rules.currency}"


def _first_sold(lots: Sequence[HarvestLot]) -> list[HarvestLot]:
    """The pieces the lot order sells before the last loss piece without being at a loss themselves."""
    last = max((i for i, lot in enumerate(lots) if lot.gain < 0), default=-1)
    return [lot for lot in lots[:last] if lot.gain >= 0]


def _older(lots: Sequence[HarvestLot]) -> str:
    """``lot 1 is`` or ``lots 1, 2 are``."""
    ids = ", ".join(lot.lot_id for lot in lots)
    return f"lot {ids} is" if len(lots) == 1 else f"lots {ids} are"


def _us_rule(ctx: _Context, lots: Sequence[HarvestLot], alone: Decimal) -> str:
    rules, year = ctx.rules, ctx.year
    on = wash_sale_enabled(year, rules.wash_sale)
    if rules.wash_sale is not None:
        source = "config tax.wash_sale"
    else:
        source = f"trimtab's default for {year}" + ("" if on else ": crypto is property, not a security")
    parts: list[str] = []
    first = _first_sold(lots)
    if first:
        parts.append(f"lots by {rules.method}: {_older(first)} sold first (not at a loss)")
    if on:
        parts.append(
            f"wash-sale rule on for {year} ({source}): a rebuy within 30 days disallows the loss and "
            "adds it to the new lot's basis; selling without buying back for 31 days would save "
            f"{_money(alone, ctx)}"
        )
        return "; ".join(parts)
    text = (
        f"wash-sale rule off for {year} ({source}): the rebuy keeps the loss and starts a new "
        "short-term holding period"
    )
    long_term = sum((lot.amount for lot in lots if lot.mature), ZERO)
    if long_term:
        text += f" ({fmt(long_term)} of the units were long-term)"
    parts.append(text)
    return "; ".join(parts)


def _de_rule(lots: Sequence[HarvestLot], units: Decimal) -> str:
    parts: list[str] = []
    first = _first_sold(lots)
    if first:
        parts.append(f"FIFO per wallet: the older {_older(first)} sold first")
    tax_free = sum((lot.amount for lot in lots if lot.mature), ZERO)
    parts.append(
        f"no wash-sale rule, but the rebuy restarts the one-year clock on {_units(units)} "
        f"({fmt(tax_free)} already tax-free)"
    )
    if any(lot.mature and lot.gain < 0 for lot in lots):
        parts.append("losses on lots held over a year do not count")
    return "; ".join(parts)

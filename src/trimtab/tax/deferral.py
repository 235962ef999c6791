"""Deferring a sell whose gain is about to become cheaper: the tax-aware half of "when to sell".

A sell is deferred (:func:`deferrals`) when all of these hold:

- the lots it would consume (in the jurisdiction's order: the US standing method, FIFO per wallet in
  Germany) include a lot **with a gain** that turns long-term (US) or tax-free (Germany) within
  ``defer_days`` days of today's local date (:meth:`TaxRules.matures`);
- the asset's drift from its target is at most ``hard_band`` points: beyond it the portfolio's risk
  matters more than the tax, and the sell goes ahead.

The UK has no holding period (the pool averages), so nothing is deferred there.

A deferred asset keeps its current weight for this rebalance (:func:`pinned_targets`): the assets
under their targets are bought less by the points it keeps, so nothing is bought with money the
deferred sell did not raise and nothing else is sold to make up for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from trimtab.model.money import ONE, ZERO, fmt
from trimtab.model.orders import Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.jurisdictions import jurisdiction as country
from trimtab.tax.lots import LotBook

ROUNDING = Decimal("1e-9")  # points: weights are percentages computed to 28 digits


@dataclass(frozen=True)
class SellCandidate:
    """A sell the plan would make: ``amount`` units at ``unit_proceeds`` (report currency per unit,
    fees deducted), ``drift`` points off target (positive: over target)."""

    asset: str
    amount: Decimal
    unit_proceeds: Decimal
    drift: Decimal


@dataclass(frozen=True)
class Deferral:
    """A sell left for later: ``gain`` is what it would realize now on lots that turn long-term or
    tax-free on ``until`` (a local date)."""

    asset: str
    amount: Decimal
    until: date
    drift: Decimal
    gain: Decimal

    def reason(self, jurisdiction: str) -> str:
        kind = country(jurisdiction).matured
        return (
            f"{self.asset}: sell deferred: lots with a gain of {_two(self.gain)} turn {kind} on "
            f"{self.until.isoformat()}; drift {_two(self.drift)} points is inside the hard band"
        )


def deferrals(
    rules: TaxRules,
    book: LotBook,
    wallet: str,
    candidates: Iterable[SellCandidate],
    *,
    now: datetime,
    defer_days: int,
    hard_band: Decimal,
) -> list[Deferral]:
    """The candidates to defer (see the module docstring), by asset name."""
    today = rules.local_day(now)
    horizon = today + timedelta(days=defer_days)
    deferred: list[Deferral] = []
    for sell in sorted(candidates, key=lambda c: c.asset):
        amount = min(sell.amount, book.held(sell.asset, wallet))
        if defer_days <= 0 or abs(sell.drift) > hard_band or amount <= 0:
            continue
        order = rules.lot_order(sell.unit_proceeds, today)
        pieces = book.pick(sell.asset, wallet, amount, order, universal=rules.universal(today), when=now)
        until: date | None = None
        gain = ZERO
        for piece in pieces:
            piece_gain = sell.unit_proceeds * piece.amount - piece.cost
            matures = rules.matures(piece)
            if piece_gain > 0 and matures is not None and today < matures <= horizon:
                until = matures if until is None else max(until, matures)
                gain += piece_gain
        if until is not None:
            deferred.append(Deferral(sell.asset, sell.amount, until, sell.drift, gain))
    return deferred


def pinned_targets(
    targets: Mapping[str, Decimal], weights: Mapping[str, Decimal], pinned: Iterable[str]
) -> dict[str, Decimal] | None:
    """``targets`` with each ``pinned`` (over-target) asset at its current weight; the points it keeps
    above its target come off the targets of the *under*-target assets, in proportion to how far
    under they are, so they are bought less and nobody else is sold more. None when the
    under-target assets cannot absorb the excess.

    Each adjusted target stays at or above the asset's current weight: the excess ``e`` is at most
    the sum ``U`` of the shortfalls (weights and targets both sum to 100), and each target drops by
    ``shortfall x e / U <= shortfall``.

    >>> pinned_targets({"BTC": Decimal(50), "ETH": Decimal(50)}, {"BTC": Decimal(60), "ETH": Decimal(40)}, ["BTC"])
    {'BTC': Decimal('60'), 'ETH': Decimal('40')}
    """
    kept = {asset: weights.get(asset, ZERO) for asset in pinned}
    excess = sum((weight - targets.get(asset, ZERO) for asset, weight in kept.items()), ZERO)
    shortfalls = {
        asset: target - weights.get(asset, ZERO)
        for asset, target in targets.items()
        if asset not in kept and target > weights.get(asset, ZERO)
    }
    room = sum(shortfalls.values(), ZERO)
    # Pinning every over-target asset makes the excess equal the room, up to the rounding of weights.
    if excess <= 0 or room < excess - ROUNDING:
        return None
    share = min(ONE, excess / room)
    adjusted = dict(targets)
    for asset, shortfall in shortfalls.items():
        adjusted[asset] = targets[asset] - shortfall * share
    return adjusted | kept


def sold_units(plan: Plan, quote: str = "") -> dict[str, Decimal]:
    """Units each asset's disposals in ``plan`` add up to: its sells, and (given the portfolio's
    ``quote``) what each buy on a cross pair pays, a disposal too (BUY ETH/BTC disposes of ``amount x
    reference price`` BTC)."""
    sold: dict[str, Decimal] = {}
    for order in plan.orders:
        asset, amount = order.asset, order.amount
        if order.side is Side.BUY:
            paid_in = order.symbol.partition("/")[2]
            if not quote or paid_in == quote:
                continue
            asset, amount = paid_in, order.amount * order.reference_price
        sold[asset] = sold.get(asset, ZERO) + amount
    return sold


def defer_sells(
    rules: TaxRules,
    book: LotBook,
    wallet: str,
    plan: Plan,
    *,
    snapshot: Snapshot,
    weights: Mapping[str, Decimal],
    targets: Mapping[str, Decimal],
    rate: Decimal,
    defer_days: int,
    hard_band: Decimal,
) -> tuple[tuple[Deferral, ...], dict[str, Decimal] | None]:
    """Which of ``plan``'s sells to defer (:func:`deferrals`, each sold at the snapshot's price x
    ``rate`` into the report currency, less the fee) and the targets pinned for them
    (:func:`pinned_targets`); ``((), None)`` when nothing is deferred."""
    candidates = [
        SellCandidate(
            asset,
            amount,
            snapshot.price(asset) * rate * (ONE - snapshot.fee_rate),
            weights.get(asset, ZERO) - targets.get(asset, ZERO),
        )
        for asset, amount in sold_units(plan, snapshot.quote).items()
    ]
    deferred = deferrals(
        rules, book, wallet, candidates, now=snapshot.taken_at, defer_days=defer_days, hard_band=hard_band
    )
    pinned = pinned_targets(targets, weights, [d.asset for d in deferred]) if deferred else None
    return (tuple(deferred), pinned) if pinned is not None else ((), None)


def _two(value: Decimal) -> str:
    """A gain or a drift in points for messages, with 2 decimals: ``-12.30``."""
    return fmt(value, 2, fixed=True, negative_zero=True)

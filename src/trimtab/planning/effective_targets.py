"""The weights a rebalance actually trades to: the targets bent by ``rebalance_to`` and ``sells``.

:func:`effective_targets` runs at the start of every plan. It returns ``targets`` untouched for today's
rebalance (``rebalance_to: target``, ``sells: allowed``, no deposit to invest first); otherwise weights
for the planner to trade to, one per managed asset and the quote, summing to 100.

Notation, all in percent of the managed portfolio's value ``V`` (the planner's): ``w`` an asset's current
weight, ``t`` its target (the quote's includes the implicit cash, 100 minus the targets' sum), ``b`` the
band (``band_percent``, the config's ``threshold_percent``; the relative threshold is not used here).

- **Past its band**: ``|w - t| > b``. A held non-quote asset with target 0 (an unlisted holding that is
  sold, or a target set to 0) is past its band whenever it is held: leaving is not a drift.
- **Destination** ``D`` (``rebalance_to``): ``target`` gives every asset ``D = t``. ``band_edge`` and
  ``halfway`` give an asset past its band ``D = t +/- k x b`` on its own side (``k`` = 1 or 1/2; 0 for a
  target of 0), and one inside its band ``D = w``: it is not traded. The quote follows the same rule.
  The run's fees shrink the portfolio by about ``fee_rate x`` its turnover, which lifts every weight
  (and a buy's fee lowers the asset it buys): aimed exactly at the edge, a sold asset ends a hair past
  it and the next run trades it again. So the edges (the quote's band too, when the quote is past it)
  are pulled inside by a **fee margin** ``m = fee_rate x P``, ``P`` the points the destinations trade
  (the sum of ``|D - w|`` over the assets, measured once without the margin), never more than ``k x b``.
- **Sells** (``sells``): an asset that may not be sold keeps ``D = w`` when ``D < w``. ``allowed``: any
  asset may be sold; ``only_past_band``: only the assets past their band; ``never``: none. (A plan with
  ``allow_sells=False``, the executor's buy leg, sells nothing either.)
- **Balancing**: the destinations rarely sum to 100; the difference ``r = 100 - sum(D)`` is settled in
  this order, each step only as far as needed:

  1. the quote absorbs it, staying within ``[max(0, t - b), t + b]`` (with ``target``: at ``t``);
  2. (``r > 0``) the under-target assets inside their band rise toward their targets, each by the
     same fraction of its gap; then the past-band ones (at their edge) likewise;
     (``r < 0``) the over-target assets inside their band that may be sold fall toward their targets
     proportionally; then the past-band sellers (at their edge) likewise;
  3. what is still missing (``r < 0`` only: sells restricted) shrinks the buys by water-filling: the
     cash there is lifts the most under-target assets first (the gap to target above a common level
     ``L`` is bought, never beyond ``D``), so the worst drift shrinks fastest.

  With every sell allowed step 2 always settles ``r``, and every asset, the quote included, ends
  inside its band; with ``target`` every asset ends on its target, as today.
- **Buy first** (``allowed`` and ``only_past_band``, with a band): when the quote is past its band on
  the high side (``w - t > b``: a deposit, not the crumbs a run leaves) and the same rules with no sells at all leave every asset and the quote inside its band, that plan
  is used: a deposit is invested into the under-target assets and nothing is sold when buying is
  enough. With ``target`` that means the cash above the quote's target is water-filled into the
  under-target assets. Without a band (``band_percent`` None) there is nothing to be "inside", and a
  plan with no over-target asset sells nothing anyway: buy-first does not apply.

The weights of untraded assets (``D = w``) are computed at :data:`WIDE_DIGITS` so that the planner's
``V x D / 100`` rounds back to exactly the held value: their gap is exactly 0 and no skipped trade is
reported for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Protocol

from trimtab.model.money import HUNDRED, ZERO
from trimtab.model.portfolio import Snapshot
from trimtab.planning.options import RebalanceTo, Sells
from trimtab.planning.positions import managed_positions, managed_value
from trimtab.planning.water_level import water_level

#: Digits for the weights here: twice the planner's 60, so an untraded asset's weight multiplies back to
#: its value exactly at the planner's precision.
WIDE_DIGITS = 120

_HALF = Decimal("0.5")
_FRACTION = {RebalanceTo.TARGET: ZERO, RebalanceTo.HALFWAY: _HALF, RebalanceTo.BAND_EDGE: Decimal(1)}


class BandSettings(Protocol):
    """What :func:`effective_targets` reads of the planner's settings (``PlannerSettings`` has it all)."""

    @property
    def rebalance_to(self) -> RebalanceTo: ...
    @property
    def sells(self) -> Sells: ...
    @property
    def band_percent(self) -> Decimal | None: ...
    @property
    def allow_sells(self) -> bool: ...
    @property
    def sell_unlisted(self) -> bool: ...


@dataclass(slots=True)
class _Asset:
    """One managed asset (or the quote) in weights: current, target, whether past its band."""

    name: str
    weight: Decimal
    target: Decimal
    past: bool


def effective_targets(
    snapshot: Snapshot, targets: Mapping[str, Decimal], settings: BandSettings
) -> Mapping[str, Decimal]:
    """The weights to plan to (see the module docstring for the exact rules): ``targets`` itself when
    nothing bends them, else one weight per managed asset and the quote, summing to 100."""
    mode, sells = settings.rebalance_to, settings.sells
    band = settings.band_percent
    plain = mode is RebalanceTo.TARGET and sells is Sells.ALLOWED
    # Only buy-first could bend plain targets, and it needs the cash past its band.
    if plain and (
        band is None or not settings.allow_sells or not _cash_may_be_past_band(snapshot, targets, band)
    ):
        return targets
    with localcontext(prec=WIDE_DIGITS):
        book = _book(snapshot, targets, band or ZERO, sell_unlisted=settings.sell_unlisted)
        if book is None:
            return targets
        assets, quote = book
        bands = _Bands(assets, quote, band or ZERO, _FRACTION[mode], snapshot.fee_rate)
        sellable = {a.name: _may_sell(a, sells, settings.allow_sells) for a in assets}
        weights = bands.destinations(sellable)
        sold = any(weights[a.name] < a.weight for a in assets)
        buy_first = (
            sold
            and band is not None
            and sells is not Sells.NEVER
            and quote.weight - quote.target > band  # a deposit: the cash itself is past its band
            and any(a.weight < a.target for a in assets)
        )
        if buy_first:
            buying = bands.destinations(dict.fromkeys(sellable, False))
            if bands.inside(buying):
                return buying
        if mode is RebalanceTo.TARGET and sells is Sells.ALLOWED:
            return targets
        return weights


def _cash_may_be_past_band(snapshot: Snapshot, targets: Mapping[str, Decimal], band: Decimal) -> bool:
    """Whether the quote may be more than ``band`` points above its target: a cheap upper bound on its
    weight, valued against the targeted assets only (the managed value is never smaller: it may add
    unlisted holdings that are sold), so that a plan with no deposit skips the full book."""
    quote = snapshot.quote
    cash = snapshot.amount(quote)
    if cash <= 0:
        return False
    prices = snapshot.prices
    value = cash + sum((snapshot.amount(a) * prices[a] for a in targets if a != quote and a in prices), ZERO)
    implicit = HUNDRED - sum(targets.values(), ZERO)  # what the weights leave below 100 stays in cash
    return cash * HUNDRED > (targets.get(quote, ZERO) + max(implicit, ZERO) + band) * value


def _may_sell(asset: _Asset, sells: Sells, allow_sells: bool) -> bool:
    if not allow_sells or sells is Sells.NEVER:
        return False
    return sells is Sells.ALLOWED or asset.past


def _book(
    snapshot: Snapshot, targets: Mapping[str, Decimal], band: Decimal, *, sell_unlisted: bool
) -> tuple[list[_Asset], _Asset] | None:
    """The managed assets and the quote in weights of the planner's value, or None when it is 0."""
    positions, _ = managed_positions(snapshot, targets, sell_unlisted=sell_unlisted)
    cash = snapshot.amount(snapshot.quote)
    value = managed_value(snapshot, positions)
    if value <= 0:
        return None
    assets = []
    for p in positions:
        weight = p.total * p.price * HUNDRED / value
        past = weight > 0 if p.weight == 0 else abs(weight - p.weight) > band
        assets.append(_Asset(p.asset, weight, p.weight, past))
    quote_weight = cash * HUNDRED / value
    quote_target = HUNDRED - sum((p.weight for p in positions), ZERO)
    quote = _Asset(snapshot.quote, quote_weight, quote_target, abs(quote_weight - quote_target) > band)
    return assets, quote


class _Bands:
    """The balancing of one portfolio's destinations (steps 1-3 of the module docstring)."""

    def __init__(
        self, assets: list[_Asset], quote: _Asset, band: Decimal, fraction: Decimal, fee_rate: Decimal
    ) -> None:
        self.assets, self.quote, self.band, self.fraction = assets, quote, band, fraction
        self.fee_rate = fee_rate
        self.banded = fraction > 0  # with ``target`` the quote stays on its target

    def wanted(self, asset: _Asset, margin: Decimal) -> Decimal:
        """``D`` before the sells policy: the target, the band's edge or halfway (pulled ``margin``
        inside), or the weight."""
        if not self.banded:
            return asset.target
        if not asset.past:
            return asset.weight
        if asset.target == 0 and asset is not self.quote:
            return ZERO
        step = self.fraction * self.band - margin
        edge = asset.target + step if asset.weight > asset.target else asset.target - step
        return min(HUNDRED, max(ZERO, edge))

    def destinations(self, sellable: Mapping[str, bool]) -> dict[str, Decimal]:
        """The weights to trade to, each edge pulled inside by the fee margin (see the module)."""
        dest = self._destinations(sellable, ZERO)
        if not self.banded or self.fee_rate <= 0:
            return dest
        traded = sum((abs(dest[a.name] - a.weight) for a in self.assets), ZERO)
        margin = min(self.fee_rate * traded, self.fraction * self.band)
        return self._destinations(sellable, margin) if margin > 0 else dest

    def _destinations(self, sellable: Mapping[str, bool], margin: Decimal) -> dict[str, Decimal]:
        quote = self.quote
        if self.banded:  # a quote inside its band is not pulled: it only takes what the others give
            pull = margin if quote.past else ZERO
            quote_low = max(ZERO, quote.target - self.band + pull)
            quote_high = quote.target + self.band - pull
        else:
            quote_low = quote_high = max(ZERO, quote.target)
        dest: dict[str, Decimal] = {}
        for asset in self.assets:
            wanted = self.wanted(asset, margin)
            dest[asset.name] = asset.weight if wanted < asset.weight and not sellable[asset.name] else wanted
        dest[quote.name] = min(quote_high, max(quote_low, self.wanted(quote, margin)))
        rest = HUNDRED - sum(dest.values(), ZERO)
        # step 1: the quote, within its band
        if rest > 0:
            moved = min(rest, max(ZERO, quote_high - dest[quote.name]))
        else:
            moved = max(rest, min(ZERO, quote_low - dest[quote.name]))
        dest[quote.name] += moved
        rest -= moved
        if rest > 0:  # step 2, up: the under-target assets rise toward their targets
            for past in (False, True):
                group = [a for a in self.assets if a.past is past and dest[a.name] < a.target]
                rest = self._toward_targets(group, dest, rest)
        elif rest < 0:  # step 2, down: the sellable over-target assets fall toward their targets
            for past in (False, True):
                group = [
                    a for a in self.assets if a.past is past and sellable[a.name] and dest[a.name] > a.target
                ]
                rest = self._toward_targets(group, dest, rest)
            if rest < 0:  # step 3: the buys shrink, the most under-target assets kept first
                rest = -self._water_fill(dest, -rest)
        # The divisions' last digits; or, after step 3, what no buy can free: the quote holds less
        # than its band's floor and nothing may be sold to refill it (it ends at no less than ``w``).
        dest[quote.name] += rest
        return dest

    @staticmethod
    def _toward_targets(group: list[_Asset], dest: dict[str, Decimal], rest: Decimal) -> Decimal:
        """Move each of ``group`` the same fraction of its way to its target, as far as ``rest`` needs
        (signed: > 0 raises under-target assets, < 0 lowers over-target ones); the part not settled."""
        gaps = sum((a.target - dest[a.name] for a in group), ZERO)
        if rest == 0 or gaps == 0:
            return rest
        share = min(Decimal(1), rest / gaps)
        for asset in group:
            dest[asset.name] += share * (asset.target - dest[asset.name])
        return rest - share * gaps

    def _water_fill(self, dest: dict[str, Decimal], short: Decimal) -> Decimal:
        """Take ``short`` off the buys: buyer ``i`` (``D > w``) keeps ``min(D - w, max(0, gap - L))`` of
        its buy, with ``gap = t - w`` and the level ``L`` the one that frees exactly ``short``. Returns
        what could not be freed (more than all the buys)."""
        buyers = [
            (a, dest[a.name] - a.weight, a.target - a.weight) for a in self.assets if dest[a.name] > a.weight
        ]
        budget = sum((cap for _, cap, _ in buyers), ZERO) - short
        if budget <= 0:
            for asset, _, _ in buyers:
                dest[asset.name] = asset.weight
            return -budget
        level = water_level(budget, [(cap, gap) for _, cap, gap in buyers])
        for asset, cap, gap in buyers:
            dest[asset.name] = asset.weight + min(cap, max(ZERO, gap - level))
        return ZERO

    def inside(self, dest: Mapping[str, Decimal]) -> bool:
        """Whether every asset and the quote end within their band (to the last digits of a division)."""
        slack = self.band + Decimal("1e-40")
        return all(abs(dest[a.name] - a.target) <= slack for a in (*self.assets, self.quote))

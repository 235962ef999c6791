"""Tax-aware rebalancing in a backtest: the live bot's deferral of sells, fed by the backtest's fills.

:class:`TaxAwareReplay` is the backtest's counterpart of :class:`~trimtab.tax.advisor.TaxAdvisor` and
uses the same rules (:mod:`trimtab.tax.deferral`): at a rebalance, a sell whose lots include a lot
with a gain that turns long-term (US) or tax-free (Germany) within ``defer_days`` is deferred while the
asset's drift is inside the hard band, and the asset keeps its current weight (:func:`pinned_targets`)
so the engine re-plans with those targets. The UK has no holding period: nothing is deferred there.

The lots come from the backtest's own fills, fed in as they happen (:meth:`TaxAwareReplay.record`):
one :class:`~trimtab.tax.lots.LotBook`, updated incrementally, never rebuilt from the history. The
fills become events exactly as in :mod:`trimtab.backtest.tax` (wallet ``backtest``; a fee in the coin
bought is added to the cost and its units disposed of), and a sale consumes lots in the
jurisdiction's order (the US standing method, FIFO in Germany), so the book is the one the tax
report's walk leaves. Not modelled: the US wash-sale rule (off for crypto; with ``wash_sale: true``
the replacement lots' basis and tacked-on holding periods are not applied here).

How the engine uses it, per rebalance (a sketch; the engine owns the wiring)::

    plan = plan_rebalance(snapshot, targets, planner)
    targets, deferred = replay.targets(snapshot, weights, targets, plan)
    if deferred:
        plan = plan_rebalance(snapshot, targets, planner)
    ... execute ...
    replay.record(trades_of_this_rebalance, prices)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from trimtab.backtest.engine import Trade
from trimtab.backtest.tax import WALLET, trade_events
from trimtab.config.tax_section import TaxSection
from trimtab.model.money import ONE
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan
from trimtab.tax.deferral import Deferral, defer_sells
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.lots import LotBook
from trimtab.tax.normalize import Acquisition, normalize
from trimtab.tax.rates import RateTable


class TaxAwareReplay:
    """Defers sells in a backtest the way the live bot does (see the module docstring).

    ``hard_band`` is in points of drift; ``rates`` convert the quote to the rules' currency (None: 1:1,
    as in :mod:`trimtab.backtest.tax`). ``deferred`` lists every deferral made, in order.
    """

    def __init__(
        self,
        rules: TaxRules,
        *,
        defer_days: int = 30,
        hard_band: Decimal = Decimal(10),
        rates: RateTable | None = None,
    ) -> None:
        self.rules = rules
        self.defer_days = defer_days
        self.hard_band = hard_band
        self.rates = rates or RateTable.identity()
        self.book = LotBook()
        self.deferred: list[Deferral] = []

    @classmethod
    def from_section(
        cls, section: TaxSection, *, threshold_percent: Decimal | None, rates: RateTable | None = None
    ) -> TaxAwareReplay:
        """The replay of a config's ``tax:`` section (``threshold_percent``: the policy's band, None
        for a calendar policy; it sets the default hard band)."""
        return cls(
            TaxRules.from_section(section),
            defer_days=section.defer_days,
            hard_band=section.hard_band(threshold_percent),
            rates=rates,
        )

    def record(self, trades: Iterable[Trade], prices: Mapping[str, Decimal]) -> None:
        """Feed one rebalance's fills, in fill order, into the lot book. ``prices`` are the
        rebalance's prices in the quote (they value a fee paid in a third asset)."""
        if self.rules.country.pools:
            return  # the UK pools: no lots, nothing to defer
        rules = self.rules
        events = trade_events(trades, rules.currency, self.rates, prices)
        for record in normalize(events, rules.currency):
            if isinstance(record, Acquisition):
                self.book.add(record)
                continue
            day = rules.local_day(record.time)
            unit_proceeds = record.proceeds / record.amount
            self.book.consume(
                record.asset,
                record.wallet,
                record.amount,
                rules.lot_order(unit_proceeds, day),
                universal=rules.universal(day),
                when=record.time,
            )

    def targets(
        self,
        snapshot: Snapshot,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        plan: Plan,
    ) -> tuple[dict[str, Decimal], tuple[Deferral, ...]]:
        """The targets to plan with and the sells deferred: ``targets`` unchanged and nothing deferred,
        or the deferred assets pinned at their current ``weights`` (percent, like ``targets``) when
        :func:`deferrals` defers some of ``plan``'s sells and the under-target assets can absorb it."""
        if not plan.sells or self.defer_days <= 0 or self.rules.country.pools:
            return dict(targets), ()
        now = snapshot.taken_at
        rate = ONE if snapshot.quote == self.rules.currency else self.rates.rate_on(now.date())
        deferred, pinned = defer_sells(
            self.rules,
            self.book,
            WALLET,
            plan,
            snapshot=snapshot,
            weights=weights,
            targets=targets,
            rate=rate,
            defer_days=self.defer_days,
            hard_band=self.hard_band,
        )
        if pinned is None:
            return dict(targets), ()
        self.deferred.extend(deferred)
        return pinned, deferred

"""Tax-aware planning: the live planner's plan, with deferred sells, the lots it uses and its estimated tax.

:class:`TaxAdvisor` runs between the decision and the execution when the config has a ``tax:``
section:

1. plan as usual (:func:`~trimtab.planning.planner.plan_rebalance`);
2. defer the sells whose lots are about to turn long-term or tax-free while the drift is inside the
   hard band (:mod:`trimtab.tax.deferral`), and plan again with those assets pinned at their weights;
3. estimate the plan's tax as the change of the year's tax (:func:`~trimtab.tax.jurisdiction.added_tax`)
   with the plan's orders added to the history at the last prices, and list the lots they consume.

Lot choice: in the US the sells consume lots in the standing order of ``tax.method`` (``min-tax`` by
default: losses first, then long-term gains, short-term gains last); that order is the identification
made before the trade, and ``tax report`` uses the same method. Germany prescribes FIFO *within* a
wallet, so a choice exists only across wallets, and trimtab trades one (its exchange). The UK averages
in the section 104 pool: what matters there is timing (a buy within 30 days of a disposal re-matches
it), which the estimate includes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from trimtab.model.money import ZERO
from trimtab.model.orders import Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.tax.deferral import Deferral, defer_sells, sold_units
from trimtab.tax.history import quote_rate
from trimtab.tax.jurisdiction import AddedTax, TaxRules, TaxYear
from trimtab.tax.model import EventType, TaxEvent, priced_trade
from trimtab.tax.normalize import wallet_holdings
from trimtab.tax.rates import RateTable

DUST = Decimal("1e-9")


@dataclass(frozen=True)
class TaxAdvice:
    """The plan to execute, the targets it was made for (deferred assets pinned at their weights),
    what was deferred, and the estimate (None when the history lacks the lots, see ``missing``)."""

    plan: Plan
    targets: Mapping[str, Decimal]
    deferred: tuple[Deferral, ...]
    estimate: AddedTax | None
    rules: TaxRules
    note: str
    missing: Mapping[str, Decimal]  # asset -> units the plan sells beyond the tax history


@dataclass(frozen=True)
class TaxAdvisor:
    """Plans tax-aware for one wallet (the exchange's name, as in ``tax report``)."""

    rules: TaxRules
    wallet: str
    defer_days: int
    hard_band: Decimal
    rates: RateTable | None = None

    def advise(
        self,
        snapshot: Snapshot,
        weights: Mapping[str, Decimal],
        targets: Mapping[str, Decimal],
        settings: PlannerSettings,
        history: Sequence[TaxEvent],
    ) -> TaxAdvice:
        """The tax-aware plan for ``snapshot`` (see the module docstring); ``history`` is every tax
        event so far in the rules' currency (imported history and the bot's own fills)."""
        now = snapshot.taken_at
        rate = quote_rate(snapshot.quote, self.rules.currency, now.date(), self.rates)
        plan = plan_rebalance(snapshot, targets, settings)
        deferred: tuple[Deferral, ...] = ()
        year = TaxYear.of(self.rules, history, now)
        book = year.book if plan.sells and self.defer_days > 0 else None
        if book is not None:
            deferred, pinned = defer_sells(
                self.rules,
                book,
                self.wallet,
                plan,
                snapshot=snapshot,
                weights=weights,
                targets=targets,
                rate=rate,
                defer_days=self.defer_days,
                hard_band=self.hard_band,
            )
            if pinned is not None:
                plan = _without_dust(plan_rebalance(snapshot, pinned, settings), pinned, targets)
                targets = pinned
        missing = self._missing(plan, history, snapshot.quote)
        estimate = None
        if not missing:
            orders = plan_events(
                plan,
                now,
                rate=rate,
                fee_rate=snapshot.fee_rate,
                wallet=self.wallet,
                currency=self.rules.currency,
                quote=snapshot.quote,
            )
            estimate = year.adding(orders)
        note = self.rules.country.plan_note.format(method=self.rules.method, wallet=self.wallet)
        return TaxAdvice(plan, dict(targets), deferred, estimate, self.rules, note, missing)

    def _missing(self, plan: Plan, history: Sequence[TaxEvent], quote: str) -> dict[str, Decimal]:
        """Units each disposal (a sell, what a cross buy pays) takes beyond what the history shows the
        wallet holding."""
        held = wallet_holdings(history, self.rules.currency, self.wallet)
        return {
            asset: amount - max(held.get(asset, ZERO), ZERO)
            for asset, amount in sold_units(plan, quote).items()
            if amount > held.get(asset, ZERO)
        }


def _without_dust(plan: Plan, pinned: Mapping[str, Decimal], targets: Mapping[str, Decimal]) -> Plan:
    """``plan`` without the skipped trades that pinning left behind: a pinned target is the current
    weight, so what remains of its gap is rounding (below a billionth of the portfolio)."""
    dust = plan.total_value * DUST
    skipped = tuple(
        s for s in plan.skipped if not (pinned.get(s.asset) != targets.get(s.asset) and s.value < dust)
    )
    return replace(plan, skipped=skipped)


def plan_events(
    plan: Plan,
    when: datetime,
    *,
    rate: Decimal,
    fee_rate: Decimal,
    wallet: str,
    currency: str,
    quote: str = "",
) -> list[TaxEvent]:
    """The plan's orders as tax events at their reference prices (converted with ``rate``), each fee
    charged in the report ``currency``: what the history would gain if they filled as planned.

    An order on a cross pair (its symbol not quoted in the portfolio's ``quote``, when given) is a
    swap, as :func:`trimtab.tax.history.fill_events` makes of its fills: the asset paid disposed of,
    the asset received acquired, both worth the order's ``value`` (portfolio quote) x ``rate``; its one
    fee is the acquisition's."""
    events: list[TaxEvent] = []
    for order in plan.orders:
        paid_in = order.symbol.partition("/")[2]
        if quote and paid_in != quote:
            events += _swap_events(
                order, paid_in, when, rate=rate, fee_rate=fee_rate, wallet=wallet, currency=currency
            )
            continue
        kind = EventType.SELL if order.side is Side.SELL else EventType.BUY
        price = order.reference_price * rate
        events.append(
            priced_trade(
                when, wallet, kind, order.asset, order.amount, price, fee_rate=fee_rate, currency=currency
            )
        )
    return events


def _swap_events(
    order: PlannedOrder,
    paid_in: str,
    when: datetime,
    *,
    rate: Decimal,
    fee_rate: Decimal,
    wallet: str,
    currency: str,
) -> list[TaxEvent]:
    """A planned cross order's disposal and acquisition (see :func:`plan_events`), disposal first."""
    worth = order.value * rate  # of either side, in the report currency
    other = order.amount * order.reference_price  # units of the pair's quote asset
    buying = order.side is Side.BUY
    base = priced_trade(
        when,
        wallet,
        EventType.BUY if buying else EventType.SELL,
        order.asset,
        order.amount,
        worth / order.amount,
        fee_rate=fee_rate if buying else ZERO,
        currency=currency,
    )
    quote_side = priced_trade(
        when,
        wallet,
        EventType.SELL if buying else EventType.BUY,
        paid_in,
        other,
        worth / other,
        fee_rate=ZERO if buying else fee_rate,
        currency=currency,
    )
    return [quote_side, base] if buying else [base, quote_side]

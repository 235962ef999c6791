"""Deposits and withdrawals the bot did not make, and the cash a ``trimtab withdraw`` keeps aside.

Nothing new is stored for a cash flow: the ledger knows what the account held at its latest snapshot
(a run's ``before`` or ``after``) and every fill recorded since, so what the account holds now beyond
that is money (or an asset) the owner moved in or out: :func:`cash_flows`. Amounts are compared as
:meth:`~trimtab.model.portfolio.Snapshot.amount` counts them, external holdings included and set-asides
left out, as the snapshots recorded them; so moving coins to cold storage while adding them to
``portfolio.external`` is no cash flow, and withdrawing what ``trimtab withdraw`` set aside is none
either (the withdraw run already took it out of the portfolio).

A set-aside (:mod:`trimtab.ledger.cash_records`) stays kept out of the runs until the venue's balance
shows it left: :func:`set_aside_now` compares the balance with the one recorded right after the withdraw
run plus the fills since; what is missing was withdrawn, oldest set-aside first. A deposit of the same
asset in the same interval hides as much of the withdrawal (``trimtab withdraw --cancel`` releases it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.ledger.cash_records import RecordedMove, Released, SetAside
from trimtab.ledger.store import LedgerStore
from trimtab.model.money import ZERO, fmt
from trimtab.model.orders import Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.policy.base import Decision

if TYPE_CHECKING:  # outcomes holds a view's cash flows: imported for the annotation only
    from trimtab.app.outcomes import PlanView

#: A difference worth less than this share of the portfolio is rounding (or a fee the ledger values
#: differently), not a cash flow: one basis point.
NOISE = Decimal("0.0001")


@dataclass(frozen=True)
class CashFlow:
    """``amount`` of ``asset`` that arrived (positive: a deposit) or left (negative: a withdrawal) since
    run ``since_run``, worth ``value`` in the quote at today's price."""

    asset: str
    amount: Decimal
    value: Decimal
    since_run: int

    @property
    def words(self) -> str:
        """``deposit of 1000 USDT since run 12``."""
        kind = "deposit" if self.amount > 0 else "withdrawal"
        return f"{kind} of {fmt(abs(self.amount))} {self.asset} since run {self.since_run}"


def flow_note(flows: Sequence[CashFlow]) -> str:
    """What a run's decision reason gains: ``"; deposit of 1000 USDT since run 12"`` (``""`` without)."""
    return "".join(f"; {flow.words}" for flow in flows)


def balance_moves(moves: Iterable[RecordedMove]) -> dict[str, Decimal]:
    """How ``moves`` changed each asset's balance: a buy on ``BASE/QUOTE`` adds the base and pays the
    quote, a sell the other way round, and each fee is taken from its own asset."""
    net: dict[str, Decimal] = {}
    for move in moves:
        base, _, quote = move.symbol.partition("/")
        fill = move.fill
        sign = 1 if move.side is Side.BUY else -1
        net[base] = net.get(base, ZERO) + sign * fill.amount
        net[quote] = net.get(quote, ZERO) - sign * fill.amount * fill.price
        if fill.fee:
            net[fill.fee_asset] = net.get(fill.fee_asset, ZERO) - fill.fee
    return net


def cash_flows(ledger: LedgerStore, snapshot: Snapshot, assets: Iterable[str]) -> tuple[CashFlow, ...]:
    """The deposits and withdrawals of ``assets`` since the ledger's latest snapshot (none in an empty
    ledger, and none for an asset that snapshot did not hold a position for), largest value first."""
    latest = ledger.latest_snapshot()
    if latest is None:
        return ()
    run_id, recorded = latest
    if recorded.quote != snapshot.quote:
        return ()  # another quote currency: the amounts are not comparable
    then = {p.asset: p.amount for p in recorded.positions}
    moved = balance_moves(ledger.fills_since(run_id, including=recorded.kind == "before"))
    total = sum((snapshot.value(a) for a in then if a in snapshot.prices or a == snapshot.quote), ZERO)
    flows = []
    for asset in sorted(set(assets) & then.keys()):
        if asset != snapshot.quote and asset not in snapshot.prices:
            continue
        change = snapshot.amount(asset) - then[asset] - moved.get(asset, ZERO)
        value = change * snapshot.price(asset)
        if change != 0 and abs(value) >= total * NOISE:
            flows.append(CashFlow(asset, change, value, run_id))
    return tuple(sorted(flows, key=lambda f: (-abs(f.value), f.asset)))


@dataclass(frozen=True)
class SetAsideNow:
    """The open set-asides and, by asset, what of them is still on the venue (``kept``); the ids in
    ``gone`` were withdrawn entirely and can be released."""

    open: tuple[SetAside, ...]
    kept: Mapping[str, Decimal]
    gone: tuple[int, ...]


def set_aside_now(ledger: LedgerStore, balances: Mapping[str, Balance]) -> SetAsideNow:
    """What of the open set-asides the venue still holds, given its ``balances`` (their totals count)."""
    open_ones = tuple(ledger.set_asides(open_only=True))
    if not open_ones:
        return SetAsideNow((), {}, ())
    kept: dict[str, Decimal] = {}
    gone: list[int] = []
    for asset in sorted({s.asset for s in open_ones}):
        mine = [s for s in open_ones if s.asset == asset]
        oldest = mine[0]
        moved = balance_moves(ledger.fills_since(oldest.run_id)).get(asset, ZERO)
        held = balances.get(asset)
        withdrawn = max(oldest.venue_total + moved - (held.total if held else ZERO), ZERO)
        for one in mine:
            taken = min(withdrawn, one.amount)
            withdrawn -= taken
            if taken == one.amount:
                gone.append(one.id)
            else:
                kept[asset] = kept.get(asset, ZERO) + one.amount - taken
    return SetAsideNow(open_ones, kept, tuple(gone))


def release_withdrawn(ledger: LedgerStore, balances: Mapping[str, Balance], at: datetime) -> None:
    """Mark the set-asides the owner withdrew entirely (the venue's ``balances`` show it) as released."""
    now = set_aside_now(ledger, balances)
    if now.gone:
        ledger.release_set_asides(now.gone, at, Released.WITHDRAWN)


def noted(planned: PlanView, flows: Sequence[CashFlow]) -> PlanView:
    """``planned`` with the cash ``flows`` added to its decision's reason (see :func:`flow_note`)."""
    if not flows:
        return planned
    decision = planned.decision
    return replace(planned, decision=Decision(decision.rebalance, decision.reason + flow_note(flows)))

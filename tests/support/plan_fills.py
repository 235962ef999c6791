"""Fill a whole plan on paper, with the paper venue's fill model (:func:`trimtab.venues.paper.match_order`).

Each order fills completely at the price ``fill_at(order)`` chooses, in leg order, against the free
balances of a snapshot, charged the snapshot's fee like the paper venue charges it. The model refuses
what the venue refuses (Binance's filters, a sell beyond the free balance, a buy whose
``amount x limit`` exceeds the free quote, a fill beyond the limit), so the planner's tests use it to
prove plans safe::

    result = simulate(snapshot, plan, at_limit)  # the worst fills the plan allows
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.errors import OrderRejected
from trimtab.model.money import ZERO
from trimtab.model.orders import OrderRequest, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.constraints import exact_arithmetic
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.venues.paper import IocMarket, PaperSettings, match_order

FillAt = Callable[[PlannedOrder], Decimal]
"""Chooses the price an order fills at; the fill model refuses one worse than the order's limit."""


def at_limit(order: PlannedOrder) -> Decimal:
    """Fill at the limit price: the worst fill the order allows."""
    return order.limit_price


def at_reference(order: PlannedOrder) -> Decimal:
    """Fill at the last price the plan was made at."""
    return order.reference_price


@dataclass(frozen=True, slots=True)
class SimulatedFill:
    """How one order filled. ``fee`` is in ``fee_asset``; ``fee_value`` is that fee in the quote
    currency at the order's reference (last) price."""

    leg: int
    asset: str
    side: Side
    amount: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    fee_value: Decimal


@dataclass(frozen=True)
class Simulation:
    """Balances after every order of a plan filled, and the fills in leg order."""

    balances: Mapping[str, Balance]
    fills: tuple[SimulatedFill, ...]

    @property
    def fees_value(self) -> Decimal:
        """All fees paid, in the quote currency at the reference prices."""
        return sum((f.fee_value for f in self.fills), ZERO)


def simulate(snapshot: Snapshot, plan: Plan, fill_at: FillAt = at_limit) -> Simulation:
    """Fill every order of ``plan`` against the balances of ``snapshot``, in leg order.

    Raises what the paper venue raises: OrderRejected, InsufficientFunds, and ValueError when
    ``fill_at`` breaks an order's limit. ``snapshot`` is left untouched.
    """
    settings = PaperSettings(balances={}, fee_rate=snapshot.fee_rate)
    balances = dict(snapshot.balances)
    fills: list[SimulatedFill] = []
    with exact_arithmetic():
        for order in plan.orders:
            fills.append(_fill(snapshot, settings, balances, order, fill_at(order)))
    return Simulation(balances, tuple(fills))


def _fill(
    snapshot: Snapshot,
    settings: PaperSettings,
    balances: dict[str, Balance],
    order: PlannedOrder,
    price: Decimal,
) -> SimulatedFill:
    # A cross-pair order (ETH/BTC) fills on the snapshot's pairs, its fee valued at the asset's own price.
    rules = snapshot.pairs.get(order.symbol) or snapshot.markets.get(order.asset)
    if order.asset == snapshot.quote or rules is None or rules.symbol != order.symbol:
        raise OrderRejected(f"Invalid symbol. (no market {order.symbol!r})")
    request = OrderRequest(order.symbol, order.side, order.amount, order.limit_price, f"leg-{order.leg}")
    market = IocMarket(order.asset, rules.quote, rules, order.reference_price, settings, snapshot.taken_at)
    free = {asset: balance.free for asset, balance in balances.items()}
    result, deltas = match_order(request, market, free, str(order.leg), price=price)
    for asset, change in deltas.items():
        old = balances.get(asset, Balance(ZERO, ZERO))
        balances[asset] = Balance(old.free + change, old.total + change)
    [fill] = result.fills
    if fill.fee_asset == snapshot.quote:
        fee_value = fill.fee
    elif rules.quote == snapshot.quote:
        fee_value = fill.fee * order.reference_price
    else:
        fee_value = fill.fee * snapshot.price(fill.fee_asset)
    return SimulatedFill(
        order.leg, order.asset, order.side, fill.amount, fill.price, fill.fee, fill.fee_asset, fee_value
    )

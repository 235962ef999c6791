"""Execute a plan against a snapshot on paper: pure, deterministic, exact.

Each order fills completely at the price ``fill_price(order)`` chooses, in leg order, with fees
charged like Binance: ``fee_rate x`` the asset received (a buy pays in the base asset, a sell in the
quote). Like an exchange it refuses what a real venue would refuse: an order the market rules reject,
a sell of more than the free balance, a buy whose locked ``amount x limit_price`` exceeds the free
quote at placement, or a fill beyond the limit price. The property tests use it to prove plans safe;
a backtester can use it to move a portfolio through time::

    result = simulate(snapshot, plan, fill_price=at_limit)  # the worst fills the plan allows
    snapshot = dataclasses.replace(snapshot, balances=result.balances)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.errors import InsufficientFunds, OrderRejected
from trimtab.money import ZERO, fmt
from trimtab.planning.constraints import exact_arithmetic, rule_violation
from trimtab.planning.plan import Plan, PlannedOrder
from trimtab.portfolio import Balance, Snapshot
from trimtab.venues.port import Side

FillPrice = Callable[[PlannedOrder], Decimal]
"""Chooses the price an order fills at; it must be at or better than the order's limit."""


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


def simulate(snapshot: Snapshot, plan: Plan, fill_price: FillPrice = at_limit) -> Simulation:
    """Fill every order of ``plan`` against the balances of ``snapshot``, in leg order.

    Raises :class:`~trimtab.errors.InsufficientFunds` when a sell exceeds the free balance or a buy's
    ``amount x limit_price`` exceeds the free quote when it is placed, :class:`OrderRejected` when the
    market rules reject an order, and ``ValueError`` when ``fill_price`` breaks an order's limit.
    """
    with exact_arithmetic():
        balances = dict(snapshot.balances)
        fills = tuple(_fill(snapshot, balances, order, fill_price(order)) for order in plan.orders)
        return Simulation(balances, fills)


def _fill(
    snapshot: Snapshot, balances: dict[str, Balance], order: PlannedOrder, price: Decimal
) -> SimulatedFill:
    quote, base = snapshot.quote, order.asset
    label = f"leg {order.leg} {order.side.value} {fmt(order.amount)} {order.symbol}"
    rules = snapshot.markets.get(base)
    if base == quote or rules is None or rules.symbol != order.symbol:
        raise OrderRejected(f"{label}: no such market")
    violation = rule_violation(rules, order.amount, order.limit_price)
    if violation is not None:
        raise OrderRejected(f"{label}: the amount {violation}")
    worse = price > order.limit_price if order.side is Side.BUY else price < order.limit_price
    if worse or price <= 0:
        raise ValueError(f"{label}: fill price {fmt(price)} breaks the limit {fmt(order.limit_price)}")
    fee_rate = snapshot.fee_rate
    if order.side is Side.SELL:
        _require(balances, base, order.amount, label)
        proceeds = order.amount * price
        fee = proceeds * fee_rate
        _move(balances, base, -order.amount)
        _move(balances, quote, proceeds - fee)
        return SimulatedFill(order.leg, base, order.side, order.amount, price, fee, quote, fee)
    # A limit buy locks amount x limit at placement, even when it then fills at a better price.
    _require(balances, quote, order.amount * order.limit_price, label)
    fee = order.amount * fee_rate
    _move(balances, quote, -order.amount * price)
    _move(balances, base, order.amount - fee)
    return SimulatedFill(
        order.leg, base, order.side, order.amount, price, fee, base, fee * order.reference_price
    )


def _require(balances: Mapping[str, Balance], asset: str, amount: Decimal, label: str) -> None:
    free = balances[asset].free if asset in balances else ZERO
    if amount > free:
        raise InsufficientFunds(f"{label}: needs {fmt(amount)} {asset} but only {fmt(free)} is free")


def _move(balances: dict[str, Balance], asset: str, change: Decimal) -> None:
    old = balances.get(asset, Balance(ZERO, ZERO))
    new = Balance(old.free + change, old.total + change)
    if new.free < 0:  # unreachable after _require; kept so no path can produce a negative balance
        raise InsufficientFunds(f"{asset}: balance would become {fmt(new.free)}")
    balances[asset] = new

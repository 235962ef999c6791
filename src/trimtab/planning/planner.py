"""The planner: which orders bring a portfolio back to its target weights.

Pure and deterministic: a :class:`~trimtab.portfolio.Snapshot`, target weights and settings in, a
:class:`~trimtab.planning.plan.Plan` out. The plan is safe to execute even when every order fills at
its worst allowed price: sells come first, and the buys are sized to the cash the sells produce at
their limit prices after fees, with every buy's locked ``amount x limit`` (plus a fee reserve) covered.

Steps, for the managed assets (the targets, the quote, and unlisted holdings when ``sell_unlisted``):

1. value ``V = sum(total x last price)``; per asset ``delta = V x weight / 100 - value``;
2. skip ``|delta| < min_trade_value``; sells: ``|delta| / price`` floored to the lot step and capped
   at the free balance (the whole free balance when the target is 0);
3. buys: ``delta / price`` floored, scaled down together to the worst-case cash after the sells;
4. every order must meet the market minimums at its limit price, and is split into the fewest nearly
   equal pieces that stay within ``max_trade_percent`` of ``V``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from trimtab.errors import PlanningError
from trimtab.markets import MarketRules
from trimtab.money import HUNDRED, ONE, ZERO, floor_to_step, fmt
from trimtab.planning.constraints import (
    buy_limit_price,
    exact_arithmetic,
    max_amount_within,
    rule_violation,
    sell_limit_price,
    smallest_order,
    split_amount,
)
from trimtab.planning.plan import Plan, PlannedOrder, SkippedTrade
from trimtab.portfolio import Snapshot
from trimtab.venues.port import Side

# The config accepts weights that sum to 100 within 0.01 (e.g. 3 x 33.33); whatever they miss stays in cash.
WEIGHT_SUM_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class PlannerSettings:
    """How the planner turns target gaps into orders.

    ``min_trade_value`` is in the quote currency (config ``min_trade_usd``): smaller trades are skipped.
    ``max_trade_percent`` caps each order at that share of the portfolio value, in (0, 100]; larger
    trades are split. ``slippage_percent`` sets the limit price: ``last x (1 -/+ slippage / 100)`` for
    sells/buys. ``sell_unlisted`` sells held assets that have no target instead of leaving them alone.
    ``allow_sells=False`` plans the buys only: the executor uses it to re-plan the buy leg from the real
    proceeds once the sells have filled (gaps on the sell side are then left alone, not reported again).
    """

    min_trade_value: Decimal
    max_trade_percent: Decimal
    slippage_percent: Decimal
    sell_unlisted: bool = False
    allow_sells: bool = True

    def __post_init__(self) -> None:
        if self.min_trade_value < 0:
            raise ValueError("min_trade_value must be >= 0")
        if not ZERO < self.max_trade_percent <= HUNDRED:
            raise ValueError("max_trade_percent must be in (0, 100]")
        if not ZERO <= self.slippage_percent < HUNDRED:
            raise ValueError("slippage_percent must be in [0, 100)")


def plan_rebalance(snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings) -> Plan:
    """The orders that move ``snapshot`` towards ``targets`` (percent per asset, summing to 100; the
    quote asset is cash and may have a target), sells first, and the trades that were skipped and why.

    Raises :class:`PlanningError` when a targeted asset has no price or market, or when the targets or
    the snapshot are invalid.

    Example: 0.1 BTC at 60000 and 4000 USDT (``V`` = 10000) with targets ``{"BTC": 50, "USDT": 50}``
    and slippage 0.5 % give one order: sell 0.01666 BTC (1000 / 60000 floored to the 0.00001 step) at
    a limit of 59700.
    """
    with exact_arithmetic():
        return _Planner(snapshot, targets, settings).plan()


@dataclass(frozen=True, slots=True)
class _Position:
    """One tradable (non-quote) managed asset."""

    asset: str
    rules: MarketRules
    price: Decimal
    weight: Decimal
    total: Decimal
    free: Decimal


@dataclass(frozen=True, slots=True)
class _Trade:
    """The total amount to trade in one asset, before splitting; ``value`` is at the last price."""

    position: _Position
    side: Side
    amount: Decimal
    limit: Decimal

    @property
    def value(self) -> Decimal:
        return self.amount * self.position.price


class _Planner:
    def __init__(self, snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.quote = snapshot.quote
        self.fee_rate = snapshot.fee_rate
        self.skipped: list[SkippedTrade] = []
        _check_snapshot(snapshot)
        self.positions = self._positions(_checked_targets(targets))
        self.value = snapshot.amount(self.quote) + sum((p.total * p.price for p in self.positions), ZERO)
        self.cap = self.value * settings.max_trade_percent / HUNDRED
        # Per asset (and limit price): computed once, asked for every trade and every split.
        self._max_pieces: dict[str, Decimal] = {}
        self._smallest: dict[tuple[str, Decimal], Decimal] = {}

    def plan(self) -> Plan:
        if self.value <= 0:
            return Plan((), tuple(self.skipped), self.value)
        sells: list[_Trade] = []
        buys: list[_Trade] = []
        for position in self.positions:
            delta = self.value * position.weight / HUNDRED - position.total * position.price
            if delta == 0:
                continue
            side = Side.SELL if delta < 0 else Side.BUY
            if side is Side.SELL and not self.settings.allow_sells:
                continue
            if abs(delta) < self.settings.min_trade_value:
                reason = f"is below the minimum trade value of {self._q(self.settings.min_trade_value)}"
                self._skip(position, side, abs(delta), reason)
                continue
            trade = self._sell(position, -delta) if side is Side.SELL else self._buy(position, delta)
            if trade is not None:
                (sells if side is Side.SELL else buys).append(trade)
        sells = self._split_all(sells)
        # Worst case: every sell fills exactly at its limit and pays the fee in quote.
        proceeds = sum((t.amount * t.limit * (ONE - self.fee_rate) for t in sells), ZERO)
        cash = self.snapshot.free(self.quote) + proceeds
        buys = self._split_all(self._fit_to_cash(buys, cash))
        return Plan(_legs(_ordered(sells) + _ordered(buys)), tuple(self.skipped), self.value)

    # --- the managed portfolio -------------------------------------------------------------------

    def _positions(self, targets: Mapping[str, Decimal]) -> list[_Position]:
        weights = {asset: weight for asset, weight in targets.items() if asset != self.quote}
        held = sorted(a for a, b in self.snapshot.balances.items() if b.total > 0 and a != self.quote)
        for asset in held:
            if asset in weights or not self.settings.sell_unlisted:
                continue  # unlisted holdings outside the managed portfolio are left alone
            problem = self._untradable(asset)
            if problem is None:
                weights[asset] = ZERO
            else:
                value = self.snapshot.amount(asset) * self.snapshot.prices.get(asset, ZERO)
                reason = f"{asset}: held without a target but {problem}; left alone"
                self.skipped.append(SkippedTrade(asset, Side.SELL, value, reason))
        positions = []
        for asset in sorted(weights):
            problem = self._untradable(asset)
            if problem is not None:
                raise PlanningError(f"{asset}: has a target weight but {problem}")
            positions.append(
                _Position(
                    asset=asset,
                    rules=self.snapshot.markets[asset],
                    price=self.snapshot.prices[asset],
                    weight=weights[asset],
                    total=self.snapshot.amount(asset),
                    free=self.snapshot.free(asset),
                )
            )
        return positions

    def _untradable(self, asset: str) -> str | None:
        """Why ``asset`` cannot be traded against the quote, or None."""
        market = f"{asset}/{self.quote}"
        price = self.snapshot.prices.get(asset)
        rules = self.snapshot.markets.get(asset)
        if price is None:
            return f"has no price in {self.quote}"
        if price <= 0:
            return f"has a non-positive price {fmt(price)}"
        if rules is None:
            return f"has no {market} market"
        if rules.base != asset or rules.quote != self.quote:
            return f"has market rules for {rules.symbol} instead of {market}"
        if rules.amount_step <= 0:
            return f"has no amount step in the {market} market rules"
        if rules.price_tick < 0:
            return f"has a negative price tick in the {market} market rules"
        return None

    # --- one asset -------------------------------------------------------------------------------

    def _sell(self, position: _Position, gap: Decimal) -> _Trade | None:
        step = position.rules.amount_step
        sellable = floor_to_step(position.free, step)
        # At target 0 the whole free balance goes: what is left is below one step, unsellable anyway.
        wanted = floor_to_step(position.total if position.weight == 0 else gap / position.price, step)
        amount = sellable if position.weight == 0 else min(wanted, sellable)
        limit = sell_limit_price(position.price, self.settings.slippage_percent, position.rules.price_tick)
        if amount <= 0:
            reason = (
                f"rounds down to 0 at the amount step of {fmt(step)} {position.asset}"
                if wanted <= 0
                else f"cannot be placed: only {fmt(position.free)} {position.asset} is free"
            )
            self._skip(position, Side.SELL, gap, reason)
            return None
        if limit <= 0:
            reason = (
                f"cannot be placed: the price is below the price tick of {fmt(position.rules.price_tick)}"
            )
            self._skip(position, Side.SELL, gap, reason, amount=amount)
            return None
        trade = _Trade(position, Side.SELL, amount, limit)
        return self._accepted(trade, gap)

    def _buy(self, position: _Position, gap: Decimal) -> _Trade | None:
        step = position.rules.amount_step
        amount = floor_to_step(gap / position.price, step)
        limit = buy_limit_price(position.price, self.settings.slippage_percent, position.rules.price_tick)
        if amount <= 0:
            reason = f"rounds down to 0 at the amount step of {fmt(step)} {position.asset}"
            self._skip(position, Side.BUY, gap, reason)
            return None
        return self._accepted(_Trade(position, Side.BUY, amount, limit), gap)

    def _accepted(self, trade: _Trade, gap: Decimal) -> _Trade | None:
        """``trade`` when the market and the settings accept it; else None, recorded as skipped with
        ``gap`` (the quote value that stays off target)."""
        reason = self._rejection(trade)
        if reason is None:
            return trade
        self._skip(trade.position, trade.side, gap, reason, amount=trade.amount)
        return None

    def _rejection(self, trade: _Trade) -> str | None:
        """Why ``trade`` cannot be placed as one or more orders, or None."""
        position = trade.position
        reason = rule_violation(position.rules, trade.amount, trade.limit)
        if reason is None and trade.value < self.settings.min_trade_value:
            reason = f"is below the minimum trade value of {self._q(self.settings.min_trade_value)}"
        if reason is None:
            smallest = self._smallest_order(position, trade.limit)
            if self._max_piece(position) < smallest:
                reason = (
                    f"cannot be placed: the order cap of {self._q(self.cap)} (max_trade_percent) is below "
                    f"the smallest order the market accepts, {fmt(smallest)} {position.asset}"
                )
        return reason

    def _max_piece(self, position: _Position) -> Decimal:
        """The largest amount of ``position`` one order may have under the order cap."""
        piece = self._max_pieces.get(position.asset)
        if piece is None:
            piece = max_amount_within(self.cap, position.price, position.rules.amount_step)
            self._max_pieces[position.asset] = piece
        return piece

    def _smallest_order(self, position: _Position, limit: Decimal) -> Decimal:
        key = (position.asset, limit)
        smallest = self._smallest.get(key)
        if smallest is None:
            smallest = self._smallest[key] = smallest_order(position.rules, limit)
        return smallest

    # --- buys against the cash -------------------------------------------------------------------

    def _need(self, trade: _Trade, amount: Decimal) -> Decimal:
        # A limit buy locks amount x limit; the fee reserve covers venues that charge buy fees in quote.
        return amount * trade.limit * (ONE + self.fee_rate)

    def _fit_to_cash(self, buys: list[_Trade], cash: Decimal) -> list[_Trade]:
        """Scale all buys down by one factor until their worst-case cash need fits ``cash``; buys that
        then fall under a minimum are dropped and the rest re-fitted (at most one round per buy)."""
        active = list(buys)
        while True:
            need = sum((self._need(t, t.amount) for t in active), ZERO)
            if need <= cash:
                return active
            with localcontext() as ctx:
                ctx.rounding = ROUND_FLOOR  # a factor rounded down keeps factor x need <= cash
                factor = max(cash, ZERO) / need
            amounts = [floor_to_step(t.amount * factor, t.position.rules.amount_step) for t in active]
            self._trim(active, amounts, cash)
            fitted: list[_Trade] = []
            for trade, amount in zip(active, amounts, strict=True):
                scaled = _Trade(trade.position, Side.BUY, amount, trade.limit)
                reason = self._rejection(scaled)
                if reason is None:
                    fitted.append(scaled)
                    continue
                # Report the buy we wanted; the reason names the scaled amount that failed.
                reason = (
                    f"is skipped: scaled down to {fmt(amount)} {trade.position.asset} to fit the "
                    f"{self._q(cash)} of cash after sells, "
                    + (f"it {reason}" if amount > 0 else "nothing is left")
                )
                self._skip(trade.position, Side.BUY, trade.value, reason, amount=trade.amount)
            if len(fitted) == len(active):
                return fitted
            kept = {t.position.asset for t in fitted}
            active = [t for t in active if t.position.asset in kept]

    def _trim(self, trades: list[_Trade], amounts: list[Decimal], cash: Decimal) -> None:
        """Take one step off the largest buy until the total need fits (the rounded-down factor makes
        this a safety net that exact arithmetic never needs)."""
        while sum((self._need(t, a) for t, a in zip(trades, amounts, strict=True)), ZERO) > cash:
            candidates = [i for i, a in enumerate(amounts) if a > 0]
            if not candidates:
                return
            largest = max(
                candidates, key=lambda i: (self._need(trades[i], amounts[i]), trades[i].position.asset)
            )
            amounts[largest] -= trades[largest].position.rules.amount_step

    # --- splitting -------------------------------------------------------------------------------

    def _split_all(self, trades: list[_Trade]) -> list[_Trade]:
        pieces: list[_Trade] = []
        for trade in trades:
            split = split_amount(
                trade.amount,
                trade.position.rules.amount_step,
                self._max_piece(trade.position),
                self._smallest_order(trade.position, trade.limit),
            )
            pieces.extend(_Trade(trade.position, trade.side, piece, trade.limit) for piece in split.pieces)
            if split.remainder > 0:
                remainder = trade.position.price * split.remainder
                reason = (
                    f"remains after splitting into {len(split.pieces)} orders within the order cap of "
                    f"{self._q(self.cap)}; it is below the smallest order the market accepts"
                )
                self._skip(trade.position, trade.side, remainder, reason, amount=split.remainder)
        return pieces

    # --- reporting -------------------------------------------------------------------------------

    def _skip(
        self, position: _Position, side: Side, value: Decimal, reason: str, amount: Decimal | None = None
    ) -> None:
        """Record a skipped trade: ``"ETH: sell of 0.00012 ETH (0.43 USDT) <reason>"``."""
        what = f"{fmt(amount)} {position.asset} ({self._q(value)})" if amount is not None else self._q(value)
        text = f"{position.asset}: {side.value} of {what} {reason}"
        self.skipped.append(SkippedTrade(position.asset, side, value, text))

    def _q(self, value: Decimal) -> str:
        """A quote amount for messages: ``0.43 USDT``."""
        return f"{_short(value)} {self.quote}"


def _short(value: Decimal) -> str:
    """Cents for ordinary amounts, two significant digits for tiny ones (messages only)."""
    if value.copy_abs() >= Decimal("0.01"):
        return fmt(value.quantize(Decimal("0.01")))
    return fmt(value) if value == 0 else f"{value:.2g}"


def _ordered(trades: list[_Trade]) -> list[_Trade]:
    # Largest value first, then by asset name; the sort is stable so equal pieces keep their order.
    return sorted(trades, key=lambda t: (-t.value, t.position.asset))


def _legs(trades: list[_Trade]) -> tuple[PlannedOrder, ...]:
    return tuple(
        PlannedOrder(
            leg=leg,
            asset=t.position.asset,
            symbol=t.position.rules.symbol,
            side=t.side,
            amount=t.amount,
            limit_price=t.limit,
            reference_price=t.position.price,
            value=t.value,
        )
        for leg, t in enumerate(trades)
    )


def _checked_targets(targets: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    for asset, weight in sorted(targets.items()):
        if not isinstance(weight, Decimal):
            raise PlanningError(f"{asset}: target weight {weight!r} is not a Decimal")
        if weight < 0:
            raise PlanningError(f"{asset}: target weight {fmt(weight)} is negative")
    total = sum(targets.values(), ZERO)
    if abs(total - HUNDRED) > WEIGHT_SUM_TOLERANCE:
        raise PlanningError(f"target weights sum to {fmt(total)}, not 100")
    return targets


def _check_snapshot(snapshot: Snapshot) -> None:
    if not ZERO <= snapshot.fee_rate < ONE:
        raise PlanningError(f"fee rate {fmt(snapshot.fee_rate)} is not in [0, 1)")
    for asset, balance in sorted(snapshot.balances.items()):
        if balance.free < 0 or balance.total < balance.free:
            raise PlanningError(
                f"{asset}: balance free {fmt(balance.free)} / total {fmt(balance.total)} is inconsistent"
            )

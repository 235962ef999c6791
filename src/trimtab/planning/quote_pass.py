"""One pass of the quote-only planner: the orders that move a portfolio to fixed target weights.

Steps, for the managed assets (the targets, the quote, and unlisted holdings when ``sell_unlisted``):

1. value ``V = sum(total x last price)``; per asset ``delta = V x weight / 100 - value``;
2. skip ``|delta| < min_trade_value``; sells: ``|delta| / price`` floored to the lot step and capped
   at the free balance (the whole free balance when the target is 0);
3. buys: ``delta / price`` floored, scaled down together to the worst-case cash after the sells;
4. every order must meet the market minimums at its limit price, and is split into the fewest nearly
   equal pieces that stay within ``max_trade_percent`` of ``V``.

Each trade not made is recorded with its reason. :func:`~trimtab.planning.planner.quote_plan` runs
passes until no sell pays for a buy that cannot be placed. The arithmetic is exact: the caller runs
it inside :func:`~trimtab.planning.constraints.exact_arithmetic`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal, localcontext

from trimtab.limits import MAX_PRICE, MIN_PRICE, interval
from trimtab.model.money import HUNDRED, ONE, ZERO, floor_to_step, fmt
from trimtab.model.orders import Side
from trimtab.model.portfolio import Snapshot
from trimtab.planning.constraints import buy_limit_price, rule_violation, sell_limit_price
from trimtab.planning.plan import Plan, SkippedTrade
from trimtab.planning.positions import Position, managed_positions, managed_value
from trimtab.planning.settings import PlannerSettings
from trimtab.planning.sized_trades import (
    SizedTrade,
    max_piece,
    ordered,
    planned_orders,
    split_trade,
    trade_terms,
)


class QuotePass:
    """One pass of the quote-only planner over fixed targets: the sized orders and the skipped trades.

    Holds the managed positions, the portfolio value ``V`` and the order cap worked out from the
    snapshot, the skipped trades so far and, in :attr:`unplaceable`, the buys no order could make
    (:func:`~trimtab.planning.planner.quote_plan` holds those assets and plans again)."""

    def __init__(self, snapshot: Snapshot, targets: Mapping[str, Decimal], settings: PlannerSettings) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.quote = snapshot.quote
        self.fee_rate = snapshot.fee_rate
        # see _need: a venue that takes a buy's fee from the asset received needs no reserve in the quote
        self.fee_reserve = ONE + self.fee_rate if snapshot.buy_fee_in_quote else ONE
        self.positions, self.skipped = managed_positions(
            snapshot, targets, sell_unlisted=settings.sell_unlisted
        )
        self.value = managed_value(snapshot, self.positions)
        self.cap = self.value * settings.max_trade_percent / HUNDRED
        self._max_pieces: dict[str, Decimal] = {}  # per asset, worked out only for orders above the cap
        # Buys wanted (a gap of at least min_trade_value) that no order could make, by asset.
        self.unplaceable: dict[str, SkippedTrade] = {}

    def plan(self, first_leg: int) -> Plan:
        """The plan of this pass, its orders' legs numbered from ``first_leg``."""
        if self.value <= 0:
            return Plan((), tuple(self.skipped), self.value)
        sells: list[SizedTrade] = []
        buys: list[SizedTrade] = []
        # Without buys_with_sells the buys wait until the sells are known: with sells they are not planned.
        later: list[tuple[int, Position, Decimal]] | None = None if self.settings.buys_with_sells else []
        min_trade_value, allow_sells = self.settings.min_trade_value, self.settings.allow_sells
        for position in self.positions:
            delta = self.value * position.weight / HUNDRED - position.total * position.price
            if delta == 0 or (delta < 0 and not allow_sells):
                continue
            side = Side.SELL if delta < 0 else Side.BUY
            if abs(delta) < min_trade_value:
                reason = f"is below the minimum trade value of {self._q(min_trade_value)}"
                self._skip(position, side, abs(delta), reason)
                continue
            if side is Side.SELL:
                trade = self._sell(position, -delta)
                if trade is not None:
                    sells.append(trade)
            elif later is not None:
                later.append((len(self.skipped), position, delta))
            else:
                trade = self._buy(position, delta)
                if trade is not None:
                    buys.append(trade)
        sells = self._split_all(sells)
        if later is not None:
            if sells:
                self._check_buys(later, sells)
                return Plan(planned_orders(ordered(sells), first_leg), tuple(self.skipped), self.value)
            buys = self._buys_in_order(later)
        buys = self._split_all(self._fit_to_cash(buys, self._cash_after(sells)))
        orders = planned_orders(ordered(sells) + ordered(buys), first_leg)
        return Plan(orders, tuple(self.skipped), self.value)

    def _cash_after(self, sells: list[SizedTrade]) -> Decimal:
        """The quote free once ``sells`` filled in the worst case: each exactly at its limit, fee in quote."""
        proceeds = sum((t.amount * t.terms.limit * (ONE - self.fee_rate) for t in sells), ZERO)
        return self.snapshot.free(self.quote) + proceeds

    def _buys_in_order(self, later: list[tuple[int, Position, Decimal]]) -> list[SizedTrade]:
        """The buys of ``(skipped count when met, position, gap)``, each skipped trade recorded where the
        loop in :meth:`plan` would have recorded it, so the plan is the one ``buys_with_sells`` makes."""
        buys: list[SizedTrade] = []
        moved = 0
        for at, position, gap in later:
            recorded = len(self.skipped)
            trade = self._buy(position, gap)
            if trade is not None:
                buys.append(trade)
            if len(self.skipped) > recorded:  # one entry at most: move it back to its place
                self.skipped.insert(at + moved, self.skipped.pop())
                moved += 1
        return buys

    def _check_buys(self, later: list[tuple[int, Position, Decimal]], sells: list[SizedTrade]) -> None:
        """Find the unplaceable buys of a plan whose buys wait for the sells, exactly as the full plan
        finds them (a buy scaled to the cash below a minimum included); nothing is recorded."""
        recorded = len(self.skipped)
        self._fit_to_cash(self._buys_in_order(later), self._cash_after(sells))
        del self.skipped[recorded:]

    # --- one asset -------------------------------------------------------------------------------

    def _absurd_price(self, position: Position, side: Side, gap: Decimal) -> bool:
        """Skip a trade at a price no market holds (a broken feed): a sell would give the asset away."""
        if MIN_PRICE <= position.price <= MAX_PRICE:
            return False
        reason = (
            f"cannot be placed: the price {position.price:.3g} is outside the range trimtab trades at, "
            f"{interval(MIN_PRICE, MAX_PRICE)} {self.quote}"
        )
        self._skip(position, side, gap, reason, unplaceable=True)
        return True

    def _sell(self, position: Position, gap: Decimal) -> SizedTrade | None:
        if self._absurd_price(position, Side.SELL, gap):
            return None
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
        if wanted > amount and position.weight > 0:  # locked or external holdings: say what stays
            short = wanted - amount
            held = f"only {fmt(position.free)} {position.asset} is free"
            outside = self.snapshot.external.get(position.asset)
            if outside:
                held += f" ({fmt(outside)} {position.asset} is held outside the exchange, never traded)"
            self._skip(position, Side.SELL, short * position.price, f"cannot be placed: {held}", amount=short)
        return self._accepted(position, Side.SELL, limit, amount, gap)

    def _buy(self, position: Position, gap: Decimal) -> SizedTrade | None:
        if self._absurd_price(position, Side.BUY, gap):
            return None
        step = position.rules.amount_step
        amount = floor_to_step(gap / position.price, step)
        limit = buy_limit_price(position.price, self.settings.slippage_percent, position.rules.price_tick)
        if amount <= 0:
            reason = f"rounds down to 0 at the amount step of {fmt(step)} {position.asset}"
            self._skip(position, Side.BUY, gap, reason, unplaceable=True)
            return None
        return self._accepted(position, Side.BUY, limit, amount, gap)

    def _accepted(
        self, position: Position, side: Side, limit: Decimal, amount: Decimal, gap: Decimal
    ) -> SizedTrade | None:
        """The trade of ``amount`` at ``limit`` when the market and the settings accept it; else None,
        recorded as skipped with ``gap`` (the quote value that stays off target)."""
        trade = SizedTrade(trade_terms(position, side, limit), amount, amount * position.price)
        reason = self._rejection(trade)
        if reason is None:
            return trade
        self._skip(position, side, gap, reason, amount=amount, unplaceable=True)
        return None

    def _rejection(self, trade: SizedTrade) -> str | None:
        """Why ``trade`` cannot be placed as one or more orders, or None."""
        terms = trade.terms
        largest = terms.largest
        if largest is not None and largest < terms.smallest:
            return (
                f"cannot be placed: the market's largest order, {fmt(largest)} {terms.position.asset}, is "
                f"below its smallest, {fmt(terms.smallest)}"
            )
        # Above the market's maximum the trade is split (see _max_piece): check one full piece.
        probe = trade.amount if largest is None else min(trade.amount, largest)
        reason = rule_violation(terms.position.rules, probe, terms.limit)
        if reason is None and trade.value < self.settings.min_trade_value:
            reason = f"is below the minimum trade value of {self._q(self.settings.min_trade_value)}"
        if reason is None and self._max_piece(trade) < terms.smallest:
            reason = (
                f"cannot be placed: the order cap of {self._q(self.cap)} (max_trade_percent) is below "
                f"the smallest order the market accepts, {fmt(terms.smallest)} {terms.position.asset}"
            )
        return reason

    def _max_piece(self, trade: SizedTrade) -> Decimal:
        """The largest amount one order of ``trade`` may have under the order cap (see :func:`max_piece`)."""
        return max_piece(trade, self.cap, self._max_pieces)

    # --- buys against the cash -------------------------------------------------------------------

    def _need(self, trade: SizedTrade, amount: Decimal) -> Decimal:
        # A limit buy locks amount x limit; the fee reserve covers venues that charge buy fees in quote.
        return amount * trade.terms.limit * self.fee_reserve

    def _fit_to_cash(self, buys: list[SizedTrade], cash: Decimal) -> list[SizedTrade]:
        """Scale all buys down by one factor until their worst-case cash need fits ``cash``; buys that
        then fall under a minimum are dropped and the rest re-fitted (at most one round per buy)."""
        active = list(buys)
        while True:
            need = sum((t.amount * t.terms.limit * self.fee_reserve for t in active), ZERO)  # see _need
            if need <= cash:
                return active
            with localcontext() as ctx:
                ctx.rounding = ROUND_FLOOR  # a factor rounded down keeps factor x need <= cash
                factor = max(cash, ZERO) / need
            amounts = [floor_to_step(t.amount * factor, t.terms.position.rules.amount_step) for t in active]
            self._trim(active, amounts, cash)
            fitted: list[SizedTrade] = []
            for trade, amount in zip(active, amounts, strict=True):
                scaled = SizedTrade(trade.terms, amount, amount * trade.terms.position.price)
                reason = self._rejection(scaled)
                if reason is None:
                    fitted.append(scaled)
                    continue
                # Report the buy we wanted; the reason names the scaled amount that failed.
                asset = trade.terms.position.asset
                reason = (
                    f"is skipped: scaled down to {fmt(amount)} {asset} to fit the {self._q(cash)} of cash "
                    "after sells, " + (f"it {reason}" if amount > 0 else "nothing is left")
                )
                self._skip(
                    trade.terms.position, Side.BUY, trade.value, reason, amount=trade.amount, unplaceable=True
                )
            if len(fitted) == len(active):
                return fitted
            kept = {t.terms.position.asset for t in fitted}
            active = [t for t in active if t.terms.position.asset in kept]

    def _trim(self, trades: list[SizedTrade], amounts: list[Decimal], cash: Decimal) -> None:
        """Take one step off the largest buy until the total need fits (the rounded-down factor makes
        this a safety net that exact arithmetic never needs)."""
        reserve = self.fee_reserve  # see _need
        while sum((a * t.terms.limit * reserve for t, a in zip(trades, amounts, strict=True)), ZERO) > cash:
            candidates = [i for i, a in enumerate(amounts) if a > 0]
            if not candidates:
                return
            largest = max(
                candidates, key=lambda i: (self._need(trades[i], amounts[i]), trades[i].terms.position.asset)
            )
            amounts[largest] -= trades[largest].terms.position.rules.amount_step

    # --- splitting -------------------------------------------------------------------------------

    def _split_all(self, trades: list[SizedTrade]) -> list[SizedTrade]:
        pieces: list[SizedTrade] = []
        for trade in trades:
            placed, remainder = split_trade(trade, self._max_piece(trade))
            pieces.extend(placed)
            if remainder > 0:
                position = trade.terms.position
                reason = (
                    f"remains after splitting into {len(placed)} orders within the order cap of "
                    f"{self._q(self.cap)}; it is below the smallest order the market accepts"
                )
                self._skip(position, trade.terms.side, position.price * remainder, reason, amount=remainder)
        return pieces

    # --- reporting -------------------------------------------------------------------------------

    def _skip(
        self,
        position: Position,
        side: Side,
        value: Decimal,
        reason: str,
        amount: Decimal | None = None,
        *,
        unplaceable: bool = False,
    ) -> None:
        """Record a skipped trade: ``"ETH: sell of 0.00012 ETH (0.43 USDT) <reason>"``. An
        ``unplaceable`` buy is one no order can make: no sell may be made to pay for it."""
        what = f"{fmt(amount)} {position.asset} ({self._q(value)})" if amount is not None else self._q(value)
        text = f"{position.asset}: {side.value} of {what} {reason}"
        skipped = SkippedTrade(position.asset, side, value, text)
        self.skipped.append(skipped)
        if unplaceable and side is Side.BUY:
            self.unplaceable.setdefault(position.asset, skipped)

    def _q(self, value: Decimal) -> str:
        """A quote amount for messages: ``0.43 USDT``."""
        return f"{_short(value)} {self.quote}"


def _short(value: Decimal) -> str:
    """Cents for ordinary amounts, two significant digits for tiny ones (messages only)."""
    if value.copy_abs() >= Decimal("0.01"):
        return fmt(value, 2)
    return fmt(value) if value == 0 else f"{value:.2g}"

"""Market rules: what a venue accepts for one trading pair (lot step, minimums, price tick)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trimtab.model.money import ZERO

#: The taker fee assumed wherever none is configured or published: 0.1 %, Binance spot without the
#: BNB discount (the paper venue, the backtest, the config's ``exchange.fee_rate``, and a ccxt exchange
#: that publishes no fee).
DEFAULT_FEE_RATE = Decimal("0.001")

#: The status of a market that accepts orders (see :attr:`MarketRules.status`).
TRADING = "trading"


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Trading rules of one spot market such as ``BTC/USDT``.

    ``amount_step`` is the lot step (Binance LOT_SIZE stepSize), ``min_amount`` the smallest order
    amount, ``min_notional`` the smallest ``amount * price`` in the quote currency and
    ``price_tick`` the price grid (0 means no grid). ``max_amount`` and ``max_notional`` are the
    largest order the market accepts (ccxt ``limits.amount.max`` and ``limits.cost.max``; None: no
    maximum): the planner splits a larger trade into several orders. ``status`` is what the venue says
    of the market: ``trading``, or ``halted`` / ``break`` / ``delisted`` (no orders accepted: the guards
    freeze the asset for the run). On a cross market (``ETH/BTC``) ``min_notional`` is in its own quote
    asset (BTC).
    """

    base: str
    quote: str
    amount_step: Decimal
    min_amount: Decimal
    min_notional: Decimal
    price_tick: Decimal = ZERO
    max_amount: Decimal | None = None
    max_notional: Decimal | None = None
    status: str = TRADING

    @property
    def trading(self) -> bool:
        """Whether the venue accepts orders on this market now."""
        return self.status == TRADING

    @property
    def symbol(self) -> str:
        """The ccxt-style symbol, e.g. ``BTC/USDT``."""
        return f"{self.base}/{self.quote}"


def symbol_of(base: str, quote: str) -> str:
    """The ccxt-style symbol of a pair: ``symbol_of("BTC", "USDT") == "BTC/USDT"``."""
    return f"{base}/{quote}"

"""Runs with fills in a real ledger, recorded the way the bot records them, for the tax tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from trimtab.ledger import LedgerStore
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot

ZERO = Decimal(0)

Order = tuple[str, Side, Sequence[Fill]]  # symbol, side, fills


def record_run(
    ledger: LedgerStore,
    orders: Sequence[Order],
    *,
    at: datetime,
    prices: Mapping[str, Decimal],
    venue: str = "paper",
    mode: str = "live",
    quote: str = "USDT",
) -> int:
    """A finished run on ``venue`` whose ``before`` snapshot has ``prices`` and whose orders filled
    with the given fills; returns its id."""
    run_id = ledger.start_run(
        command="rebalance", venue=venue, mode=mode, forced=False, started_at=at, config_digest="test"
    )
    snapshot = Snapshot(
        quote=quote,
        balances={asset: Balance(Decimal(1), Decimal(1)) for asset in prices},
        prices=prices,
        markets={},
        fee_rate=ZERO,
        taken_at=at,
    )
    ledger.record_snapshot(run_id, "before", snapshot, dict.fromkeys(prices, ZERO), {}, ZERO)
    for leg, (symbol, side, fills) in enumerate(orders):
        filled = sum((fill.amount for fill in fills), ZERO)
        result = OrderResult(
            client_order_id=f"tt-{venue}-{run_id}-{leg}",
            exchange_order_id=f"{run_id}{leg}",
            symbol=symbol,
            side=side,
            amount=filled,
            limit_price=fills[0].price,
            status=OrderStatus.CLOSED,
            filled=filled,
            fills=tuple(fills),
        )
        ledger.record_order(run_id, result, at)
    ledger.finish_run(run_id, "completed", at)
    return run_id

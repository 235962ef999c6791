"""A ledger with many past runs, written through the ledger's own API before a portfolio is served:
what a dashboard meets after a year of hourly checks.

The runs are on venue ``archive`` (not the paper venue the config trades on), so the paper account's
agreement with the ledger is not affected; every 10th completed run has two orders with fills (fees in
the quote and in the base asset), the others are skipped, and every 25th failed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from trimtab.app.portfolio_home import open_ledger
from trimtab.config import load_config
from trimtab.model.orders import Fill, OrderResult, OrderStatus, Side
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.policy.base import Decision

START = datetime(2024, 1, 1, tzinfo=UTC)
PRICES = {"BTC": Decimal(60000), "ETH": Decimal(3000)}
TARGETS = {"BTC": Decimal(50), "ETH": Decimal(40), "USDT": Decimal(10)}


def _snapshot(at: datetime, step: int) -> Snapshot:
    prices = {asset: price + step for asset, price in PRICES.items()}
    balances = {"BTC": Balance(Decimal("0.1"), Decimal("0.1")), "ETH": Balance(Decimal(2), Decimal(2))}
    balances["USDT"] = Balance(Decimal(1500), Decimal(1500))
    return Snapshot(
        quote="USDT", balances=balances, prices=prices, markets={}, fee_rate=Decimal("0.001"), taken_at=at
    )


def fill_ledger(config_path: Path, runs: int) -> int:
    """Write ``runs`` past runs (hourly from 2024-01-01) into the ledger of ``config_path``; returns how
    many were completed (the rest skipped or failed)."""
    config = load_config(config_path)
    completed = 0
    with open_ledger(config, config_path) as store:
        for index in range(runs):
            at = START + timedelta(hours=index)
            run_id = store.start_run(
                command="run", venue="archive", mode="live", forced=False, started_at=at, config_digest="busy"
            )
            if index % 25 == 24:
                store.finish_run(
                    run_id, "failed", at + timedelta(seconds=2), "temporary: the exchange timed out"
                )
                continue
            snapshot = _snapshot(at, index)
            weights = {"BTC": Decimal(45), "ETH": Decimal(45), "USDT": Decimal(10)}
            total = sum((snapshot.value(a) for a in snapshot.balances), Decimal(0))
            store.record_snapshot(run_id, "before", snapshot, weights, TARGETS, total)
            trades = index % 10 == 0
            reason = "threshold: ETH is 5 points over its target" if trades else "threshold: inside the band"
            store.record_decision(run_id, Decision(trades, reason), TARGETS)
            if trades:
                for leg, (symbol, side, fee_asset) in enumerate(
                    [("ETH/USDT", Side.SELL, "USDT"), ("BTC/USDT", Side.BUY, "BTC")]
                ):
                    price = snapshot.prices[symbol.split("/")[0]]
                    fill = Fill(
                        price=price,
                        amount=Decimal("0.01"),
                        fee=Decimal("0.00001"),
                        fee_asset=fee_asset,
                        timestamp=at,
                    )
                    result = OrderResult(
                        client_order_id=f"tt-archive-{run_id}-{leg}",
                        exchange_order_id=f"{run_id}{leg}",
                        symbol=symbol,
                        side=side,
                        amount=fill.amount,
                        limit_price=price,
                        status=OrderStatus.CLOSED,
                        filled=fill.amount,
                        fills=(fill,),
                    )
                    store.record_order(run_id, result, at)
                store.record_snapshot(run_id, "after", snapshot, weights, TARGETS, total - Decimal(1))
                completed += 1
                store.finish_run(run_id, "completed", at + timedelta(seconds=5))
            else:
                store.finish_run(run_id, "skipped", at + timedelta(seconds=1))
    return completed

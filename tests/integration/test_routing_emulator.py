"""Cheapest routing through ccxt on the loopback Binance exchange: the whole bot (config -> build_bot ->
rebalance -> ledger) on an account with BTC over target and ETH under, ETH/BTC listed. With
``routing: cheapest`` it trades ETH/BTC directly, lands within 0.25 points of target and pays less in fees
than the same rebalance through USDT; the ledger agrees with the exchange either way."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator
from bot_helpers import DOCUMENTED_RISK, rebalance_on

from trimtab.app.service import RunOutcome

pytestmark = pytest.mark.usefixtures("emulator_keys")

D = Decimal
#: BTC 60000 (66.7 %), ETH 30000 (33.3 %) at the emulator's prices, against 50 / 50.
BALANCES = {"BTC": "1", "ETH": "10"}
TARGETS = {"BTC": D(50), "ETH": D(50)}


async def rebalance(folder: Path, routing: str) -> tuple[RunOutcome, Decimal]:
    """One rebalance on a fresh emulator holding :data:`BALANCES`: its outcome and the fees the exchange
    charged, valued in USDT at its prices."""
    async with BinanceEmulator(balances=BALANCES) as emulator:
        outcome = await rebalance_on(
            emulator,
            folder,
            targets={"BTC": 50, "ETH": 50},
            rebalancing={"routing": routing},
            risk=DOCUMENTED_RISK,
        )
        usd = {"BTC": D(60000), "ETH": D(3000), "USDT": D(1)}
        charged = sum(
            (f.commission * usd[f.commission_asset] for o in emulator.orders() for f in o.fills), D(0)
        )
        return outcome, charged


def worst_drift(outcome: RunOutcome) -> Decimal:
    assert outcome.after is not None
    return max(abs(outcome.after.weights[a] - t) for a, t in TARGETS.items())


async def test_cheapest_routing_trades_eth_btc_on_the_exchange_and_pays_less(tmp_path: Path) -> None:
    cheapest, cheapest_fees = await rebalance(tmp_path / "cheapest", "cheapest")
    quote, quote_fees = await rebalance(tmp_path / "quote", "quote")
    assert cheapest.status == quote.status == "completed"
    assert "ETH/BTC" in {r.symbol for r in cheapest.results if r.filled > 0}
    assert "ETH/BTC" not in {r.symbol for r in quote.results}
    assert worst_drift(cheapest) <= D("0.25")
    assert worst_drift(quote) <= D("0.25")
    assert cheapest_fees < quote_fees
    assert cheapest.fees_value == cheapest_fees  # what the bot reports is what the exchange charged
    assert cheapest.quote_route_fees is not None
    assert cheapest.quote_route_fees > cheapest.fees_value

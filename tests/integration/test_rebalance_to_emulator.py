"""``rebalancing.rebalance_to: band_edge`` through ccxt on the loopback Binance exchange: the whole bot (config
-> build_bot -> rebalance -> ledger) on the drifted account of :mod:`bot_helpers` (BTC 72 %, ETH 24 %, USDT 4 %
against BTC 40 / ETH 30 / SOL 15 / BNB 10 / USDT 5, a 5-point band). Every asset ends inside its band, BTC at
its edge, for less turnover than a rebalance to target; the ledger agrees with the exchange."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator
from bot_helpers import DOCUMENTED_RISK, DRIFTED, TARGETS, rebalance_on

from trimtab.app.service import RunOutcome

pytestmark = pytest.mark.usefixtures("emulator_keys")

D = Decimal
BAND = D(5)
#: How far inside its edge an asset sold to it ends: the planner aims inside by the fees the run pays
#: (fee rate x the points traded, here about 0.05), so that they cannot lift it past the edge.
HAIR = D("0.1")


async def rebalance(folder: Path, rebalance_to: str) -> RunOutcome:
    """One rebalance on a fresh emulator holding the drifted account; the ledger checked against it."""
    async with BinanceEmulator(balances=DRIFTED) as emulator:
        rebalancing = {"threshold_percent": int(BAND), "rebalance_to": rebalance_to}
        return await rebalance_on(emulator, folder, rebalancing=rebalancing, risk=DOCUMENTED_RISK)


async def test_band_edge_ends_every_asset_inside_its_band_for_less_turnover(tmp_path: Path) -> None:
    band_edge = await rebalance(tmp_path / "band_edge", "band_edge")
    to_target = await rebalance(tmp_path / "target", "target")
    assert band_edge.status == to_target.status == "completed"
    assert band_edge.after is not None
    after = band_edge.after.weights
    for asset, target in TARGETS.items():
        assert abs(after.get(asset, D(0)) - target) <= BAND, f"{asset} at {after.get(asset)}"
    # BTC sold to its edge (45 %), not to its target; the cash it raised is shared among the assets
    # under target (each past its band) once the quote is at the top of its own band
    assert TARGETS["BTC"] + BAND - HAIR <= after["BTC"] <= TARGETS["BTC"] + BAND
    assert abs(after["USDT"] - 10) <= HAIR
    # turnover: BTC 27 points sold and 21 bought against 32 sold and 31 bought (plus the fills' rounding)
    traded = [sum((r.cost for r in o.results), D(0)) for o in (band_edge, to_target)]
    assert traded[0] < D("0.8") * traded[1]

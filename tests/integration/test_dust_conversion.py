"""Dust on real ccxt binance against the emulator: swept into BNB when BNB is a target, else left and reported.

The drifted account (see ``bot_helpers``) also holds 10 DOGE at 0.30 USDT: 3 USDT, below DOGE/USDT's
5 USDT minimum order, and not a target: dust. Binance converts it into BNB (``POST /sapi/v1/asset/dust``,
2 % charged) once the run's orders are done, and the conversion is in the ledger's tax history.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from binance_emulator import DEFAULT_MARKETS, BinanceEmulator, EmuMarket, make_binance
from bot_helpers import DRIFTED, D, emulator_bot, emulator_config
from emulator_models import DEFAULT_PRICES

from trimtab.app.documents import run_report
from trimtab.tax.model import EventType
from trimtab.venues.ccxt_venue import CcxtVenue

DOGE = EmuMarket(
    "DOGEUSDT", "DOGE", "USDT", step_size="1", min_qty="1", tick_size="0.00001", min_notional="5"
)


pytestmark = pytest.mark.usefixtures("emulator_keys")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    """The drifted account with 10 DOGE of dust."""
    async with BinanceEmulator(
        balances={**DRIFTED, "DOGE": "10"},
        markets=(*DEFAULT_MARKETS, DOGE),
        prices={**DEFAULT_PRICES, "DOGEUSDT": "0.3"},
    ) as emu:
        yield emu


def dust_requests(emulator: BinanceEmulator) -> list[str]:
    return [r.path for r in emulator.requests if r.path.startswith("/sapi/v1/asset/dust")]


async def test_dust_is_converted_into_bnb_when_bnb_is_a_target(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    bot = await emulator_bot(emulator_config(tmp_path, emulator.base_url))  # targets BNB at 10 %
    try:
        before = await bot.portfolio()
        outcome = await bot.rebalance()
        events = bot.parts.ledger.tax_events()
    finally:
        await bot.close()

    assert list(before.dust) == ["DOGE"]
    assert "DOGE" not in before.assets
    assert outcome.results
    assert all(r.symbol != "DOGE/USDT" for r in outcome.results)
    assert outcome.dust_sweep is not None
    assert outcome.dust_sweep.error is None
    conversion = outcome.dust_sweep.conversion
    assert conversion is not None
    assert conversion.into == "BNB"
    # 3 USDT of DOGE is 0.005 BNB at 600; Binance keeps 2 %.
    [doge] = conversion.converted
    assert (doge.asset, doge.amount, doge.received, doge.fee) == ("DOGE", D(10), D("0.0049"), D("0.0001"))
    assert dust_requests(emulator) == ["/sapi/v1/asset/dust-btc", "/sapi/v1/asset/dust"]
    assert emulator.balance("DOGE") == (0, 0)
    assert outcome.after is not None
    assert outcome.after.dust == {}
    # The tax side: DOGE disposed of for what was received, BNB acquired, priced in USD (USDT counts as USD).
    assert [(e.type, e.asset, e.amount, e.value) for e in events] == [
        (EventType.SELL, "DOGE", D(10), D("2.94")),
        (EventType.BUY, "BNB", D("0.0049"), D("2.94")),
    ]
    report = run_report(outcome)["dust_conversion"]
    assert report["into"] == "BNB"
    assert report["converted"][0]["asset"] == "DOGE"


async def test_dust_is_left_and_reported_when_bnb_is_not_a_target(
    emulator: BinanceEmulator, tmp_path: Path
) -> None:
    path = emulator_config(tmp_path, emulator.base_url)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["portfolio"]["target_weights"] = {"BTC": 50, "ETH": 40, "USDT": 10}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    bot = await emulator_bot(path)
    try:
        outcome = await bot.rebalance()
    finally:
        await bot.close()

    assert outcome.results  # the run traded ...
    assert outcome.dust_sweep is None  # ... but converting into an untargeted BNB would only make new dust
    assert dust_requests(emulator) == []
    assert emulator.balance("DOGE") == (D(10), 0)
    assert outcome.after is not None
    assert list(outcome.after.dust) == ["DOGE"]
    assert run_report(outcome)["after"]["dust"]["DOGE"]["amount"] == "10"


async def test_the_venue_converts_several_assets_at_once_and_names_those_left() -> None:
    balances = {**DRIFTED, "DOGE": "10", "SOL": "0.01"}  # SOL: 1.50 USDT, dust too
    prices = {**DEFAULT_PRICES, "DOGEUSDT": "0.3"}
    async with BinanceEmulator(balances=balances, markets=(*DEFAULT_MARKETS, DOGE), prices=prices) as emu:
        venue = CcxtVenue(make_binance(emu.base_url), quote="USDT")
        try:
            conversion = await venue.convert_dust(["DOGE", "SOL", "ETH"])  # ETH: 6000 USDT, not dust
        finally:
            await venue.close()

        assert venue.dust_conversion_asset() == "BNB"
        converted = [(c.asset, c.received) for c in conversion.converted]
        assert converted == [("DOGE", D("0.0049")), ("SOL", D("0.00245"))]
        assert conversion.left == {"ETH": "binance does not offer to convert it"}
        [request] = [r for r in emu.requests if r.path == "/sapi/v1/asset/dust"]
        assert request.params["asset"] == "DOGE,SOL"  # sent as asset=DOGE&asset=SOL
        assert emu.balance("SOL") == (0, 0)

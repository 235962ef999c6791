"""Fixtures for the loopback Binance emulator: a fresh, running emulator per test and real ccxt clients on it.

pytest runs with ``--import-mode=importlib`` and the test folders have no ``__init__.py``, so this folder is put
on ``sys.path`` here; test modules then ``import binance_emulator`` like any module.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import ccxt.async_support as ccxt_async
import pytest
import pytest_asyncio

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from binance_emulator import BinanceEmulator, make_binance  # noqa: E402 (needs the sys.path entry above)
from bot_helpers import KEY, KEY_ENV, SECRET, SECRET_ENV, Sleeps, emulator_bot, emulator_config  # noqa: E402

from trimtab.app.service import Bot  # noqa: E402

MakeExchange = Callable[..., Awaitable[ccxt_async.binance]]


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    """A started emulator with the default markets, prices and balances (10000 USDT, 0.5 BTC)."""
    async with BinanceEmulator() as emu:
        yield emu


@pytest.fixture
def emulator_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's API key and secret in the environment, where a bot's config names them (a module
    that builds bots asks for it with ``pytestmark = pytest.mark.usefixtures("emulator_keys")``)."""
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture
def config(tmp_path: Path, emulator: BinanceEmulator) -> Path:
    """The bot config :func:`bot_helpers.emulator_config` writes for ``emulator`` (keys from ``emulator_keys``)."""
    return emulator_config(tmp_path, emulator.base_url)


@pytest.fixture
def sleeps() -> Sleeps:
    """What the bot's read retries were asked to wait (they return at once)."""
    return Sleeps()


@pytest_asyncio.fixture
async def bot(config: Path, sleeps: Sleeps) -> AsyncIterator[Bot]:
    """The bot of ``config`` on the emulator (:func:`bot_helpers.emulator_bot`), closed after the test."""
    bot = await emulator_bot(config, sleeps)
    yield bot
    await bot.close()


@pytest_asyncio.fixture
async def make_exchange(emulator: BinanceEmulator) -> AsyncIterator[MakeExchange]:
    """Build real ccxt clients on ``emulator`` (keyword arguments go to ``make_binance``); markets loaded
    unless ``load_markets=False``. All are closed after the test."""
    clients: list[ccxt_async.binance] = []

    async def make(*, load_markets: bool = True, **kwargs: object) -> ccxt_async.binance:
        client = make_binance(emulator.base_url, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        if load_markets:
            await client.load_markets()
        return client

    yield make
    for client in clients:
        await client.close()


@pytest_asyncio.fixture
async def exchange(make_exchange: MakeExchange) -> ccxt_async.binance:
    """A ccxt binance client on the emulator with markets loaded (2 s timeout)."""
    return await make_exchange()

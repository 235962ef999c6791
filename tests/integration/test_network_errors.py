"""A failed connection says so: which host, which operation (the one that really failed) and why — against
a closed loopback port, a host name that does not resolve (``.invalid`` never leaves the machine), a
stalled and a dropped connection on the emulator."""

from __future__ import annotations

import pytest
from binance_emulator import BinanceEmulator

from trimtab.errors import TemporaryVenueError
from trimtab.venues.ccxt_factory import make_exchange
from trimtab.venues.ccxt_venue import CcxtVenue


async def no_sleep(_seconds: float) -> None:
    return None


def venue_at(api_url: str, *, timeout_ms: int = 2000) -> CcxtVenue:
    exchange = make_exchange(
        "binance",
        api_key="emu-key",
        secret="emu-secret",
        sandbox=False,
        api_url=api_url,
        timeout_ms=timeout_ms,
        rate_limit=False,
    )
    return CcxtVenue(exchange, quote="USDT", attempts=2, sleep=no_sleep)


async def failure_of_balances(venue: CcxtVenue) -> str:
    try:
        with pytest.raises(TemporaryVenueError) as caught:
            await venue.fetch_balances()
    finally:
        await venue.close()
    return str(caught.value)


async def closed_port_url() -> str:
    emulator = BinanceEmulator()
    await emulator.start()
    url = emulator.base_url
    await emulator.stop()
    return url


async def test_a_closed_port_names_the_host_the_market_load_and_the_refusal() -> None:
    url = await closed_port_url()
    message = await failure_of_balances(venue_at(url))
    host = url.removeprefix("http://")
    assert message.startswith(
        f"connection to {host} failed during load_markets for fetch_balance (GET /api/v3/exchangeInfo): "
        "connection refused"
    )
    assert "check the network connection" in message


async def test_a_host_that_does_not_resolve_says_dns() -> None:
    message = await failure_of_balances(venue_at("https://nonexistent.invalid"))
    assert message.startswith(
        "connection to nonexistent.invalid failed during load_markets for fetch_balance "
        "(GET /api/v3/exchangeInfo): the host name does not resolve (DNS lookup failed)"
    )


async def test_once_markets_are_loaded_the_failing_call_is_named(emulator: BinanceEmulator) -> None:
    venue = venue_at(emulator.base_url, timeout_ms=300)
    await venue.fetch_markets("USDT", ["BTC"])
    emulator.add_fault("timeout", path="/api/v3/account", times=5, arg=1.0)
    message = await failure_of_balances(venue)
    host = emulator.base_url.removeprefix("http://")
    assert message.startswith(
        f"connection to {host} failed during fetch_balance (GET /api/v3/account): no answer within the timeout"
    )
    assert "signature" not in message  # the signed query is not part of the message


async def test_a_dropped_connection_says_the_server_closed_it(emulator: BinanceEmulator) -> None:
    emulator.add_fault("disconnect", path="/api/v3/exchangeInfo", times=10)
    message = await failure_of_balances(venue_at(emulator.base_url))
    assert "failed during load_markets for fetch_balance (GET /api/v3/exchangeInfo)" in message
    assert "the server closed the connection without answering" in message


async def test_an_answered_error_is_not_called_a_connection_failure(emulator: BinanceEmulator) -> None:
    emulator.add_fault("http503", path="/api/v3/exchangeInfo", times=10)
    message = await failure_of_balances(venue_at(emulator.base_url))
    assert "connection to" not in message
    assert message.startswith("load_markets for fetch_balance failed:")

"""``trimtab --debug`` as a real process on the loopback emulator never prints the API key, the secret or a
request signature, whatever fails: authentication, the network, an order. And ccxt's own verbose and debug
log lines, written to a redacting stream, lose them too."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from binance_emulator import BinanceEmulator, make_binance
from bot_helpers import DRIFTED, emulator_config

from trimtab.redaction import RedactingStream, register_secret

pytestmark = pytest.mark.slow  # real ccxt round trips, retries and timeouts against the emulator

KEY = "tTkEyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
SECRET = "tTsEcReTzYxWvUtSrQpOnMlKjIhGfEdCbA9876543210"


def trimtab_command() -> list[str]:
    executable = Path(sys.executable).parent / "trimtab"
    if executable.exists():
        return [str(executable)]
    found = shutil.which("trimtab")
    return [found] if found else [sys.executable, "-m", "trimtab"]


async def run_trimtab(*args: str, secret: str = SECRET) -> tuple[int, str]:
    """Run ``trimtab ARGS --debug`` with the keys in the environment; the exit code and stdout + stderr."""
    env = {**os.environ, "TRIMTAB_API_KEY": KEY, "TRIMTAB_API_SECRET": secret, "COLUMNS": "200"}
    process = await asyncio.create_subprocess_exec(
        *trimtab_command(),
        *args,
        "--debug",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode() + stderr.decode()


def signatures(emulator: BinanceEmulator) -> list[str]:
    found = [r.params["signature"] for r in emulator.requests if r.params.get("signature")]
    assert found, "the scenario must have sent signed requests"
    return found


def assert_nothing_secret(output: str, emulator: BinanceEmulator, *, secret: str = SECRET) -> None:
    assert KEY not in output
    assert secret not in output
    leaked = [s for s in signatures(emulator) if s in output]
    assert not leaked, f"request signatures printed: {leaked}"


@pytest.fixture
async def emu() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(api_key=KEY, secret=SECRET, balances=DRIFTED) as emulator:
        yield emulator


async def test_an_authentication_failure_prints_no_key_secret_or_signature(
    emu: BinanceEmulator, tmp_path: Path
) -> None:
    wrong = "wRoNgSeCrEt" + SECRET[11:]
    code, output = await run_trimtab(
        "status", "-c", str(emulator_config(tmp_path, emu.base_url)), secret=wrong
    )
    assert code == 1
    assert "Traceback" in output
    assert "AuthenticationError" in output
    assert_nothing_secret(output, emu, secret=wrong)


async def test_a_timeout_prints_no_signature_although_ccxt_put_the_signed_url_in_its_error(
    emu: BinanceEmulator, tmp_path: Path
) -> None:
    emu.add_fault("timeout", path="/api/v3/account", times=20, arg=1.0)
    code, output = await run_trimtab("status", "-c", str(emulator_config(tmp_path, emu.base_url)))
    assert code == 1
    assert "RequestTimeout: binance GET" in output  # ccxt's message with the URL is in the traceback ...
    assert "signature=***" in output  # ... signed, and redacted
    assert "connection to 127.0.0.1" in output
    assert_nothing_secret(output, emu)


async def test_a_dropped_connection_prints_no_key_or_signature(emu: BinanceEmulator, tmp_path: Path) -> None:
    emu.add_fault("disconnect", path="/api/v3/account", times=20)
    code, output = await run_trimtab("status", "-c", str(emulator_config(tmp_path, emu.base_url)))
    assert code == 1
    assert "the server closed the connection" in output
    assert_nothing_secret(output, emu)


async def test_an_order_failure_prints_no_key_secret_or_signature(
    emu: BinanceEmulator, tmp_path: Path
) -> None:
    emu.add_fault("http500", path="/api/v3/order", times=200)
    code, output = await run_trimtab(
        "rebalance", "--force", "-c", str(emulator_config(tmp_path, emu.base_url))
    )
    assert code == 1
    assert "could not be placed or found" in output
    assert any(r.method == "POST" and r.path == "/api/v3/order" for r in emu.requests)
    assert_nothing_secret(output, emu)


async def test_a_closed_port_prints_no_key(tmp_path: Path) -> None:
    emulator = BinanceEmulator(api_key=KEY, secret=SECRET)
    await emulator.start()
    base_url = emulator.base_url
    await emulator.stop()  # nothing listens there any more
    code, output = await run_trimtab("status", "-c", str(emulator_config(tmp_path, base_url)))
    assert code == 1
    assert "connection refused" in output
    assert KEY not in output
    assert SECRET not in output


async def test_ccxt_verbose_and_debug_log_lines_are_redacted(emu: BinanceEmulator) -> None:
    register_secret(KEY, SECRET)  # what assembly.build_venue does when it reads the keys
    captured = io.StringIO()
    stream = RedactingStream(captured)
    exchange = make_binance(emu.base_url, api_key=KEY, secret=SECRET)
    exchange.verbose = True  # ccxt prints every request with its headers, and logs them at DEBUG
    handler = logging.StreamHandler(stream)  # type: ignore[arg-type]
    logger = logging.getLogger("ccxt")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(stream):  # type: ignore[type-var]
            await exchange.fetch_balance()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        await exchange.close()
    stream.flush()
    output = captured.getvalue()
    assert "X-MBX-APIKEY" in output  # the headers were printed ...
    assert "signature=***" in output
    assert_nothing_secret(output, emu)  # ... without the key or the signature

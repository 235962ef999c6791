"""What a command imports before it does anything: `trimtab --help` and the paper backtest start
without the exchange client, the database, the HTML report or the config's own libraries.

Each case runs in a fresh interpreter (a real process), runs the command line the way the `trimtab`
script does, and lists the heavy packages left in ``sys.modules``. Timings are bench/bench_startup.py's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# Imported only by the commands that need them (ccxt, aiohttp: real exchanges; SQLAlchemy, Alembic: the
# ledger; plotly: --report; yaml: loading a config; numpy: backtests). pydantic too, but typer itself
# imports it to check a subcommand's options, `backtest --help` included.
# apprise (notifications) only when a config names a notification URL.
NEVER_FOR_HELP = ("ccxt", "aiohttp", "sqlalchemy", "alembic", "plotly", "yaml", "numpy", "apprise")
# asyncio neither: a backtest's replay never waits, it runs without an event loop.
NEVER_FOR_A_BACKTEST = ("ccxt", "aiohttp", "sqlalchemy", "alembic", "plotly", "asyncio")

PROBE = """
import json, sys
from trimtab.cli.main import app
try:
    app(sys.argv[1:], prog_name="trimtab")
except SystemExit as stop:
    code = stop.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules} | {n for n in sys.modules if n.startswith("trimtab.")})
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "modules": loaded}) + "\\n")
"""


def imported_by(*args: str, cwd: Path | None = None) -> tuple[object, set[str]]:
    """The exit code of ``trimtab ARGS`` in a fresh interpreter and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("PROBE "))
    result = json.loads(line.removeprefix("PROBE "))
    return result["code"], set(result["modules"])


def test_importing_the_command_line_imports_no_heavy_package() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys, trimtab.cli.main; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    heavy = {*NEVER_FOR_HELP, "pydantic"}
    assert not loaded & heavy, sorted(loaded & heavy)


def test_the_top_level_help_does_not_import_pydantic() -> None:
    code, loaded = imported_by("--help")
    assert code == 0
    assert "pydantic" not in loaded


@pytest.mark.parametrize(
    "args",
    [("--help",), ("backtest", "--help"), ("tax", "--help"), ("tax", "report", "--help"), ("--version",)],
)
def test_help_imports_no_heavy_package(args: tuple[str, ...]) -> None:
    code, loaded = imported_by(*args)
    assert code == 0
    assert not loaded & set(NEVER_FOR_HELP), sorted(loaded & set(NEVER_FOR_HELP))
    assert not {m for m in loaded if m.startswith(("trimtab.ledger", "trimtab.app.service", "trimtab.tax."))}


def test_a_paper_backtest_imports_neither_the_ledger_nor_the_exchange_client(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config = write_config(
        "portfolio:\n  target_weights: {BTC: 50, ETH: 50}\n"
        "rebalancing: {strategy: threshold, threshold_percent: 5, min_trade_usd: 0}\n"
    )
    code, loaded = imported_by("backtest", "-c", str(config), "--start", "2024-01-01", cwd=tmp_path)
    assert code == 0
    assert "numpy" in loaded  # it did run the backtest
    assert not loaded & set(NEVER_FOR_A_BACKTEST), sorted(loaded & set(NEVER_FOR_A_BACKTEST))
    assert not {m for m in loaded if m.startswith(("trimtab.ledger", "trimtab.tax."))}

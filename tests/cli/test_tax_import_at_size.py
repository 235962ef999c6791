"""``trimtab tax import`` streams: memory does not grow with the file (measured with tracemalloc, in
process, on real files and real SQLite ledgers), and a bad last row of a large file imports nothing."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trimtab.cli.main import app
from trimtab.errors import ConfigError
from trimtab.ledger import LedgerStore
from trimtab.tax.import_checks import check_file
from trimtab.tax.importer import read_events

runner = CliRunner()
HEADER = "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n"
SMALL, LARGE = 8_000, 40_000


def write_history(path: Path, rows: int, *, last: str = "") -> Path:
    """``rows`` distinct rows in two wallets' blocks (so not in time order), 2019 onwards; ``last``
    replaces the last row."""
    lines = []
    for i in range(rows):
        wallet, n = ("kraken", i - rows // 2) if i >= rows // 2 else ("binance", i)
        minutes = n * 37
        day, minute = divmod(minutes, 1440)
        stamp = f"2019-01-01T{minute // 60:02d}:{minute % 60:02d}:{i % 60:02d}Z"
        stamp = f"{2019 + day // 336}-{1 + day % 336 // 28:02d}-{1 + day % 28:02d}" + stamp[10:]
        kind, fee = ("sell", f"{i % 97}.5,USD") if i % 4 == 3 else ("buy", f"0.0000{i % 89 + 10},ETH")
        lines.append(f"{stamp},{wallet},{kind},ETH,0.{i + 1:06d},{1000 + i % 1300}.{i % 100:02d},{fee}\n")
    if last:
        lines[-1] = last
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def peak_of_import(config: Path, history: Path) -> int:
    """Peak traced bytes of one ``tax import`` of ``history`` (into a ledger of its own)."""
    tracemalloc.start()
    try:
        code, out, err = invoke("tax", "import", str(history), "-c", str(config), "--json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0, err
    assert json.loads(out)["imported"] == sum(1 for _ in history.open()) - 1
    return peak


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(write_config: Callable[..., Path], tmp_path: Path) -> None:
    configs = {}
    for name in ("warm", "small", "large"):
        (tmp_path / name).mkdir()
        configs[name] = write_config(name=f"{name}/trimtab.yaml")
    # A first import loads the modules the command imports lazily, so neither measure counts them.
    peak_of_import(configs["warm"], write_history(tmp_path / "warm.csv", 100))
    small = peak_of_import(configs["small"], write_history(tmp_path / "small.csv", SMALL))
    large = peak_of_import(configs["large"], write_history(tmp_path / "large.csv", LARGE))

    tracemalloc.start()
    try:
        events = read_events(tmp_path / "small.csv", report_currency="USD")
        held = tracemalloc.get_traced_memory()[0] * LARGE // SMALL  # what a list of all the events holds
    finally:
        tracemalloc.stop()
    assert len(events) == SMALL

    assert large < 1.5 * small, (small, large)  # five times the rows, not five times the memory
    assert large < held / 3, (large, held)


def test_a_large_file_whose_last_row_is_bad_imports_nothing(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config = write_config()
    good = write_history(tmp_path / "good.csv", 100)
    assert invoke("tax", "import", str(good), "-c", str(config))[0] == 0
    bad_row = "2024-02-01T12:00:00Z,coinbase,buy,ETH,1,3000,,\n".replace(",buy,", ",bye,")
    history = write_history(tmp_path / "bad.csv", SMALL + 1, last=bad_row)

    code, out, err = invoke("tax", "import", str(history), "-c", str(config))

    assert (code, out) == (2, "")
    assert err.strip() == f"error: {history}:{SMALL + 2}: type: expected buy, sell or fee, got 'bye'"
    with LedgerStore.open(f"sqlite:///{config.parent / 'data' / 'ledger.db'}") as ledger:
        assert len(ledger.tax_events()) == 100  # what was there before, and nothing of the bad file


def test_a_file_changed_between_the_check_and_the_import_imports_nothing(tmp_path: Path) -> None:
    history = write_history(tmp_path / "h.csv", 3_000)
    checked = check_file(history, report_currency="USD", day_zone=None, now=datetime.now(UTC))
    assert (checked.rows, checked.first.year) == (3_000, 2019)
    with history.open("a", encoding="utf-8") as more:  # a row no check has seen
        more.write("2019-01-01T00:00:00Z,binance,buy,ETH,0.000001,1000.00,,\n")

    with LedgerStore.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        with pytest.raises(ConfigError, match="the file changed while it was imported; import it again"):
            ledger.record_tax_events(
                checked.events(), source=str(history), report_currency="USD", imported_at=datetime.now(UTC)
            )
        assert ledger.tax_events() == []

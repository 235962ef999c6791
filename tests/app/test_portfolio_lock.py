"""The portfolio lock itself: one holder at a time, a named holder, takeover after death, all or none.

flock locks belong to an open file, not to a process, so two :class:`PortfolioLock` objects in this one
process exclude each other exactly as two processes do; the real processes are in
tests/cli/test_portfolio_lock_processes.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from configs import yaml_config

from trimtab.app.portfolio_home import hold_portfolio
from trimtab.app.portfolio_lock import (
    LOCK_FILE_NAME,
    Holder,
    PortfolioLock,
    holder_path,
    lock_paths,
    read_holder,
)
from trimtab.config import load_config
from trimtab.errors import PortfolioBusy

SINCE = datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC)


def lock(folder: Path, command: str = "rebalance", **kwargs: float) -> PortfolioLock:
    return PortfolioLock(lock_paths([folder]), command, clock=lambda: SINCE, **kwargs)


def test_a_second_holder_is_refused_with_the_first_named(tmp_path: Path) -> None:
    with lock(tmp_path, "run"), pytest.raises(PortfolioBusy) as refused:
        lock(tmp_path, "rebalance").acquire()
    message = str(refused.value)
    assert "\n" not in message
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message
    assert "since 2026-03-01 09:30:05 UTC" in message
    assert "`trimtab run`" in message
    assert str(tmp_path.resolve() / LOCK_FILE_NAME) in message
    assert refused.value.exit_code == 75


def test_the_lock_is_free_again_once_released_and_its_file_stays(tmp_path: Path) -> None:
    first = lock(tmp_path)
    first.acquire()
    lock_file = tmp_path / LOCK_FILE_NAME
    assert read_holder(lock_file) == Holder(os.getpid(), socket.gethostname(), "rebalance", SINCE)
    first.release()
    first.release()  # idempotent
    assert lock_file.exists(), "the locked file is never deleted (a new one could be locked twice)"
    assert not holder_path(lock_file).exists(), "no record of a holder that is gone"
    with lock(tmp_path, "tax harvest --execute"):
        assert read_holder(lock_file) is not None
        assert read_holder(lock_file).command == "tax harvest --execute"  # type: ignore[union-attr]


def test_a_stale_record_of_a_dead_process_does_not_block(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    (tmp_path / LOCK_FILE_NAME).touch()
    stale = Holder(dead_pid, socket.gethostname(), "run", SINCE)
    holder_path(tmp_path / LOCK_FILE_NAME).write_text(stale.to_json(), encoding="utf-8")
    assert not stale.is_running()
    with lock(tmp_path, "rebalance"):
        record = read_holder(tmp_path / LOCK_FILE_NAME)
        assert record is not None
        assert (record.pid, record.command) == (os.getpid(), "rebalance")


def test_a_holder_that_has_not_written_its_record_is_still_refused(tmp_path: Path) -> None:
    with lock(tmp_path):
        holder_path(tmp_path / LOCK_FILE_NAME).unlink()  # as if between taking the lock and writing it
        with pytest.raises(PortfolioBusy, match="another process \\(it has not said which\\)"):
            lock(tmp_path, holder_wait=0.05).acquire()


def test_a_garbled_record_is_not_believed(tmp_path: Path) -> None:
    for text in (
        "",
        "{",
        "[]",
        '{"pid": "x"}',
        json.dumps({"pid": 1, "host": "h", "command": "c", "since": "2026-01-01"}),
    ):
        assert Holder.from_json(text) is None, text


def test_the_lock_is_all_or_none_over_several_folders(tmp_path: Path) -> None:
    data, ledger = tmp_path / "data", tmp_path / "ledger"
    with lock(ledger, "run"):
        both = PortfolioLock(lock_paths([data, ledger]), "rebalance", holder_wait=0.05)
        with pytest.raises(PortfolioBusy):
            both.acquire()
        assert not both.held
        with lock(data):  # the folder taken first was given back when the second one was refused
            pass


def test_folders_reached_by_different_paths_share_one_lock(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    assert lock_paths([real, tmp_path / "alias", tmp_path / "x" / ".." / "real"]) == (
        real.resolve() / LOCK_FILE_NAME,
    )
    with lock(tmp_path / "alias"), pytest.raises(PortfolioBusy):
        lock(real, holder_wait=0.05).acquire()


def test_a_child_process_does_not_inherit_the_lock(tmp_path: Path) -> None:
    first = lock(tmp_path)
    first.acquire()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        first.release()
        with lock(tmp_path):  # the child still runs, yet the lock is free
            pass
    finally:
        child.kill()
        child.wait()


def config_text(data_dir: Path | str, database_url: str | None = None) -> str:
    return yaml_config(
        weights={"BTC": 60, "USDT": 40},
        rebalancing=None,
        data_dir=str(data_dir),
        exchange={"name": "paper", "balances": {"USDT": 1000}, "prices": "2024-12-31"},
        top=None if database_url is None else {"database_url": database_url},
    )


def test_configs_sharing_a_data_dir_or_a_sqlite_ledger_share_the_lock(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    shared = tmp_path / "shared"
    one = write_config(config_text(shared), "one.yaml")
    (tmp_path / "elsewhere").mkdir()
    two = tmp_path / "elsewhere" / "two.yaml"
    two.write_text(config_text("../shared"), encoding="utf-8")
    ledger = tmp_path / "ledgers" / "book.db"
    three = write_config(config_text(tmp_path / "own", f"sqlite:///{ledger}"), "three.yaml")
    four = write_config(config_text(tmp_path / "mine", f"sqlite:///{ledger}"), "four.yaml")
    with (
        hold_portfolio(load_config(one), one, "run"),
        pytest.raises(PortfolioBusy, match="`trimtab run`"),
        hold_portfolio(load_config(two), two, "rebalance"),
    ):
        pass
    with hold_portfolio(load_config(three), three, "run"):
        with (
            pytest.raises(PortfolioBusy, match=str(ledger.parent / LOCK_FILE_NAME)),
            hold_portfolio(load_config(four), four, "rebalance"),
        ):
            pass
        with hold_portfolio(load_config(one), one, "rebalance"):  # another portfolio: not blocked
            pass

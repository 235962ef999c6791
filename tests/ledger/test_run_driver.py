"""Which process drove each run (``runs.driver``, revision 0006): this process by default, as
``"<command> pid <pid> on <host>"``, or the name given; runs recorded before the revision have none."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from old_ledgers import ledger_at
from sqlalchemy import create_engine, inspect

from trimtab.app.documents import summary_report
from trimtab.ledger import LedgerStore
from trimtab.ledger.driver_lock import process_driver
from trimtab.ledger.migrate import alembic_config, current_revision, head_revision

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _start(ledger: LedgerStore, driver: str | None = None) -> int:
    return ledger.start_run(
        command="run",
        venue="paper",
        mode="live",
        forced=False,
        started_at=T0,
        config_digest="d",
        driver=driver,
    )


def test_a_run_names_this_process_as_its_driver_by_default(ledger: LedgerStore) -> None:
    run_id = _start(ledger)
    expected = f"run pid {os.getpid()} on {socket.gethostname()}"
    assert process_driver("run") == expected
    [summary] = ledger.list_runs()
    assert summary.driver == expected
    detail = ledger.run_detail(run_id)
    assert detail is not None
    assert detail.summary.driver == expected
    assert summary_report(summary)["driver"] == expected  # history --json and the API's run read


def test_a_given_driver_is_kept_and_cut_to_the_columns_width(ledger: LedgerStore) -> None:
    _start(ledger, "serve pid 7 on worker-2")
    _start(ledger, "x" * 300)
    assert [r.driver for r in ledger.list_runs()] == ["x" * 200, "serve pid 7 on worker-2"]


def test_migrating_a_0005_ledger_keeps_its_runs_without_a_driver(db_path: Path, db_url: str) -> None:
    db_path.parent.mkdir(parents=True)  # the SQLite variant's folder
    assert "driver" not in ledger_at(db_url, "0005")

    with LedgerStore.open(db_url) as ledger:  # migrates to head
        [old] = ledger.list_runs()
        assert (old.command, old.driver) == ("rebalance", None)
        _start(ledger, "serve pid 1 on a")
        assert [r.driver for r in ledger.list_runs()] == ["serve pid 1 on a", None]

    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == head_revision() == "0006"
    finally:
        engine.dispose()


def test_downgrading_to_0005_drops_the_column_and_keeps_the_runs(db_url: str) -> None:
    with LedgerStore.open(db_url) as ledger:
        _start(ledger)
    command.downgrade(alembic_config(db_url), "0005")
    engine = create_engine(db_url)
    try:
        assert "driver" not in {c["name"] for c in inspect(engine).get_columns("runs")}
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM runs").scalar_one() == 1
    finally:
        engine.dispose()

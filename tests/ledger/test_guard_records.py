"""The guards' records in the ledger: the findings of a run, in order; a crash starts one hold per asset,
which lasts until resumed; a resumed hold is found again only when asked for recent resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trimtab.errors import LedgerError
from trimtab.ledger import LedgerStore
from trimtab.ledger.records import GuardFinding, GuardHold, GuardKind

T0 = datetime(2025, 3, 1, tzinfo=UTC)
CRASH = GuardFinding(GuardKind.CRASH, "SOL", "SOL fell 42 % in 24 h")
HALT = GuardFinding(GuardKind.MARKET, "ETH", "ETH/USDT is halted on paper: ETH is frozen for this run")


def start(ledger: LedgerStore, at: datetime = T0) -> int:
    return ledger.start_run(
        command="rebalance", venue="paper", mode="live", forced=False, started_at=at, config_digest="x"
    )


def test_findings_are_recorded_per_run_and_a_crash_holds_its_asset_once(ledger: LedgerStore) -> None:
    first, second = start(ledger), start(ledger, T0 + timedelta(hours=1))
    ledger.record_guards(first, [HALT, CRASH], T0)
    ledger.record_guards(second, [CRASH], T0 + timedelta(hours=1))  # already held: no second hold
    assert ledger.guard_findings(first) == [HALT, CRASH]
    assert ledger.guard_findings(second) == [CRASH]
    assert ledger.guard_holds() == [GuardHold("SOL", "SOL fell 42 % in 24 h", T0, first)]


def test_a_resumed_hold_ends_and_a_new_crash_holds_again(ledger: LedgerStore) -> None:
    run = start(ledger)
    ledger.record_guards(run, [CRASH], T0)
    resumed_at = T0 + timedelta(days=1)
    assert ledger.resume_guard_hold("ETH", resumed_at) == []
    [ended] = ledger.resume_guard_hold("SOL", resumed_at)
    assert ended.resumed_at == resumed_at
    assert ledger.guard_holds() == []
    assert [h.asset for h in ledger.guard_holds(resumed_since=resumed_at)] == ["SOL"]
    assert ledger.guard_holds(resumed_since=resumed_at + timedelta(seconds=1)) == []
    later = start(ledger, T0 + timedelta(days=5))
    ledger.record_guards(later, [CRASH], T0 + timedelta(days=5))
    assert [(h.asset, h.run_id) for h in ledger.guard_holds()] == [("SOL", later)]


def test_recording_for_a_run_that_does_not_exist_fails_in_one_line(ledger: LedgerStore) -> None:
    with pytest.raises(LedgerError, match="run 99 does not exist"):
        ledger.record_guards(99, [CRASH], T0)

"""The paper account against the ledger: which differences are a disagreement, and how each is told."""

from __future__ import annotations

from decimal import Decimal

from trimtab.execution.agreement import RESET_HINT, disagreement

A, B, C = "tt-1-250101120000-0", "tt-1-250101120000-1", "tt-2-250102120000-0"


def told(
    on_venue: set[str] | dict[str, Decimal],
    recorded: set[str] | dict[str, Decimal],
    journaled: frozenset[str] = frozenset(),
) -> str | None:
    """``disagreement`` with ids standing for orders that filled 1."""
    venue = on_venue if isinstance(on_venue, dict) else dict.fromkeys(on_venue, Decimal(1))
    ledger = recorded if isinstance(recorded, dict) else dict.fromkeys(recorded, Decimal(1))
    return disagreement(venue, ledger, journaled, account="data/paper-venue.json", ledger="sqlite:///l.db")


def test_the_same_orders_on_both_sides_agree() -> None:
    assert told({A, B}, {A, B}) is None
    assert told(set(), set()) is None


def test_an_order_an_open_run_journaled_but_did_not_record_yet_is_not_a_disagreement() -> None:
    """The venue executed it and the ledger write failed: the run's resume records it."""
    assert told({A, B}, {A}, frozenset({A, B})) is None


def test_a_deleted_account_is_told_with_the_count_the_ledger_holds() -> None:
    message = told(set(), {A, B})
    assert message is not None
    assert message.startswith("the paper account data/paper-venue.json holds no orders, but the ledger")
    assert "records 2 orders on it (the account file was deleted or replaced)" in message
    assert message.endswith(RESET_HINT)
    assert "`trimtab reset`" in message


def test_an_emptied_ledger_is_told_with_the_count_the_account_holds() -> None:
    message = told({A}, set())
    assert message is not None
    assert (
        "holds 1 order that the ledger sqlite:///l.db has no record of (the ledger was emptied or replaced)"
        in (message)
    )


def test_a_ledger_of_another_account_names_an_example_on_each_side() -> None:
    message = told({A, B}, {A, C})
    assert message is not None
    assert (
        "disagree: 1 order only in the ledger (e.g. tt-2-250102120000-0), 1 order only in the account"
        in message
    )


def test_the_same_ids_filled_differently_are_a_disagreement() -> None:
    message = told({A: Decimal("0.5"), B: Decimal(1)}, {A: Decimal("0.25"), B: Decimal(1)})
    assert message is not None
    assert (
        "disagree: 1 order filled differently (e.g. tt-1-250101120000-0: 0.25 in the ledger, 0.5 in"
        in message
    )


def test_an_open_run_may_not_have_recorded_the_final_fill_yet() -> None:
    assert told({A: Decimal("0.5")}, {A: Decimal("0.25")}, frozenset({A})) is None


def test_an_order_journaled_by_an_open_run_does_not_excuse_one_missing_from_the_account() -> None:
    assert told({A}, {A, B}, frozenset({B})) is not None


def test_every_message_is_one_line() -> None:
    for message in (told(set(), {A}), told({A}, set()), told({A}, {B})):
        assert message is not None
        assert "\n" not in message

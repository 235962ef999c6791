"""Does the venue's account agree with the ledger? Checked before anything trades.

A real exchange is the truth and the executor reconciles with it order by order. The paper account is
two files, its state (``paper-venue.json``) and the ledger, and either can be deleted, emptied or
replaced behind trimtab's back: the account then starts again from the configured balances while the
ledger remembers trades it no longer holds (or the other way round), and a rebalance would place the
same orders again without a word. Both keep every order by its client order id with its filled amount,
so comparing the two is exact and cheap (two columns of the ledger, the state already in memory).

An order the venue has and the ledger lacks is expected in one case: an unfinished run whose ledger
write failed after the venue executed the order. It is journaled in the ledger's plan, and the run's
resume records it; such orders are not a disagreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Decimal
from pathlib import Path
from typing import Protocol, runtime_checkable

from trimtab.model.money import fmt

RESET_HINT = (
    "restore the file that was lost, or start the paper account and the ledger over with `trimtab reset` "
    "(it archives both)"
)


@runtime_checkable
class RemembersOrders(Protocol):
    """A venue that keeps every order it ever executed, in a file: the paper venue."""

    name: str

    @property
    def state_path(self) -> Path | None: ...

    def executed_orders(self) -> dict[str, Decimal]: ...


class RecordsOrders(Protocol):
    """The ledger, as far as this check needs it (:class:`~trimtab.ledger.store.LedgerStore`)."""

    @property
    def where(self) -> str: ...

    def recorded_orders(self, venue: str) -> tuple[dict[str, Decimal], frozenset[str]]: ...


def account_disagreement(venue: object, ledger: RecordsOrders) -> str | None:
    """One line saying how the venue's account and the ledger disagree, or None when they agree (or
    the venue is a real exchange, or a paper account kept in memory only, with nothing to compare)."""
    if not isinstance(venue, RemembersOrders) or venue.state_path is None:
        return None
    recorded, journaled = ledger.recorded_orders(venue.name)
    account = str(venue.state_path) + ("" if venue.state_path.exists() else " (missing)")
    return disagreement(venue.executed_orders(), recorded, journaled, account=account, ledger=ledger.where)


def disagreement(
    on_venue: Mapping[str, Decimal],
    recorded: Mapping[str, Decimal],
    journaled: Set[str],
    *,
    account: str,
    ledger: str,
) -> str | None:
    """Compare the account's orders (``on_venue``: filled amount by client order id) with those the ledger
    ``recorded``; venue orders ``journaled`` by an unfinished run await their record, not a disagreement."""
    only_ledger = recorded.keys() - on_venue.keys()
    only_venue = on_venue.keys() - recorded.keys() - journaled
    unequal = {cid for cid in recorded.keys() & on_venue.keys() - journaled if recorded[cid] != on_venue[cid]}
    if not only_ledger and not only_venue and not unequal:
        return None
    if only_ledger and not on_venue:
        what = (
            f"the paper account {account} holds no orders, but the ledger {ledger} records "
            f"{_orders(len(recorded))} on it (the account file was deleted or replaced)"
        )
    elif only_venue and not recorded:
        what = (
            f"the paper account {account} holds {_orders(len(only_venue))} that the ledger {ledger} has no "
            "record of (the ledger was emptied or replaced)"
        )
    else:
        parts = [
            f"{_orders(len(ids))} only in {where} (e.g. {min(ids)})"
            for ids, where in ((only_ledger, "the ledger"), (only_venue, "the account"))
            if ids
        ]
        if unequal:
            cid = min(unequal)
            parts.append(
                f"{_orders(len(unequal))} filled differently (e.g. {cid}: {fmt(recorded[cid])} in the ledger, "
                f"{fmt(on_venue[cid])} in the account)"
            )
        what = f"the paper account {account} and the ledger {ledger} disagree: {', '.join(parts)}"
    return f"{what}; trimtab will not trade on it: {RESET_HINT}"


def _orders(count: int) -> str:
    return f"{count} order{'s' if count != 1 else ''}"

"""The records behind :class:`~trimtab.tax.lots.LotBook`: each open lot once, per asset and wallet, with
the heaps that give its orders (:mod:`trimtab.tax.lot_index`), kept up to date as lots come and go.

:class:`LotRegister` is the book's base: it adds, retires and counts open lots, answers whether a
wallet holds an amount, and makes the heap an order asks for. The book's operations (sales,
transfers, previews) are in :mod:`trimtab.tax.lots`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, getcontext

from trimtab.model.money import ZERO
from trimtab.tax.lot_index import Entry, FifoIndex, FifoMerge, HifoIndex, LotIndex, MinTaxIndex, id_key
from trimtab.tax.lot_orders import StandingOrder
from trimtab.tax.model import Lot

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_ONE = Decimal(1)


@dataclass(slots=True)
class _Wallet:
    """One wallet's open lots of one asset: a FIFO heap (the lots' register and their FIFO order), how
    many are open, and their units added up exactly."""

    lots: FifoIndex
    live: int = 0
    units: Decimal = ZERO


@dataclass(slots=True)
class _Asset:
    """The open lots of one asset: per wallet, and the heaps of the other orders (by wallet, None
    for every wallet, and order), made when a sale first asks for them."""

    wallets: dict[str, _Wallet] = field(default_factory=dict)
    live: int = 0
    indexes: dict[tuple[str | None, object], LotIndex] = field(default_factory=dict)

    @property
    def fifo_only(self) -> bool:
        """Whether every heap over the asset is keyed first in, first out (none on the unit cost)."""
        return all(kind == "fifo" for _, kind in self.indexes)


Pair = tuple[Entry, Lot]  # an open lot's entry and the piece of it a sale consumes


class LotRegister:
    """Open lots per asset and wallet, and the heaps over them (see the module docstring)."""

    def __init__(self) -> None:
        self._assets: dict[str, _Asset] = {}
        self._next_id = 1
        self._sub_ids: dict[str, int] = {}
        self._seq = 0

    def held(self, asset: str, wallet: str | None = None) -> Decimal:
        """Units of ``asset`` in ``wallet`` (every wallet when None)."""
        total = ZERO
        wallets = self._assets[asset].wallets if asset in self._assets else {}
        for w, held in wallets.items():
            if wallet in (None, w):
                for entry in sorted(held.lots.entries(), key=lambda entry: entry.seq):
                    assert entry.lot is not None
                    total += entry.lot.amount
        return total

    @staticmethod
    def _rest(lot: Lot, amount: Decimal, cost: Decimal) -> Lot:
        return Lot(
            lot.lot_id,
            lot.asset,
            lot.wallet,
            EXACT.subtract(lot.amount, amount),
            EXACT.subtract(lot.cost, cost),
            lot.acquired,
        )

    def _wallet(self, asset: str, wallet: str) -> _Wallet:
        held = self._assets.get(asset)
        if held is None:
            held = self._assets[asset] = _Asset()
        lots = held.wallets.get(wallet)
        if lots is None:
            lots = held.wallets[wallet] = _Wallet(FifoIndex())
        return lots

    def _entries(self, asset: str, wallet: str | None) -> Iterator[Entry]:
        """The open lots' entries of ``asset`` in ``wallet`` (every wallet when None), in no order."""
        held = self._assets.get(asset)
        for w, lots in held.wallets.items() if held is not None else ():
            if wallet in (None, w):
                yield from lots.lots.entries()

    def _put(self, lot: Lot, idkey: tuple[int, ...] | None = None) -> None:
        """A lot entering its wallet: it goes after the lots already there."""
        self._seq += 1
        self._register(Entry(lot, self._seq, idkey if idkey is not None else id_key(lot.lot_id)))

    def _register(self, entry: Entry) -> None:
        lot = entry.lot
        assert lot is not None
        held = self._assets.get(lot.asset)
        lots = held.wallets.get(lot.wallet) if held is not None else None
        if lots is None:
            lots = self._wallet(lot.asset, lot.wallet)
            held = self._assets[lot.asset]
        assert held is not None
        lots.lots.push(entry)
        lots.live += 1
        lots.units = EXACT.add(lots.units, lot.amount)
        held.live += 1
        for (scope, _), index in held.indexes.items():
            if scope is None or scope == lot.wallet:
                index.push(entry)

    def _shrink(self, entry: Entry, rest: Lot) -> None:
        """Replace the open lot of ``entry`` by ``rest``, a part of it (same id, time and wallet).

        Where every heap over the asset is keyed first in, first out, the rest keeps the entry and its
        heap items (their keys do not depend on the amount). A HIFO or min-tax heap is keyed on the unit
        cost, which the rest may have in other last digits: then the entry is retired and the rest
        registered under the same place, as a new entry."""
        lot = entry.lot
        assert lot is not None
        held = self._assets[lot.asset]
        if held.fifo_only:
            lots = held.wallets[lot.wallet]
            lots.units = EXACT.add(EXACT.subtract(lots.units, lot.amount), rest.amount)
            entry.lot = rest
            return
        self._retire(entry)
        self._register(Entry(rest, entry.seq, entry.idkey))

    def _retire(self, entry: Entry) -> None:
        lot = entry.lot
        assert lot is not None
        entry.lot = None
        held = self._assets[lot.asset]
        lots = held.wallets[lot.wallet]
        lots.live -= 1
        lots.units = EXACT.subtract(lots.units, lot.amount)
        held.live -= 1

    def _covers(self, asset: str, wallet: str, amount: Decimal) -> bool:
        """Whether ``wallet`` holds ``amount`` or more, as :meth:`held` would say.

        The running total is exact, while :meth:`held` adds up in the context's precision: each of
        its additions may round by half a unit in the last place. Only when ``amount`` is closer to
        the total than all those roundings together could be is :meth:`held` asked instead."""
        held = self._assets.get(asset)
        lots = held.wallets.get(wallet) if held is not None else None
        if lots is None:
            return amount <= 0
        units = lots.units
        if units:
            bound = _ONE.scaleb(units.adjusted() - getcontext().prec + 2) * lots.live
            if abs(EXACT.subtract(units, amount)) > bound:
                return amount <= units
        return amount <= self.held(asset, wallet)

    def _index(self, asset: str, scope: str | None, order: StandingOrder) -> LotIndex:
        """The heap giving ``order`` over ``asset`` in wallet ``scope`` (every wallet when None), made
        the first time it is asked for, then kept up to date.

        A history walks in time order, and the US pools change from every wallet to per wallet once
        (2025): a heap over every wallet is dropped when a per-wallet one of the same order is made,
        and the other way round, so that the book does not keep up heaps it no longer reads."""
        if order.kind == "fifo":  # each wallet's own heap; every wallet: those heaps, merged
            if scope is not None:
                return self._wallet(asset, scope).lots
            pool = self._assets.get(asset)
            return FifoMerge(lots.lots for lots in pool.wallets.values()) if pool else FifoIndex()
        kind: object = (order.kind, order.zone) if order.kind == "min-tax" else order.kind
        if scope is not None:
            self._wallet(asset, scope)
        held = self._assets.setdefault(asset, _Asset())
        index = held.indexes.get((scope, kind))
        if index is None:
            for other_scope, other_kind in list(held.indexes):
                if other_kind == kind and (other_scope is None) != (scope is None):
                    del held.indexes[other_scope, other_kind]
            entries = self._entries(asset, scope)
            if order.kind == "hifo":
                index = HifoIndex(entries)
            else:
                assert order.zone is not None
                index = MinTaxIndex(order.zone, entries)
            held.indexes[scope, kind] = index
        return index

    def _take(self, pairs: list[Pair], index: LotIndex | None) -> list[Lot]:
        """Take each planned piece out of the open lot it came from; returns the pieces."""
        for entry, piece in pairs:
            lot = entry.lot
            assert lot is not None
            if piece.amount != lot.amount:  # the rest keeps the lot's place
                self._shrink(entry, self._rest(lot, piece.amount, piece.cost))
            else:
                self._retire(entry)
        if index is not None:
            index.settle()
        return [piece for _, piece in pairs]

    def _settle(self, asset: str) -> None:
        """Rebuild the heaps of ``asset`` that hold many more dead items than open lots."""
        held = self._assets.get(asset)
        if held is None:
            return
        for lots in held.wallets.values():
            if lots.lots.needs_rebuild(lots.live):
                lots.lots.rebuild(lots.lots.entries())
        for (scope, _), index in held.indexes.items():
            live = held.live if scope is None else held.wallets[scope].live
            if index.needs_rebuild(live):
                index.rebuild(self._entries(asset, scope))


def moved(lot: Lot, wallet: str) -> Lot:
    return Lot(lot.lot_id, lot.asset, wallet, lot.amount, lot.cost, lot.acquired)


def place(entry: Entry) -> tuple[object, ...]:
    """An open lot's place in :meth:`LotBook.open_lots`: asset, acquisition time, id, wallet, and its
    place in the wallet."""
    lot = entry.lot
    assert lot is not None
    return (lot.asset, lot.acquired, entry.idkey, lot.wallet, entry.seq)


def lots_of(entries: Sequence[Entry]) -> Iterator[Lot]:
    for entry in entries:
        assert entry.lot is not None
        yield entry.lot


def where(asset: str, wallet: str, when: datetime | None, line: int) -> str:
    at = f" at {when.isoformat()}" if when is not None else ""
    src = f" (line {line})" if line else ""
    return f"{asset} from wallet {wallet!r}{at}{src}"

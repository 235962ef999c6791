"""The HIFO and min-tax orders of the cost walk's open pieces (:mod:`trimtab.tax.cost_walk`).

They are :class:`~trimtab.tax.lot_index.HifoIndex` and :class:`~trimtab.tax.lot_index.MinTaxIndex`
over :class:`~trimtab.tax.piece_tree.Piece` records instead of the book's entries, and give the same
order. The difference: a piece moves between wallets (the US universal pool's hand-over) without a new
heap item, so an item's key is only ``(-unit cost, acquisition time, lot number)``; the book's last
tie-breaks, the wallet and the place in it, only ever separate pieces of one lot (same time and
number), and are read from the piece when a walk meets such a tie (:func:`fifo_tail`).

An item is ``(-unit cost, acquired, lot number, piece, version)``; it stands for its piece while the
piece's ``version`` is the item's (a piece consumed or changed gets a new one).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from trimtab.tax.dates import local_date, us_anniversary
from trimtab.tax.piece_tree import Piece, locate

Item = tuple[Any, ...]  # (-unit cost, acquired, number, piece, version) [+ anniversary when short-term]


def fifo_tail(item: Item) -> tuple[Any, ...]:
    """The FIFO part of the book's key: acquisition time, lot id, wallet, place in the wallet."""
    strand, rank = locate(item[3])
    return (item[1], item[2], strand.wallet, rank)


def _place(item: Item) -> tuple[str, int]:
    strand, rank = locate(item[3])
    return (strand.wallet, rank)


class CostOrder:
    """Highest unit cost first, ties first in, first out (:data:`~trimtab.tax.lots.hifo`)."""

    factor = 1.5  # compacted when it holds more than this many items per open piece

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self._out: list[tuple[list[Item], Item]] = []
        self.heap: list[Item] = []
        self.rebuild(items)

    def rebuild(self, items: Iterable[Item]) -> None:
        self.heap = list(items)
        heapq.heapify(self.heap)

    def push(self, item: Item) -> None:
        heapq.heappush(self.heap, item)

    def compact(self) -> None:
        """Drop the items that no longer stand for their piece."""
        self.heap = [item for item in self.heap if item[3].version == item[4]]
        heapq.heapify(self.heap)

    def size(self) -> int:
        return len(self.heap)

    def settle(self) -> None:
        """Put back what the last walk took out and did not consume."""
        for heap, item in self._out:
            if item[3].version == item[4]:
                heapq.heappush(heap, item)
        self._out.clear()

    def _take(self, heap: list[Item], keep: Callable[[Item], bool] | None = None) -> Item | None:
        """The first current item of ``heap`` (also passing ``keep``), taken out and remembered."""
        while heap:
            item = heapq.heappop(heap)
            if item[3].version == item[4] and (keep is None or keep(item)):
                self._out.append((heap, item))
                return item
        return None

    def walk(self) -> Iterator[Piece]:
        """The open pieces, highest unit cost first, each taken out as it is reached."""
        heap = self.heap
        while (item := self._take(heap)) is not None:
            # Pieces of one lot with the same unit cost: by wallet, then place (as the book's key).
            group = [item]
            while heap and heap[0][2] == item[2] and heap[0][0] == item[0]:
                tied = self._take(heap)
                if tied is None:
                    break
                if tied[2] != item[2] or tied[0] != item[0]:  # a dead item hid it: put it back
                    self._out.pop()
                    heapq.heappush(heap, tied)
                    break
                group.append(tied)
            if len(group) > 1:
                group.sort(key=_place)
            for each in group:
                yield each[3]


class MinTaxOrder(CostOrder):
    """The min-tax order of the sales on ``day`` and later, as :class:`~trimtab.tax.lot_index.MinTaxIndex`:
    short-term pieces in :attr:`heap` and a heap by anniversary, long-term ones in :attr:`long`."""

    factor = 3.0  # a float, as CostOrder.factor (compiled code checks the type)

    def __init__(self, zone: ZoneInfo, items: Iterable[Item] = ()) -> None:
        self.zone = zone
        self.day = date.min
        self.long: list[Item] = []
        self.maturing: list[tuple[date, Item]] = []
        self._anniversary: Callable[[datetime], date] = lru_cache(maxsize=1 << 12)(
            lambda acquired: us_anniversary(local_date(acquired, zone))
        )
        super().__init__(items)

    def rebuild(self, items: Iterable[Item]) -> None:
        self.heap, self.long, self.maturing = [], [], []
        for item in items:
            self.push(item)

    def push(self, item: Item) -> None:
        anniversary = self._anniversary(item[1])
        if anniversary < self.day:
            heapq.heappush(self.long, item)
        else:
            heapq.heappush(self.heap, (*item, anniversary))
            heapq.heappush(self.maturing, (anniversary, item))

    def size(self) -> int:
        return len(self.heap) + len(self.long) + len(self.maturing)

    def compact(self) -> None:
        day = self.day
        self.heap = [item for item in self.heap if item[3].version == item[4] and item[5] >= day]
        self.long = [item for item in self.long if item[3].version == item[4]]
        self.maturing = [entry for entry in self.maturing if entry[1][3].version == entry[1][4]]
        for heap in (self.heap, self.long, self.maturing):
            heapq.heapify(heap)

    def advance(self, day: date, items: Callable[[], Iterable[Item]]) -> None:
        """Make the split that of ``day``: pieces whose anniversary is before it are long-term."""
        if day < self.day:
            self.day = day
            self.rebuild(items())
            return
        self.day = day
        maturing = self.maturing
        while maturing and maturing[0][0] < day:
            _, item = heapq.heappop(maturing)
            if item[3].version == item[4]:
                heapq.heappush(self.long, item)

    def _short(self, item: Item) -> bool:
        return bool(item[5] >= self.day)

    def _head(self, short: bool) -> Item | None:
        heap = self.heap if short else self.long
        while heap and (heap[0][3].version != heap[0][4] or (short and heap[0][5] < self.day)):
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _next(self, short: bool) -> Item | None:
        return self._take(self.heap, self._short) if short else self._take(self.long)

    def _class_walk(self, short: bool, price: Decimal, rounded: Context, *, losses: bool) -> Iterator[Item]:
        """The short- or long-term pieces with a loss at ``price`` (or a gain), by gain per unit
        (rounded, as the book's), ties first in, first out."""
        run: list[Item] = []
        run_gain: Decimal | None = None
        while True:
            head = self._head(short)
            cost = -head[0] if head is not None else None
            if cost is None or (cost <= price if losses else cost >= price):
                break
            item = self._next(short)
            assert item is not None
            gain = rounded.subtract(price, cost)
            if run and gain != run_gain:
                if len(run) > 1:
                    run.sort(key=fifo_tail)
                yield from run
                run = []
            run.append(item)
            run_gain = gain
        if len(run) > 1:
            run.sort(key=fifo_tail)
        yield from run

    def _even(self, price: Decimal) -> list[Item]:
        even: list[Item] = []
        for short in (True, False):
            while True:
                head = self._head(short)
                if head is None or -head[0] != price:
                    break
                item = self._next(short)
                assert item is not None
                even.append(item)
        if len(even) > 1:
            even.sort(key=fifo_tail)
        return even

    def walk_at(self, price: Decimal, rounded: Context) -> Iterator[Piece]:
        """The open pieces in min-tax order for a sale at ``price`` per unit on :attr:`day`."""
        for item in self._class_walk(True, price, rounded, losses=True):
            yield item[3]
        for item in self._class_walk(False, price, rounded, losses=True):
            yield item[3]
        for item in self._even(price):
            yield item[3]
        for item in self._class_walk(False, price, rounded, losses=False):
            yield item[3]
        for item in self._class_walk(True, price, rounded, losses=False):
            yield item[3]

"""Heaps over a lot book's open lots, so that a sale finds the lots it consumes without sorting them all.

:class:`~trimtab.tax.lots.LotBook` keeps each open lot in an :class:`Entry`. An index is a heap of
``(sort key..., entry)`` items over the open lots of one asset, in one wallet or in every wallet:

- :class:`FifoIndex`: acquisition time, lot id, wallet, place in the wallet (first in, first out),
  one per wallet; over every wallet, :class:`FifoMerge` merges the wallets' heaps as it walks them;
- :class:`HifoIndex`: highest unit cost first, then as FIFO;
- :class:`MinTaxIndex`: the min-tax order of a sale at a unit price on a date (:func:`~trimtab.tax.lot_orders.min_tax_key`): two
  HIFO heaps, the lots short-term and long-term on that date, and a heap of the short-term lots by
  the day they turn long-term, advanced as the sales move forward in time.

The keys are the ones :func:`~trimtab.tax.lots.fifo`, :func:`~trimtab.tax.lots.hifo` and the min-tax
order sort by, so a heap yields the lots in exactly the order those functions would put them. A lot
that is consumed is not searched for in the heaps: its entry is marked dead (``lot`` None) and the
heaps drop such items when they meet them, or all at once when they outnumber the live ones
(:meth:`LotIndex.needs_rebuild`). A walk pops the items it looks at; :meth:`LotIndex.settle` puts back
those that are still open (a dry run puts back all of them), so each index holds every open lot once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from trimtab.tax.dates import local_date, us_anniversary
from trimtab.tax.model import Lot

Item = tuple[Any, ...]  # (key..., entry) or, in the short-term heap, (key..., entry, anniversary)


class Entry:
    """An open lot of the book, or a dead one (``lot`` None) once consumed or replaced.

    ``seq`` is the lot's place in its wallet (a rest of a partly consumed lot keeps it), the last
    tie-break of every order; ``idkey`` is the lot id's sort key.
    """

    __slots__ = ("idkey", "lot", "seq")

    def __init__(self, lot: Lot, seq: int, idkey: tuple[int, ...]) -> None:
        self.lot: Lot | None = lot
        self.seq = seq
        self.idkey = idkey

    def __lt__(self, other: Entry) -> bool:
        # Never decides an order: among open lots the keys before the entry differ. A dead item and
        # the rest that replaced it may tie up to here; either order is right, as one is dead.
        return False


def id_key(lot_id: str) -> tuple[int, ...]:
    """The sort key of a lot id the book gave (``"3"``, ``"3.1"``): its numbers, compared as numbers."""
    return tuple(int(part) for part in lot_id.split("."))


def fifo_item(entry: Entry) -> Item:
    lot = entry.lot
    assert lot is not None
    return (lot.acquired, entry.idkey, lot.wallet, entry.seq, entry)


def hifo_item(entry: Entry) -> Item:
    lot = entry.lot
    assert lot is not None
    return (-lot.unit_cost, lot.acquired, entry.idkey, lot.wallet, entry.seq, entry)


def fifo_tail(item: Item) -> Item:
    """The FIFO part of a HIFO item's key (acquisition time, id, wallet, place)."""
    return item[1:5]


class LotIndex:
    """One heap of items; the base of the three indexes."""

    def __init__(self, make: Callable[[Entry], Item], entries: Iterable[Entry]) -> None:
        self._make = make
        self.heap: list[Item] = [make(entry) for entry in entries]
        heapq.heapify(self.heap)
        self._out: list[tuple[list[Item], Item, Entry]] = []

    def push(self, entry: Entry) -> None:
        heapq.heappush(self.heap, self._make(entry))

    def entries(self) -> Iterator[Entry]:
        """The open lots' entries in the heap, in no order."""
        return (item[-1] for item in self.heap if item[-1].lot is not None)

    def size(self) -> int:
        return len(self.heap)

    def needs_rebuild(self, live: int) -> bool:
        return self.size() > 2 * live + 64

    def rebuild(self, entries: Iterable[Entry]) -> None:
        self.heap = [self._make(entry) for entry in entries]
        heapq.heapify(self.heap)

    def _pop(self, heap: list[Item]) -> Item | None:
        """The first open item of ``heap``, taken out (and remembered for :meth:`settle`)."""
        while heap:
            item = heapq.heappop(heap)
            if item[-1].lot is not None:
                self._out.append((heap, item, item[-1]))
                return item
        return None

    def _peek(self, heap: list[Item]) -> Item | None:
        while heap and heap[0][-1].lot is None:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def walk(self) -> Iterator[Entry]:
        """The open lots in the index's order, each taken out as it is reached."""
        while (item := self._pop(self.heap)) is not None:
            yield item[-1]

    def settle(self) -> None:
        """Put back what the last walk took out and did not consume."""
        for heap, item, entry in self._out:
            if entry.lot is not None:
                heapq.heappush(heap, item)
        self._out.clear()


class FifoIndex(LotIndex):
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        super().__init__(fifo_item, entries)


class FifoMerge(LotIndex):
    """First in, first out over several wallets' :class:`FifoIndex` heaps, merged as they are walked.

    Their items have the same keys a heap over every wallet would have (acquisition time, id, wallet,
    place), so the merge gives the same order, without a second heap to keep up at every new lot."""

    def __init__(self, indexes: Iterable[FifoIndex]) -> None:
        super().__init__(fifo_item, ())
        self._indexes = list(indexes)

    def entries(self) -> Iterator[Entry]:
        return (entry for index in self._indexes for entry in index.entries())

    def size(self) -> int:
        return sum(index.size() for index in self._indexes)

    def walk(self) -> Iterator[Entry]:
        indexes = self._indexes
        heads: list[tuple[Item, int]] = []  # each wallet's first open item, left in its heap
        for n, index in enumerate(indexes):
            item = index._peek(index.heap)
            if item is not None:
                heads.append((item, n))
        heapq.heapify(heads)
        while heads:
            item, n = heads[0]
            index = indexes[n]
            index._pop(index.heap)  # the head: taken out as it is reached
            yield item[-1]
            following = index._peek(index.heap)
            if following is None:
                heapq.heappop(heads)
            else:
                heapq.heapreplace(heads, (following, n))

    def settle(self) -> None:
        for index in self._indexes:
            index.settle()


class HifoIndex(LotIndex):
    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        super().__init__(hifo_item, entries)


class MinTaxIndex(LotIndex):
    """The min-tax order (:func:`trimtab.tax.lot_orders.min_tax_key`) of the sales on ``day`` and later.

    A lot is long-term on a day after its anniversary (:func:`~trimtab.tax.dates.us_anniversary` of
    its acquisition date in ``zone``). Short-term lots are in :attr:`heap` (HIFO) and in a heap by
    anniversary; long-term ones in :attr:`long` (HIFO). A sale on a later day first moves the lots that
    have matured; a sale on an earlier day (a preview) rebuilds the split.
    """

    def __init__(self, zone: ZoneInfo, entries: Iterable[Entry] = ()) -> None:
        self.zone = zone
        self.day = date.min
        self.long: list[Item] = []
        self.maturing: list[tuple[date, Entry]] = []
        super().__init__(hifo_item, ())
        self.rebuild(entries)

    def _anniversary(self, acquired: datetime) -> date:
        return us_anniversary(local_date(acquired, self.zone))

    def push(self, entry: Entry) -> None:
        item = hifo_item(entry)
        anniversary = self._anniversary(item[1])
        if anniversary < self.day:
            heapq.heappush(self.long, item)
        else:
            heapq.heappush(self.heap, (*item, anniversary))
            heapq.heappush(self.maturing, (anniversary, entry))

    def size(self) -> int:
        return len(self.heap) + len(self.long) + len(self.maturing)

    def needs_rebuild(self, live: int) -> bool:
        return self.size() > 4 * live + 64

    def rebuild(self, entries: Iterable[Entry]) -> None:
        self.heap, self.long, self.maturing = [], [], []
        for entry in entries:
            self.push(entry)

    def advance(self, day: date, entries: Callable[[], Iterable[Entry]]) -> None:
        """Make the split that of ``day``: lots whose anniversary is before it are long-term."""
        if day < self.day:
            self.day = day
            self.rebuild(entries())
            return
        self.day = day
        maturing = self.maturing
        while maturing and maturing[0][0] < day:
            _, entry = heapq.heappop(maturing)
            if entry.lot is not None:
                heapq.heappush(self.long, hifo_item(entry))

    def _pop_short(self) -> Item | None:
        """The first open short-term item (matured ones left in the short-term heap are skipped)."""
        heap = self.heap
        while heap:
            item = heap[0]
            if item[-2].lot is None or item[-1] < self.day:
                heapq.heappop(heap)
                continue
            heapq.heappop(heap)
            self._out.append((heap, item, item[-2]))
            return item
        return None

    def _peek_short(self) -> Item | None:
        heap = self.heap
        while heap and (heap[0][-2].lot is None or heap[0][-1] < self.day):
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _class_walk(self, short: bool, price: Decimal, *, losses: bool) -> Iterator[Item]:
        """One class of the min-tax order: the short- or long-term lots with a loss at ``price``
        (unit cost above it), or with a gain (below it), by gain per unit, ties first in, first out.

        The heap gives the lots by unit cost, highest first; lots whose rounded gains tie are put in
        FIFO order among themselves, as the min-tax sort key would."""
        run: list[Item] = []
        run_gain: Decimal | None = None
        while True:
            head = self._peek_short() if short else self._peek(self.long)
            cost = -head[0] if head is not None else None
            if cost is None or (cost <= price if losses else cost >= price):
                break
            item = self._pop_short() if short else self._pop(self.long)
            assert item is not None
            gain = price - cost
            if run and gain != run_gain:
                run.sort(key=fifo_tail)
                yield from run
                run = []
            run.append(item)
            run_gain = gain
        run.sort(key=fifo_tail)
        yield from run

    def _even(self, price: Decimal) -> list[Item]:
        """Lots whose unit cost is the price exactly (no gain: taxed nothing, short- or long-term)."""
        even: list[Item] = []
        for short in (True, False):
            while True:
                head = self._peek_short() if short else self._peek(self.long)
                if head is None or -head[0] != price:
                    break
                item = self._pop_short() if short else self._pop(self.long)
                assert item is not None
                even.append(item)
        even.sort(key=fifo_tail)
        return even

    def walk_at(self, price: Decimal) -> Iterator[Entry]:
        """The open lots in min-tax order for a sale at ``price`` per unit on :attr:`day`: short-term
        losses, long-term losses, then no-gain lots and long-term gains, short-term gains last."""
        for item in self._class_walk(True, price, losses=True):
            yield item[5]
        for item in self._class_walk(False, price, losses=True):
            yield item[5]
        for item in self._even(price):
            yield item[5]
        for item in self._class_walk(False, price, losses=False):
            yield item[5]
        for item in self._class_walk(True, price, losses=False):
            yield item[5]

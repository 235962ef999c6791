"""The HIFO and min-tax orders of the cost walk's open pieces (:mod:`trimtab.tax.cost_walk`).

They are :class:`~trimtab.tax.lot_index.HifoIndex` and :class:`~trimtab.tax.lot_index.MinTaxIndex`
over :class:`~trimtab.tax.piece_tree.Piece` records instead of the book's entries, and give the same
order. The difference: a piece moves between wallets (the US universal pool's hand-over) without a new
heap item, so an item's key is only ``(-unit cost, lot number)`` (the book's acquisition time comes
before the number, but the walk numbers its lots in time order, so the number alone orders as both);
the book's last tie-breaks, the wallet and the place in it, only ever separate pieces of one lot, and
are read from the piece when a walk meets such a tie (:func:`fifo_tail`).

An :class:`Item` stands for its piece while the piece's ``version`` is the item's (a piece consumed or
changed gets a new one). A sale reads its pieces one by one with :meth:`CostOrder.next` (a walk kept
as a state, not a generator: compiled, it is a plain call); :meth:`CostOrder.settle` puts back what it
took out and did not consume. :class:`Pool` and :class:`Holding` are the walk's records of an asset and
of a wallet's lots of it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import date
from decimal import Context, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from trimtab.model.money import ZERO
from trimtab.tax.dates import local_date, us_anniversary
from trimtab.tax.piece_tree import LotRecord, Piece, locate, pieces

_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop
_heapify: Final = heapq.heapify
_NO_DAY: Final = date.min
_NO_PRICE: Final = Decimal(0)


class Item:
    """A heap item of ``piece`` at ``version``: by ``key`` (-unit cost), then lot ``number``.

    ``rank`` is ``float(key)``: a float conversion rounds correctly, so it never orders two keys
    against their order, and two items whose ranks differ are ordered by them without comparing
    Decimals; equal ranks fall back to the keys. ``day``: the anniversary (min-tax's short heap)."""

    __slots__ = ("day", "key", "number", "piece", "rank", "version")

    def __init__(self, key: Decimal, number: int, piece: Piece, version: int) -> None:
        self.key = key
        self.rank = float(key)
        self.number = number
        self.piece = piece
        self.version = version
        self.day = _NO_DAY

    def __lt__(self, other: Item) -> bool:
        if self.rank != other.rank:
            return self.rank < other.rank
        if self.key != other.key:
            return self.key < other.key
        return self.number < other.number


def fifo_tail(item: Item) -> tuple[int, str, int]:
    """The FIFO part of the book's key: lot (by number: the walk's lots are numbered in time order),
    wallet, place in the wallet."""
    strand, rank = locate(item.piece)
    return (item.number, strand.wallet, rank)


def _place(item: Item) -> tuple[str, int]:
    strand, rank = locate(item.piece)
    return (strand.wallet, rank)


class CostOrder:
    """Highest unit cost first, ties first in, first out (:data:`~trimtab.tax.lots.hifo`)."""

    factor = 1.5  # compacted when it holds more than this many items per open piece

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self._out: list[Item] = []  # taken out by the walk (see settle)
        self._buffer: list[Item] = []  # the pieces of the walk's current tie group, in order
        self._at = 0  # the next of them
        self.day = _NO_DAY
        self.heap: list[Item] = []
        self.rebuild(items)

    def rebuild(self, items: Iterable[Item]) -> None:
        self.heap = list(items)
        _heapify(self.heap)

    def push(self, item: Item) -> None:
        _heappush(self.heap, item)

    def compact(self) -> None:
        """Drop the items that no longer stand for their piece."""
        self.heap = [item for item in self.heap if item.piece.version == item.version]
        _heapify(self.heap)

    def size(self) -> int:
        return len(self.heap)

    def start(self) -> None:
        """Begin a sale's walk (the pieces highest unit cost first, each taken out as reached)."""
        self._buffer.clear()
        self._at = 0

    def next(self) -> Piece | None:
        """The walk's next open piece (taken out), or None when none is left."""
        at = self._at
        if at >= len(self._buffer):
            if not self._fill():
                return None
            at = 0
        self._at = at + 1
        return self._buffer[at].piece

    def settle(self) -> None:
        """Put back what the last walk took out and did not consume."""
        heap = self.heap
        for item in self._out:
            if item.piece.version == item.version:
                _heappush(heap, item)
        self._out.clear()
        self._buffer.clear()
        self._at = 0

    def _take(self, heap: list[Item], short: bool) -> Item | None:
        """The first current item of ``heap`` (``short``: also not yet long-term), taken out and remembered."""
        day = self.day
        while heap:
            item = _heappop(heap)
            if item.piece.version == item.version and not (short and item.day < day):
                self._out.append(item)
                return item
        return None

    def _fill(self) -> bool:
        """The next tie group into the buffer: pieces of one lot with the same unit cost, by wallet,
        then place (as the book's key); False when the heap is used up."""
        heap = self.heap
        item = self._take(heap, False)
        if item is None:
            return False
        group = [item]
        while heap and heap[0].number == item.number and heap[0].key == item.key:
            tied = self._take(heap, False)
            if tied is None:
                break
            if tied.number != item.number or tied.key != item.key:  # a dead item hid it: put it back
                self._out.pop()
                _heappush(heap, tied)
                break
            group.append(tied)
        if len(group) > 1:
            group.sort(key=_place)
        self._buffer = group
        return True


class MinTaxOrder(CostOrder):
    """The min-tax order of the sales on ``day`` and later, as :class:`~trimtab.tax.lot_index.MinTaxIndex`:
    short-term pieces in :attr:`heap` and, by anniversary, in :attr:`maturing`; long-term ones in
    :attr:`long`. A walk goes through five classes: short-term losses, long-term losses, the pieces
    sold at cost, long-term gains, short-term gains; within a class by gain per unit (rounded, as the
    book's), ties first in, first out."""

    factor = 3.0  # a float, as CostOrder.factor (compiled code checks the type)

    def __init__(self, zone: ZoneInfo, items: Iterable[Item] = ()) -> None:
        self.zone = zone
        self.long: list[Item] = []
        self.maturing: dict[date, list[Item]] = {}
        self.days: list[date] = []  # the keys of maturing, a heap
        self.pending = 0  # the items in maturing
        self._phase = 5
        self._negative = _NO_PRICE  # minus the sale's unit price
        self._price = _NO_PRICE
        self._rounded = Context()
        self._carry: Item | None = None  # taken out, the first of the class's next run
        self._carry_gain = _NO_PRICE
        super().__init__(items)

    def rebuild(self, items: Iterable[Item]) -> None:
        self.heap, self.long, self.maturing, self.days, self.pending = [], [], {}, [], 0
        for item in items:
            self.push(item)

    def push(self, item: Item) -> None:
        lot = item.piece.lot
        assert lot is not None
        anniversary = lot.anniversary
        if anniversary is None:
            anniversary = lot.anniversary = us_anniversary(local_date(lot.acquired, self.zone))
        if anniversary < self.day:
            item.day = _NO_DAY  # a long-term item's mark (see settle)
            _heappush(self.long, item)
            return
        item.day = anniversary
        _heappush(self.heap, item)
        bucket = self.maturing.get(anniversary)
        if bucket is None:
            self.maturing[anniversary] = [item]
            _heappush(self.days, anniversary)
        else:
            bucket.append(item)
        self.pending += 1

    def size(self) -> int:
        return len(self.heap) + len(self.long) + self.pending

    def compact(self) -> None:
        day = self.day
        self.heap = [item for item in self.heap if item.piece.version == item.version and item.day >= day]
        self.long = [item for item in self.long if item.piece.version == item.version]
        maturing: dict[date, list[Item]] = {}
        pending = 0
        for anniversary, bucket in self.maturing.items():
            kept = [item for item in bucket if item.piece.version == item.version]
            if kept:
                maturing[anniversary] = kept
                pending += len(kept)
        self.maturing, self.pending, self.days = maturing, pending, list(maturing)
        _heapify(self.heap)
        _heapify(self.long)
        _heapify(self.days)

    def advance(self, day: date) -> bool:
        """Make the split that of ``day``: pieces whose anniversary is before it are long-term.
        True when ``day`` is before the last one: then the caller must :meth:`rebuild` the order."""
        if day < self.day:
            self.day = day
            return True
        self.day = day
        days = self.days
        while days and days[0] < day:
            bucket = self.maturing.pop(_heappop(days))
            self.pending -= len(bucket)
            for item in bucket:
                if item.piece.version == item.version:
                    item.day = _NO_DAY  # long-term now (its short-term heap item is passed over)
                    _heappush(self.long, item)
        return False

    def settle(self) -> None:
        day = self.day
        for item in self._out:
            if item.piece.version == item.version:
                _heappush(self.heap if item.day >= day else self.long, item)
        self._out.clear()
        self._buffer.clear()
        self._at = 0

    def start_at(self, price: Decimal, rounded: Context) -> None:
        """Begin the walk of a sale at ``price`` per unit on :attr:`day` (``rounded``: the context
        of the gains per unit)."""
        self.start()
        self._price = price
        self._negative = price.copy_negate()  # exact (the keys are minus the unit costs)
        self._rounded = rounded
        self._phase = 0
        self._carry = None

    def _fill(self) -> bool:
        while self._phase < 5:
            phase = self._phase
            if phase == 2:
                self._phase = 3
                run = self._even()
            else:
                run = self._class_run(phase % 4 == 0, phase < 2)  # 0, 4: short-term
                if not run:
                    self._phase = phase + 1
            if run:
                self._buffer = run
                return True
        return False

    def _head(self, short: bool) -> Item | None:
        heap = self.heap if short else self.long
        day = self.day
        while heap:
            head = heap[0]
            if head.piece.version != head.version or (short and head.day < day):
                _heappop(heap)
            else:
                return head
        return None

    def _class_run(self, short: bool, losses: bool) -> list[Item]:
        """The next run of the short- or long-term pieces with a loss at the price (or a gain) whose
        gains per unit are equal, first in, first out; empty when the class is through."""
        run: list[Item] = []
        gain = last = _NO_PRICE  # the run's gain, the key of its last item
        carry = self._carry
        if carry is not None:
            run.append(carry)
            gain, last = self._carry_gain, carry.key
            self._carry = None
        negative = self._negative
        heap = self.heap if short else self.long
        while True:
            head = self._head(short)
            if head is None:
                break
            key = head.key  # cost <= price is key >= -price
            if key >= negative if losses else key <= negative:
                break
            item = self._take(heap, short)
            assert item is not None
            if run and key == last:  # the same unit cost, the same gain
                run.append(item)
                continue
            now = self._rounded.add(self._price, key)  # price - cost, rounded
            if run and now != gain:
                self._carry, self._carry_gain = item, now
                break
            run.append(item)
            gain, last = now, key
        if len(run) > 1:
            run.sort(key=fifo_tail)
        return run

    def _even(self) -> list[Item]:
        even: list[Item] = []
        negative = self._negative
        for short in (True, False):
            heap = self.heap if short else self.long
            while True:
                head = self._head(short)
                if head is None or head.key != negative:
                    break
                item = self._take(heap, short)
                assert item is not None
                even.append(item)
        if len(even) > 1:
            even.sort(key=fifo_tail)
        return even


class Holding:
    """One wallet's lots of one asset in FIFO order (a heap), its units (exact), its open pieces."""

    __slots__ = ("heap", "live", "prune_at", "units")

    def __init__(self) -> None:
        self.heap: list[tuple[int, LotRecord]] = []
        self.units = ZERO
        self.live = 0
        self.prune_at = 64

    def held(self, wallet: str) -> Decimal:
        """The units of ``wallet`` (this holding's), added up as :meth:`LotBook.held
        <trimtab.tax.lots.LotBook.held>` adds them (in their order, in the current context)."""
        found = sorted(
            (
                piece
                for _, lot in self.heap
                if wallet in lot.strands
                for piece in pieces(lot.strands[wallet].root)
            ),
            key=_seq,
        )
        total = ZERO
        for piece in found:
            total += piece.amount
        return total


def _seq(piece: Piece) -> int:
    return piece.seq


class Pool:
    """One asset: the wallets, the open pieces, and the cost heaps (by wallet; None: every wallet)."""

    __slots__ = ("indexes", "live", "wallets")

    def __init__(self) -> None:
        self.wallets: dict[str, Holding] = {}
        self.live = 0
        self.indexes: dict[str | None, CostOrder] = {}

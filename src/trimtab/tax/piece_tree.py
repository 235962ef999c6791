"""The open pieces of one lot in one wallet, in the order they came: a :class:`Strand`.

The HIFO and min-tax walk (:mod:`trimtab.tax.cost_walk`) keeps them as a treap (a binary search tree
on their place, balanced by random priorities) whose nodes also hold their subtree's units, added up
exactly. Under the US universal pool a sale hands the selling wallet's *oldest* units over, and on a
long history those are ever more, ever smaller pieces of old lots that HIFO and min-tax never sell: a
list of them makes every hand-over cost the pieces it moves. Here the pieces a hand-over moves whole
are split off the front of the seller's strand by their running units and joined to the end of the
target's in O(log n), whatever their number; their new places in the target wallet (the book's
``seq``) are given lazily, as a base on the subtree that moved.

The sums here are the operators ``+`` and ``-`` of the *current* decimal context: exact only when it
is :data:`~trimtab.tax.lot_register.EXACT`, which the cost walk makes current around its work (an
operator costs a fraction of a call of ``EXACT.add``; any other caller must do the same, unless its
numbers are few digits, as a test's).

A piece is also an item of the cost heaps (:mod:`trimtab.tax.cost_index`); ``version`` tells a heap
item of it whether it is still its current one (a piece consumed, or changed in amount, gets a new
version).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from trimtab.model.money import ZERO

# Final: bound once (compiled code reads a module's other globals from its dict at every use).
_priority: Final[Callable[[], float]] = random.Random(
    0
).random  # deterministic shapes: the same walk, the same work
_ZERO: Final = ZERO


class LotRecord:
    """One lot id of the cost walk: its facts, and its strands by wallet (``anniversary``: the local
    date its pieces turn long-term, filled in by the min-tax order when first asked)."""

    __slots__ = ("acquired", "anniversary", "lot_id", "number", "strands")

    def __init__(self, number: int, acquired: datetime) -> None:
        self.number = number
        self.lot_id = str(number)
        self.acquired = acquired
        self.anniversary: date | None = None
        # A wallet is a key here exactly while the lot is in that wallet's heap (its strand may be
        # empty until the heap drops the lot on meeting it).
        self.strands: dict[str, Strand] = {}


class Piece:
    """An open piece of a lot in one wallet: ``amount``, ``cost`` and ``seq`` (its place in the wallet),
    and its node fields (``total``: the subtree's units, exact; ``base``: a place for the subtree's
    first piece not yet given to the nodes below)."""

    __slots__ = (
        "amount",
        "base",
        "cost",
        "key",
        "left",
        "lot",
        "parent",
        "priority",
        "right",
        "seq",
        "size",
        "strand",
        "total",
        "version",
    )

    def __init__(self, amount: Decimal, cost: Decimal, seq: int, lot: LotRecord | None) -> None:
        self.amount = amount
        self.cost = cost
        self.seq = seq
        self.lot = lot  # the cost walk's lot record (acquisition time, number)
        self.total = amount
        self.size = 1
        self.priority = _priority()
        self.left: Piece | None = None
        self.right: Piece | None = None
        self.parent: Piece | None = None
        self.base: int | None = None
        self.strand: Strand | None = None  # only meaningful on a strand's root
        self.version = 0
        self.key: Decimal | None = None  # the key of its current heap item (cost_walk._register)

    def __lt__(self, other: Piece) -> bool:
        # Never decides an order: heap items tied up to the piece are ordered by place when popped.
        return False


class Strand:
    """One lot's open pieces in one wallet, in the order they came (a treap; ``root`` None: none)."""

    __slots__ = ("lot", "root", "wallet")

    def __init__(self, lot: LotRecord | None, wallet: str) -> None:
        self.lot = lot
        self.wallet = wallet
        self.root: Piece | None = None

    def set_root(self, root: Piece | None) -> None:
        self.root = root
        if root is not None:
            root.parent = None
            root.strand = self

    def append(self, pieces: Piece) -> None:
        """``pieces`` (a tree) after the pieces already here."""
        self.set_root(merge(self.root, pieces))


def _push(node: Piece) -> None:
    """Give the subtree's pending places to the node and its children."""
    base = node.base
    if base is not None:
        left = node.left
        if left is not None:
            left.base = base
            base += left.size
        node.seq = base
        right = node.right
        if right is not None:
            right.base = base + 1
        node.base = None


def merge(first: Piece | None, second: Piece | None) -> Piece | None:  # noqa: PLR0915 (hot loop, inlined)
    """One tree of ``first``'s pieces, then ``second``'s (the root's parent is left to the caller).

    Down the right edge of ``first`` and the left edge of ``second``, higher priority on top. A node
    on the way gains the whole of the other tree below it, so its total is the other's added to its
    own, on the way down (an exact sum's value and exponent do not depend on the order of addition)."""
    if first is None:
        return second
    if second is None:
        return first
    root = parent = None
    on_right = False
    while first is not None and second is not None:
        if first.priority > second.priority:
            node = first
            base = node.base
            if base is not None:  # _push, inlined
                below = node.left
                if below is not None:
                    below.base = base
                    base += below.size
                node.seq = base
                below = node.right
                if below is not None:
                    below.base = base + 1
                node.base = None
            node.total = node.total + second.total
            node.size += second.size
            first = node.right
            next_on_right = True
        else:
            node = second
            base = node.base
            if base is not None:  # _push, inlined
                below = node.left
                if below is not None:
                    below.base = base
                    base += below.size
                node.seq = base
                below = node.right
                if below is not None:
                    below.base = base + 1
                node.base = None
            node.total = first.total + node.total
            node.size += first.size
            second = node.left
            next_on_right = False
        if parent is None:
            root = node
        elif on_right:
            parent.right = node
            node.parent = parent
        else:
            parent.left = node
            node.parent = parent
        parent, on_right = node, next_on_right
    assert parent is not None
    rest = first if first is not None else second
    if on_right:
        parent.right = rest
    else:
        parent.left = rest
    if rest is not None:
        rest.parent = parent
    return root


def split_units(  # noqa: PLR0915 (hot loop, inlined)
    tree: Piece | None, units: Decimal
) -> tuple[Piece | None, Piece | None]:
    """The longest run of first pieces whose units add up to at most ``units``, and the rest (their
    roots' parents are left to the caller)."""
    run = rest = None
    run_last: Piece | None = None  # the run's node to hang the next one on (on the right)
    rest_first: Piece | None = None  # the rest's node to hang the next one on (on the left)
    path: list[Piece] = []  # the nodes met, and for a run node the units up to it (for its total)
    upto: list[Decimal | None] = []
    node = tree
    while node is not None:
        base = node.base
        if base is not None:  # _push, inlined
            below = node.left
            if below is not None:
                below.base = base
                base += below.size
            node.seq = base
            below = node.right
            if below is not None:
                below.base = base + 1
            node.base = None
        left = node.left
        here = left.total + node.amount if left is not None else node.amount
        if here <= units:  # the node and the pieces before it go
            path.append(node)
            upto.append(here)
            units = units - here
            if run_last is None:
                run = node
            else:
                run_last.right = node
                node.parent = run_last
            run_last = node
            node = node.right
        else:
            path.append(node)
            upto.append(None)
            if rest_first is None:
                rest = node
            else:
                rest_first.left = node
                node.parent = rest_first
            rest_first = node
            node = left
    if run_last is not None:
        run_last.right = None
    if rest_first is not None:
        rest_first.left = None
    at = len(path)
    while at:  # the totals, from below
        at -= 1
        each = path[at]
        before = upto[at]
        left, right = each.left, each.right
        if before is not None:  # a run node: its left is as it was
            if right is None:
                each.total = before
                each.size = left.size + 1 if left is not None else 1
            else:
                each.total = before + right.total
                each.size = (left.size + 1 if left is not None else 1) + right.size
        elif left is None:
            if right is None:
                each.total, each.size = each.amount, 1
            else:
                each.total, each.size = each.amount + right.total, right.size + 1
        elif right is None:
            each.total, each.size = left.total + each.amount, left.size + 1
        else:
            each.total = left.total + each.amount + right.total
            each.size = left.size + right.size + 1
    return run, rest


def first(tree: Piece) -> Piece:
    """The oldest piece of ``tree`` (its place is not needed: no pending places are given)."""
    while tree.left is not None:
        tree = tree.left
    return tree


def remove(node: Piece) -> Strand:
    """Take ``node`` out of its strand; returns the strand."""
    path: list[Piece] = []
    above: Piece | None = node
    while above is not None:
        path.append(above)
        above = above.parent
    for each in reversed(path):  # the places below must be given before the run shortens
        if each.base is not None:
            _push(each)
    strand = path[-1].strand
    assert strand is not None
    joined = merge(node.left, node.right)
    parent = node.parent
    if parent is None:
        strand.set_root(joined)
    else:
        if parent.left is node:
            parent.left = joined
        else:
            parent.right = joined
        if joined is not None:
            joined.parent = parent
        above = parent
        while above is not None:  # the totals above, again
            left, right = above.left, above.right
            if left is None:
                if right is None:
                    above.total, above.size = above.amount, 1
                else:
                    above.total, above.size = above.amount + right.total, right.size + 1
            elif right is None:
                above.total, above.size = left.total + above.amount, left.size + 1
            else:
                above.total = left.total + above.amount + right.total
                above.size = left.size + right.size + 1
            above = above.parent
    node.left = node.right = node.parent = None
    return strand


def resize(node: Piece, amount: Decimal, cost: Decimal) -> None:
    """Make ``node`` a smaller piece (the rest of it, in its place).

    The units taken are subtracted from the totals above instead of adding them up again: exact sums
    have the value and the exponent (the least of the operands') of any order of addition, and the
    rest's exponent is already the least of the old amount's and the part's, so the totals are the
    same to the digit."""
    taken = node.amount - amount
    node.amount = amount
    node.cost = cost
    above: Piece | None = node
    while above is not None:
        above.total = above.total - taken
        above = above.parent


def locate(node: Piece) -> tuple[Strand, int]:
    """The strand ``node`` is in, and its place in it (0 for the oldest)."""
    rank = node.left.size if node.left is not None else 0
    child, parent = node, node.parent
    while parent is not None:
        if parent.right is child:
            rank += parent.left.size + 1 if parent.left is not None else 1
        child, parent = parent, parent.parent
    strand = child.strand
    assert strand is not None
    return strand, rank


def pieces(tree: Piece | None) -> Iterator[Piece]:
    """The pieces of ``tree`` in their order, each with its place (``seq``) given."""
    stack: list[Piece] = []
    node = tree
    while stack or node is not None:
        while node is not None:
            _push(node)
            stack.append(node)
            node = node.left
        node = stack.pop()
        yield node
        node = node.right


def unlink(tree: Piece | None) -> None:
    """Drop the links up (to the parent, to the strand) of the pieces of ``tree``: what is left holds
    no cycle, and goes as soon as it is not referred to."""
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        node.parent = node.strand = None
        if node.left is not None:
            stack.append(node.left)
        if node.right is not None:
            stack.append(node.right)


def units(tree: Piece | None) -> Decimal:
    return tree.total if tree is not None else _ZERO

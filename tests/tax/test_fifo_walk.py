"""FifoWalk, the US FIFO report's walk: the universal pool's hand-over on a case worked by hand, a sale
refused as the book refuses it where only rounding lets the book start it, and the walk's one
precondition (acquisitions in time order). Its equality with the book on random histories is in
test_fast_equivalence.py."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trimtab.errors import TaxError
from trimtab.tax.fifo_walk import FifoWalk
from trimtab.tax.lots import LotBook, fifo
from trimtab.tax.model import Lot
from trimtab.tax.normalize import Acquisition

D = Decimal
JAN = datetime(2024, 1, 1, tzinfo=UTC)
FEB = datetime(2024, 2, 1, tzinfo=UTC)
MAR = datetime(2024, 3, 1, tzinfo=UTC)


def test_a_universal_sale_takes_the_oldest_lot_and_hands_the_sellers_units_to_its_wallet() -> None:
    # alpha's lot 1 (1 BTC for 100) is the oldest; beta (lot 2, 1 BTC for 200) sells 0.5 before 2025.
    walk, book = FifoWalk(), LotBook()
    for each in (walk, book):
        each.add(Acquisition("BTC", "alpha", D(1), D(100), JAN))
        each.add(Acquisition("BTC", "beta", D(1), D(200), FEB))
    taken = walk.consume("BTC", "beta", D("0.5"), universal=True, when=MAR, line=7)
    pieces = book.consume("BTC", "beta", D("0.5"), fifo, universal=True, when=MAR, line=7)

    assert [(lot.lot_id, wallet, amount, cost) for lot, wallet, amount, cost in taken] == [
        ("1", "alpha", D("0.5"), D(50))
    ]
    assert [(piece.lot_id, piece.wallet, piece.amount, piece.cost) for piece in pieces] == [
        ("1", "alpha", D("0.5"), D(50))
    ]
    # alpha keeps its units (half of lot 1, and half of beta's lot 2 in exchange); beta keeps 0.5.
    expected = (
        Lot("1", "BTC", "alpha", D("0.5"), D(50), JAN),
        Lot("2", "BTC", "alpha", D("0.5"), D(100), FEB),
        Lot("2", "BTC", "beta", D("0.5"), D(100), FEB),
    )
    assert walk.book().open_lots() == expected == book.open_lots()
    assert walk.book().held("BTC", "alpha") == D(1)
    assert walk.book().held("BTC", "beta") == D("0.5")


def test_the_walk_takes_acquisitions_in_time_order() -> None:
    walk = FifoWalk()
    walk.add(Acquisition("BTC", "alpha", D(1), D(100), FEB, line=2))
    with pytest.raises(ValueError, match="line 3: acquisitions must come in time order"):
        walk.add(Acquisition("BTC", "alpha", D(1), D(100), JAN, line=3))


@pytest.mark.parametrize("universal", [True, False])
def test_an_amount_only_the_rounded_total_covers_is_refused_with_the_books_error(universal: bool) -> None:
    # 29 digits: the book's held() adds up in 28 and rounds this lot up, so its quick check passes a
    # sale of a little more than the lot holds exactly; its walk then runs out.
    held = D("0.33333333333333333333333333335")
    sold = D("0.33333333333333333333333333336")
    walk, book = FifoWalk(), LotBook()
    for each in (walk, book):
        each.add(Acquisition("BTC", "alpha", held, D(100), JAN))
        each.add(Acquisition("BTC", "beta", D(1), D(100), FEB))
    with pytest.raises(TaxError) as expected:
        book.consume("BTC", "alpha", sold, fifo, universal=universal, when=MAR, line=4)
    with pytest.raises(TaxError) as refused:
        walk.consume("BTC", "alpha", sold, universal=universal, when=MAR, line=4)
    assert type(refused.value) is type(expected.value)
    assert str(refused.value) == str(expected.value)
    assert walk.book().open_lots() == _fresh(held).open_lots()  # the walk refused before changing


def _fresh(held: Decimal) -> LotBook:
    book = LotBook()
    book.add(Acquisition("BTC", "alpha", held, D(100), JAN))
    book.add(Acquisition("BTC", "beta", D(1), D(100), FEB))
    return book

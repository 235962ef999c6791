"""The lot book: ids, pro-rata splits to the last digit, orders, pools, transfers, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trimtab.errors import TaxError
from trimtab.tax.lots import LotBook, allocate, by_key, fifo, hifo, lot_id_key, specific
from trimtab.tax.model import Lot
from trimtab.tax.normalize import Acquisition

D = Decimal  # short for the many literals below


def utc(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def book_of(*rows: tuple[str, str, str, str, datetime]) -> LotBook:
    book = LotBook()
    for asset, wallet, amount, cost, when in rows:
        book.add(Acquisition(asset, wallet, D(amount), D(cost), when))
    return book


def view(lots: tuple[Lot, ...] | list[Lot]) -> list[tuple[str, str, D, D]]:
    return [(lot.lot_id, lot.wallet, lot.amount, lot.cost) for lot in lots]


def test_ids_count_up_and_open_lots_filters_first_in_first_out() -> None:
    book = book_of(
        ("BTC", "a", "1", "100", utc(2024, 2, 1)),
        ("ETH", "a", "5", "50", utc(2024, 1, 1)),
        ("BTC", "b", "2", "300", utc(2024, 1, 1)),
    )
    assert view(book.open_lots("BTC")) == [("3", "b", D(2), D(300)), ("1", "a", D(1), D(100))]
    assert view(book.open_lots(wallet="a")) == [("1", "a", D(1), D(100)), ("2", "a", D(5), D(50))]
    assert book.held("BTC") == D(3)
    assert book.held("BTC", "a") == D(1)
    assert book.held("SOL") == D(0)


def test_partial_consumption_splits_the_lot_and_both_parts_keep_its_id() -> None:
    # Lot 1: 2 BTC for 100 (50/unit); lot 2: 1 BTC for 90. FIFO sale of 0.5 BTC takes 0.5 of lot 1:
    # cost 100 x 0.5 / 2 = 25; lot 1 keeps 1.5 BTC at 75.
    book = book_of(("BTC", "w", "2", "100", utc(2024, 1, 1)), ("BTC", "w", "1", "90", utc(2024, 2, 1)))
    pieces = book.consume("BTC", "w", D("0.5"), fifo)
    assert view(pieces) == [("1", "w", D("0.5"), D(25))]
    assert view(book.open_lots()) == [("1", "w", D("1.5"), D(75)), ("2", "w", D(1), D(90))]


def test_thirds_lose_nothing_to_rounding() -> None:
    # 3 units for 100, sold one by one. Piece 1: 100 x 1/3 = 33.33...33 (28 digits); the lot keeps the
    # exact rest 66.66...67 for 2 units. Piece 2: 66.66...67 / 2 = 33.33...335, rounded to 33.33...34
    # (28 digits); the lot keeps 33.33...33, which the last piece takes whole. Sum: exactly 100.
    book = book_of(("BTC", "w", "3", "100", utc(2024, 1, 1)))
    costs = [book.consume("BTC", "w", D(1))[0].cost for _ in range(3)]
    third = D("33.33333333333333333333333333")
    assert costs == [third, D("33.33333333333333333333333334"), third]
    assert sum(costs) == D(100)
    assert book.open_lots() == ()


def test_allocate_gives_the_rest_to_the_last_share() -> None:
    assert allocate(D("10"), [D(1), D(2)]) == [
        D("3.333333333333333333333333333"),
        D("6.666666666666666666666666667"),
    ]
    assert sum(allocate(D("10"), [D(1), D(2)])) == D(10)
    assert allocate(D("89910"), [D(1), D("0.5")]) == [D(59940), D(29970)]


def test_hifo_takes_the_highest_unit_cost_first_ties_first_in() -> None:
    # unit costs: lot 1 = 50, lot 2 = 90, lot 3 = 90 (later), lot 4 = 70
    book = book_of(
        ("BTC", "w", "2", "100", utc(2024, 1, 1)),
        ("BTC", "w", "1", "90", utc(2024, 2, 1)),
        ("BTC", "w", "2", "180", utc(2024, 3, 1)),
        ("BTC", "w", "1", "70", utc(2024, 4, 1)),
    )
    assert [lot.lot_id for lot in hifo(book.open_lots())] == ["2", "3", "4", "1"]
    # a sale of 3.5: lot 2 (1 @ 90) + lot 3 (2 @ 180) + 0.5 of lot 4 (35) = cost 305
    pieces = book.consume("BTC", "w", D("3.5"), hifo)
    assert view(pieces) == [("2", "w", D(1), D(90)), ("3", "w", D(2), D(180)), ("4", "w", D("0.5"), D(35))]


def test_by_key_and_specific_identification() -> None:
    book = book_of(
        ("BTC", "w", "1", "100", utc(2024, 1, 1)),
        ("BTC", "w", "1", "300", utc(2024, 2, 1)),
        ("BTC", "w", "1", "200", utc(2024, 3, 1)),
    )
    newest_first = by_key(lambda lot: -lot.acquired.timestamp())  # LIFO as a standing rule
    assert [lot.lot_id for lot in newest_first(book.open_lots())] == ["3", "2", "1"]
    pieces = book.consume("BTC", "w", D("1.5"), specific(["3", "1"]))
    assert view(pieces) == [("3", "w", D(1), D(200)), ("1", "w", D("0.5"), D(50))]
    with pytest.raises(TaxError, match=r"lot 3 is not open here \(open: 1, 2\)"):
        book.consume("BTC", "w", D("0.1"), specific(["3"]))
    with pytest.raises(TaxError, match=r"the chosen lots 1 hold only 0.5"):
        book.consume("BTC", "w", D(1), specific(["1"]))


def test_selling_more_than_held_names_asset_wallet_time_line_and_holding() -> None:
    book = book_of(("BTC", "w", "1.5", "100", utc(2024, 1, 1)), ("BTC", "x", "9", "100", utc(2024, 1, 1)))
    with pytest.raises(TaxError) as caught:
        book.consume("BTC", "w", D(2), when=utc(2024, 5, 1), line=7)
    assert str(caught.value) == (
        "selling 2 BTC from wallet 'w' at 2024-05-01T12:00:00+00:00 (line 7): it holds only 1.5"
    )
    assert isinstance(caught.value, ValueError)
    assert book.held("BTC", "w") == D("1.5")  # nothing consumed
    with pytest.raises(TaxError, match="must be > 0"):
        book.consume("BTC", "w", D(0))


def test_universal_sale_moves_basis_not_units() -> None:
    # Lot 1: 1 BTC in "cold" for 100; lot 2: 1 BTC in "hot" for 200. A universal FIFO sale of 1 BTC from
    # "hot" uses lot 1's basis (cost 100). The coin really left "hot", so "hot" hands its own unit (lot 2)
    # to "cold": "cold" still holds 1 BTC, now with lot 2's basis; "hot" holds none.
    book = book_of(("BTC", "cold", "1", "100", utc(2023, 1, 1)), ("BTC", "hot", "1", "200", utc(2023, 2, 1)))
    pieces = book.consume("BTC", "hot", D(1), fifo, universal=True)
    assert view(pieces) == [("1", "cold", D(1), D(100))]
    assert view(book.open_lots()) == [("2", "cold", D(1), D(200))]
    assert book.held("BTC", "hot") == D(0)
    # the selling wallet must still hold the units itself
    with pytest.raises(TaxError, match=r"wallet 'hot'.*holds only 0"):
        book.consume("BTC", "hot", D(1), fifo, universal=True)


def test_transfer_moves_the_oldest_units_with_their_date_and_cost() -> None:
    book = book_of(("BTC", "a", "1", "100", utc(2023, 1, 1)), ("BTC", "a", "1", "200", utc(2023, 2, 1)))
    moved = book.transfer("BTC", "a", "b", D("1.5"))
    assert view(moved) == [("1", "b", D(1), D(100)), ("2", "b", D("0.5"), D(100))]
    assert [lot.acquired for lot in moved] == [utc(2023, 1, 1), utc(2023, 2, 1)]
    assert view(book.open_lots(wallet="a")) == [("2", "a", D("0.5"), D(100))]


def test_pick_and_copy_leave_the_book_alone() -> None:
    book = book_of(("BTC", "w", "2", "100", utc(2024, 1, 1)))
    before = book.open_lots()
    assert view(book.pick("BTC", "w", D(1))) == [("1", "w", D(1), D(50))]
    assert book.open_lots() == before
    other = book.copy()
    other.consume("BTC", "w", D(2))
    assert book.open_lots() == before
    assert other.open_lots() == ()


def test_adjust_splits_off_a_numbered_piece() -> None:
    # 2 units for 100; 0.5 of them get 30 more basis and an earlier date: piece "1.1" costs 25 + 30 = 55
    book = book_of(("BTC", "w", "2", "100", utc(2024, 6, 1)))
    piece, rest = book.adjust(book.open_lots()[0], D("0.5"), extra_cost=D(30), acquired=utc(2024, 1, 1))
    assert (piece.lot_id, piece.amount, piece.cost, piece.acquired) == (
        "1.1",
        D("0.5"),
        D(55),
        utc(2024, 1, 1),
    )
    assert rest is not None
    assert view(book.open_lots()) == [("1.1", "w", D("0.5"), D(55)), ("1", "w", D("1.5"), D(75))]


def test_lot_ids_sort_as_numbers() -> None:
    assert sorted(["10", "2", "10.1", "1", "2.10", "2.9"], key=lot_id_key) == [
        "1",
        "2",
        "2.9",
        "2.10",
        "10",
        "10.1",
    ]

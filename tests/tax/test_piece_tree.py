"""A strand of pieces (trimtab.tax.piece_tree) behaves as the plain list of pieces it stands for."""

from __future__ import annotations

import random
from decimal import Decimal

from trimtab.tax.piece_tree import Piece, Strand, first, locate, pieces, remove, resize, split_units

D = Decimal


def _state(strand: Strand) -> list[tuple[Decimal, Decimal, int]]:
    return [(piece.amount, piece.cost, piece.seq) for piece in pieces(strand.root)]


def test_runs_split_off_by_units_and_joined_keep_order_places_and_totals() -> None:
    rng = random.Random(3)
    strands = [Strand(None, name) for name in ("a", "b", "c")]
    model: dict[str, list[list[object]]] = {strand.wallet: [] for strand in strands}
    nodes: dict[int, Piece] = {}
    seq = 0
    for _ in range(3000):
        strand = rng.choice(strands)
        items = model[strand.wallet]
        roll = rng.random()
        if roll < 0.3 or not items:  # a new piece at the end
            seq += 1
            piece = Piece(
                D(rng.choice(["0.1", "0.25", "1", "0.333", "2.50"])), D(rng.randint(1, 99)), seq, None
            )
            nodes[id(piece)] = piece
            strand.append(piece)
            items.append([piece.amount, piece.cost, seq, piece])
        elif roll < 0.6:  # the oldest pieces up to some units move to another strand, new places
            target = rng.choice([s for s in strands if s is not strand])
            units = D(rng.choice(["0.2", "1", "3", "0.75", "10"]))
            run, rest = split_units(strand.root, units)
            strand.set_root(rest)
            moved, total = 0, D(0)
            while moved < len(items) and total + items[moved][0] <= units:  # type: ignore[operator]
                total += items[moved][0]  # type: ignore[operator]
                moved += 1
            assert (run.size if run is not None else 0) == moved
            if run is not None:
                run.base = seq + 1
                assert run.total == total
                target.append(run)
            for item in items[:moved]:
                seq += 1
                item[2] = seq
            model[target.wallet].extend(items[:moved])
            del items[:moved]
        elif roll < 0.8:  # any piece consumed
            item = rng.choice(items)
            assert remove(item[3]) is strand  # type: ignore[arg-type]
            items.remove(item)
        else:  # any piece made smaller, in its place
            index = rng.randrange(len(items))
            item = items[index]
            item[0], item[1] = item[0] / 2, item[1] - 1  # type: ignore[operator]
            resize(item[3], item[0], item[1])  # type: ignore[arg-type]
            assert locate(item[3]) == (strand, index)  # type: ignore[arg-type]
        for each in strands:
            expected = [(amount, cost, place) for amount, cost, place, _ in model[each.wallet]]
            assert _state(each) == expected
            if each.root is not None:
                assert each.root.total == sum((amount for amount, _, _ in expected), D(0))
                assert first(each.root).amount == expected[0][0]

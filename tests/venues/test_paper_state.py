"""The paper venue's state file: persisted across runs, written atomically, corrupt files reported clearly."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest

from trimtab.errors import ConfigError, FatalVenueError, OrderRejected
from trimtab.model.orders import OrderRequest, Side
from trimtab.venues.paper import PaperVenue
from trimtab.venues.paper_state import STATE_FILE_NAME, PaperState, load_state, reset_state, save_state

MakeVenue = Callable[..., PaperVenue]


def buy(amount: str, cid: str) -> OrderRequest:
    return OrderRequest("BTC/USDT", Side.BUY, Decimal(amount), Decimal(60300), cid)


async def test_state_persists_across_venues_and_ignores_starting_balances(
    make_venue: MakeVenue, tmp_path: Path
) -> None:
    path = tmp_path / STATE_FILE_NAME
    first = make_venue(state_path=path)
    order = await first.place_order(buy("0.01234", "rebal-1"))
    await first.close()

    second = make_venue(state_path=path, balances={"USDT": Decimal(1)})

    balances = await second.fetch_balances()
    assert balances["BTC"].total == Decimal("0.51232766")
    assert balances["USDT"].total == Decimal("9259.60")
    assert await second.fetch_order("BTC/USDT", "rebal-1") == order
    assert second.state_path == path
    next_order = await second.place_order(buy("0.001", "rebal-2"))
    assert next_order.exchange_order_id == "2"


async def test_every_order_is_saved_without_waiting_for_close(make_venue: MakeVenue, tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    venue = make_venue(state_path=path)

    order = await venue.place_order(buy("0.001", "no-close"))

    saved = load_state(path)
    assert saved is not None
    assert saved.orders == {"no-close": order}
    assert saved.balances["BTC"] == Decimal("0.500999")


async def test_reading_and_closing_write_no_state_file(make_venue: MakeVenue, tmp_path: Path) -> None:
    # Until the first order the configured starting balances stay editable: nothing is frozen on disk.
    path = tmp_path / "data" / STATE_FILE_NAME
    venue = make_venue(state_path=path)
    await venue.fetch_balances()
    await venue.close()
    assert not path.exists()


async def test_first_order_writes_balances_as_decimal_strings(make_venue: MakeVenue, tmp_path: Path) -> None:
    path = tmp_path / "data" / STATE_FILE_NAME
    venue = make_venue(state_path=path)
    with pytest.raises(OrderRejected):
        await venue.place_order(OrderRequest("BTC/USDT", Side.BUY, Decimal("0"), Decimal("1"), "x"))
    assert not path.exists(), "a rejected order changes nothing"
    prices = await venue.fetch_prices("USDT", ["BTC"])
    limit = prices["BTC"].quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    await venue.place_order(OrderRequest("BTC/USDT", Side.BUY, Decimal("0.001"), limit, "first"))
    state = json.loads(path.read_text())
    assert state["version"] == 1
    assert all(isinstance(v, str) for v in state["balances"].values())
    assert list(state["orders"]) == ["first"]
    assert os.listdir(path.parent) == [STATE_FILE_NAME]  # no temp file left behind


async def test_memory_only_venue_writes_nothing(
    make_venue: MakeVenue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    venue = make_venue(state_path=None)

    await venue.place_order(buy("0.001", "a"))
    await venue.close()

    assert venue.state_path is None
    assert list(tmp_path.iterdir()) == []


def test_failed_replace_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / STATE_FILE_NAME
    save_state(path, PaperState.initial({"USDT": Decimal(1)}))

    def crash(source: str, target: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(FatalVenueError, match="cannot write the paper venue state"):
        save_state(path, PaperState.initial({"USDT": Decimal(2)}))

    assert os.listdir(tmp_path) == [STATE_FILE_NAME]
    saved = load_state(path)
    assert saved is not None
    assert saved.balances == {"USDT": Decimal(1)}


async def test_order_whose_state_cannot_be_saved_is_not_applied(
    make_venue: MakeVenue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / STATE_FILE_NAME
    venue = make_venue(state_path=path)
    await venue.place_order(buy("0.001", "first"))
    before = await venue.fetch_balances()

    def disk_full(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)

    with pytest.raises(FatalVenueError, match="cannot write the paper venue state"):
        await venue.place_order(buy("0.001", "a"))

    assert await venue.fetch_balances() == before
    assert await venue.fetch_order("BTC/USDT", "a") is None
    saved = load_state(path)
    assert saved is not None
    assert list(saved.orders) == ["first"], "the file still holds the state before the failed order"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "it is not valid JSON"),
        ("[]", "the top level must be a JSON object"),
        ('{"version": 2}', "unsupported version 2"),
        (
            '{"version": 1, "balances": {"USDT": 10}, "next_order_id": 1, "orders": {}}',
            "balances.USDT must be a decimal string",
        ),
        (
            '{"version": 1, "balances": {"USDT": "-1"}, "next_order_id": 1, "orders": {}}',
            "balances.USDT must be a finite non-negative",
        ),
        (
            '{"version": 1, "balances": {}, "next_order_id": 0, "orders": {}}',
            "next_order_id must be a positive integer",
        ),
        ('{"version": 1, "balances": {}, "next_order_id": 1, "orders": {"a": {"fills": []}}}', "orders.a"),
    ],
)
def test_corrupt_state_file_is_a_one_line_config_error(
    make_venue: MakeVenue, tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / STATE_FILE_NAME
    path.write_text(content)

    with pytest.raises(ConfigError) as caught:
        make_venue(state_path=path)

    message = str(caught.value)
    assert message.startswith(f"{path}: paper venue state: ")
    assert problem in message
    assert message.endswith("start the account and the ledger over with `trimtab reset`")
    assert "\n" not in message


def test_unreadable_state_path_is_a_config_error(make_venue: MakeVenue, tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    path.mkdir()

    with pytest.raises(ConfigError, match="cannot read the paper venue state"):
        make_venue(state_path=path)


def test_reset_state_deletes_the_file(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE_NAME
    save_state(path, PaperState.initial({"USDT": Decimal(1)}))

    assert reset_state(path) is True
    assert not path.exists()
    assert reset_state(path) is False
    assert load_state(path) is None

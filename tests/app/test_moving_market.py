"""Building a moving paper market from a config: what is refused before the first run, and how."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from configs import yaml_config

from trimtab.app.moving_market import check_moving_market
from trimtab.config import load_config
from trimtab.errors import ConfigError


def replay_on(prices: str) -> str:
    return yaml_config(
        weights={"BTC": 60, "USDT": 40},
        exchange={
            "name": "paper",
            "balances": {"USDT": 1000},
            "replay": {"start": "2024-01-01", "prices": prices},
        },
    )


def test_a_missing_price_file_names_the_key_and_where_it_was_looked_for(
    write_config: Callable[..., Path],
) -> None:
    # replay.prices is relative to the config's folder: the line says which file was looked for, and
    # which key named it, not just the name as written.
    path = write_config(replay_on("hourly.csv"))
    with pytest.raises(ConfigError) as raised:
        check_moving_market(load_config(path), str(path))
    assert raised.value.key == "exchange.replay.prices"
    assert str(raised.value) == (
        f"{path}: exchange.replay.prices: cannot read {path.parent / 'hourly.csv'} (No such file or directory)"
    )


def test_a_problem_inside_the_price_file_still_names_its_line(write_config: Callable[..., Path]) -> None:
    path = write_config(replay_on("closes.csv"))
    (path.parent / "closes.csv").write_text("date,BTC\n2023-12-30,42000\n2023-12-31,oops\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"closes\.csv: line 3"):
        check_moving_market(load_config(path), str(path))

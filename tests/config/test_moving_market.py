"""``exchange.replay`` and ``exchange.prices_from``: paper only, one at a time, never with fixed prices;
every mistake is one line naming the key. The example replay config validates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from trimtab.app.assembly import check_exchange
from trimtab.config import load_config
from trimtab.config.load import config_from_mapping
from trimtab.config.models import Config
from trimtab.errors import ConfigError

WEIGHTS = {"portfolio": {"target_weights": {"BTC": 50, "ETH": 30, "USDT": 20}}}


def config(exchange: dict[str, object], **top: object) -> Config:
    return config_from_mapping({**WEIGHTS, "exchange": {"name": "paper", **exchange}, **top}, "cfg.yaml")


def error_of(exchange: dict[str, object], **top: object) -> str:
    with pytest.raises(ConfigError) as raised:
        check_exchange(config(exchange, **top), "cfg.yaml")
    return str(raised.value)


def test_a_replay_takes_a_date_or_a_time_and_a_speed() -> None:
    replay = config({"replay": {"start": "2024-01-01"}}).exchange.replay
    assert replay is not None
    assert replay.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert replay.speed == Decimal(86400)
    timed = config({"replay": {"start": "2024-01-01T12:30:00+02:00", "speed": 3600}}).exchange.replay
    assert timed is not None
    assert timed.start == datetime(2024, 1, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("exchange", "message"),
    [
        ({"replay": {"start": "2024-01-01", "speed": 0}}, "exchange.replay.speed: expected a number in (0, "),
        (
            {"replay": {"start": "2024-01-01", "speed": -5}},
            "exchange.replay.speed: expected a number in (0, ",
        ),
        ({"replay": {"start": "soon"}}, "exchange.replay.start: expected a date YYYY-MM-DD or a time"),
        ({"replay": {"speed": 10}}, "exchange.replay.start: required key is missing"),
        ({"replay": {"start": "2024-01-01", "sped": 10}}, "exchange.replay.sped: unknown key 'sped'"),
        (
            {"replay": {"start": "2024-01-01"}, "prices_from": "binance"},
            "exchange: replay and prices_from exclude each other",
        ),
        ({"replay": {"start": "2024-01-01"}, "prices": "2024-01-01"}, "exchange: prices and replay exclude"),
        ({"prices_from": "binance", "prices": {"BTC": 60000}}, "exchange: prices and prices_from exclude"),
        ({"prices_from": "Binance"}, "exchange.prices_from: expected a ccxt exchange id in lower case"),
        ({"name": "binance", "replay": {"start": "2024-01-01"}}, "exchange: replay only apply to the paper"),
        ({"name": "binance", "prices_from": "kraken"}, "exchange: prices_from only apply to the paper"),
    ],
)
def test_a_wrong_moving_market_is_one_line_naming_the_key(exchange: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config(exchange)
    line = str(raised.value)
    assert line.startswith("cfg.yaml: ")
    assert message in line
    assert "\n" not in line


def test_an_unknown_prices_from_exchange_names_the_key() -> None:
    line = error_of({"prices_from": "binanse"})
    assert line.startswith("cfg.yaml: exchange.prices_from: unknown exchange 'binanse'")
    assert "binance" in line


def test_a_replay_start_outside_the_prices_is_refused() -> None:
    line = error_of({"replay": {"start": "2010-01-01"}})
    assert line.startswith(
        "cfg.yaml: exchange.replay.start: 2010-01-01 00:00 UTC is outside the prices in bundled"
    )


def test_an_asset_not_yet_listed_at_the_start_is_refused() -> None:
    line = error_of(
        {"replay": {"start": "2018-01-01"}}, portfolio={"target_weights": {"SOL": 50, "USDT": 50}}
    )
    assert line.startswith("cfg.yaml: exchange.replay.start: SOL has no price yet at 2018-01-01 00:00 UTC")


def test_a_replay_file_is_read_like_the_backtesters(tmp_path: Path) -> None:
    (tmp_path / "hourly.csv").write_text(
        "datetime,BTC,ETH\n2024-03-01 00:00,100,10\n2024-03-01 01:00,101,11\n"
    )
    path = tmp_path / "cfg.yaml"
    path.write_text(
        "portfolio: {target_weights: {BTC: 50, ETH: 30, USDT: 20}}\n"
        "exchange: {name: paper, balances: {USDT: 1000}, replay: {start: 2024-03-01T01:00:00Z, prices: hourly.csv}}\n"
    )
    check_exchange(load_config(path), str(path))  # relative to the config's folder
    (tmp_path / "hourly.csv").write_text("datetime,BTC\n2024-03-01 00:00,100\n2024-03-01 01:00,101\n")
    with pytest.raises(ConfigError, match="ETH is not in the file"):
        check_exchange(load_config(path), str(path))
    (tmp_path / "hourly.csv").unlink()
    with pytest.raises(
        ConfigError, match=r"exchange\.replay\.prices: cannot read .*hourly\.csv \(No such file"
    ):
        check_exchange(load_config(path), str(path))


def test_the_bundled_dollar_prices_need_a_dollar_quote() -> None:
    line = error_of({"replay": {"start": "2024-01-01"}}, quote="EUR")
    assert line.startswith("cfg.yaml: exchange.replay.prices: the bundled prices are in US dollars")


def test_the_example_replay_config_validates() -> None:
    example = resources.files("trimtab.examples").joinpath("replay.yaml")
    with resources.as_file(example) as path:
        loaded = load_config(path)
        check_exchange(loaded, str(path))
    replay = loaded.exchange.replay
    assert replay is not None
    assert replay.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert replay.speed == Decimal(86400)
    assert loaded.rebalancing.schedule is not None
    assert loaded.rebalancing.schedule.interval == "monthly"


def test_validate_says_how_the_paper_market_moves(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trimtab.cli.main import app

    replay = tmp_path / "replay.yaml"
    replay.write_text(
        "portfolio: {target_weights: {BTC: 50, USDT: 50}}\n"
        "exchange: {name: paper, balances: {USDT: 1000}, replay: {start: 2024-03-01, speed: 3600}}\n",
        encoding="utf-8",
    )
    done = CliRunner().invoke(app, ["validate", "-c", str(replay)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "paper exchange replaying the market from 2024-03-01 at 3,600x" in done.output

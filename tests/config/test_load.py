"""Loading config files: the README's example (seed.yaml), defaults, and one clear line for every kind of bad input."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from trimtab.config import Strategy, UnlistedAssets, load_config
from trimtab.errors import ConfigError

FIXTURES = Path(__file__).parent.parent / "fixtures"

BASE = """
portfolio:
  target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trimtab.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_code == 2
    return message.removeprefix(str(tmp_path / "trimtab.yaml") + ": ")


def test_seed_example_loads_exactly_as_written() -> None:
    config = load_config(FIXTURES / "seed_example.yaml")
    assert config.portfolio.target_weights == {
        "BTC": Decimal(40),
        "ETH": Decimal(30),
        "SOL": Decimal(15),
        "BNB": Decimal(10),
        "USDT": Decimal(5),
    }
    assert config.rebalancing.strategy is Strategy.HYBRID
    assert config.rebalancing.threshold_percent == Decimal("5.0")
    assert config.rebalancing.check_interval_hours == Decimal(24)
    assert config.rebalancing.min_trade_usd == Decimal(20)
    window = config.window
    assert window is not None
    assert window.weekdays == frozenset({0, 1, 2, 3, 4})
    assert window.hours_utc == (8, 20)
    assert config.risk.max_single_trade_percent == Decimal(20)
    assert config.risk.slippage_tolerance == Decimal("0.5")


def test_defaults_fill_what_the_seed_leaves_out() -> None:
    config = load_config(FIXTURES / "seed_example.yaml")
    assert config.quote == "USDT"
    assert config.exchange.name == "paper"
    assert config.exchange.fee_rate == Decimal("0.001")
    assert config.data_dir == "trimtab-data"
    assert config.database_url is None
    assert config.portfolio.unlisted_assets is UnlistedAssets.IGNORE


def test_bundled_example_config_is_valid(tmp_path: Path) -> None:
    text = resources.files("trimtab.examples").joinpath("trimtab.yaml").read_text(encoding="utf-8")
    config = load_config(write(tmp_path, text))
    assert config.exchange.prices == date(2025, 12, 31)
    assert config.exchange.balances == {"USDT": Decimal(10000)}


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    with pytest.raises(Exception, match="frozen"):
        config.quote = "EUR"  # type: ignore[misc]


def test_weights_are_exact_decimals_not_floats(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "portfolio:\n  target_weights: {BTC: 33.33, ETH: 33.33, SOL: 33.34}\n")
    )
    assert config.portfolio.target_weights is not None
    assert config.portfolio.target_weights["BTC"] == Decimal("33.33")


def test_calendar_schedule_with_unquoted_time(tmp_path: Path) -> None:
    text = (
        BASE
        + "rebalancing:\n  strategy: calendar\n  schedule: {type: calendar, interval: weekly, day: monday, time: 12:00}\n"
    )
    schedule = load_config(write(tmp_path, text)).rebalancing.schedule
    assert schedule is not None
    assert schedule.time == time(12, 0)
    assert schedule.weekday == 0


def test_monthly_schedule_takes_a_day_of_month(tmp_path: Path) -> None:
    text = (
        BASE + "rebalancing:\n  strategy: calendar\n  schedule: {interval: monthly, day: 15, time: '08:30'}\n"
    )
    schedule = load_config(write(tmp_path, text)).rebalancing.schedule
    assert schedule is not None
    assert schedule.day_of_month == 15
    assert schedule.time == time(8, 30)


def test_paper_exchange_prices_may_be_a_mapping(tmp_path: Path) -> None:
    text = BASE + "exchange: {name: paper, balances: {btc: 0.5, USDT: 1000}, prices: {BTC: 60000}}\n"
    exchange = load_config(write(tmp_path, text)).exchange
    assert exchange.balances == {"BTC": Decimal("0.5"), "USDT": Decimal(1000)}
    assert exchange.prices == {"BTC": Decimal(60000)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "portfolio:\n  target_weights: {BTC: 40, ETH: 30, SOL: 15, BNB: 10}\n",
            "portfolio.target_weights: weights sum to 95, they must sum to 100",
        ),
        (
            "portfolio:\n  target_weights: {BTC: 95, ETH: -5}\n",
            "portfolio.target_weights.ETH: expected a number in [0, 100], got -5",
        ),
        (
            "portfolio:\n  target_weights: {BTC: lots, ETH: 50}\n",
            "portfolio.target_weights.BTC: expected a number, got 'lots'",
        ),
        (
            BASE + "rebalancing: {strategy: monthly}\n",
            "rebalancing.strategy: expected 'calendar', 'threshold' or 'hybrid'",
        ),
        (
            BASE + "rebalancing:\n  rebalance_window: {days: [monday, funday]}\n",
            "rebalancing.rebalance_window.days: unknown weekday 'funday'",
        ),
        (
            BASE + "rebalancing:\n  rebalance_window: {hours_utc: [8, 25]}\n",
            "rebalancing.rebalance_window.hours_utc: hours must be within 0-24, got [8, 25]",
        ),
        (
            BASE + "rebalancing:\n  rebalance_window: {hours_utc: [20, 8]}\n",
            "rebalancing.rebalance_window.hours_utc: the start hour must be before the end hour, got [20, 8]",
        ),
        (
            BASE + "rebalancing: {threshold_percent: 0}\n",
            "rebalancing.threshold_percent: expected a number in (0, 100], got 0",
        ),
        (
            BASE + "rebalancing: {threshold_percent: -1}\n",
            "rebalancing.threshold_percent: expected a number in (0, 100], got -1",
        ),
        (
            BASE + "rebalancing: {min_trade_usd: -10}\n",
            "rebalancing.min_trade_usd: expected a number in [0, 1e15], got -10",
        ),
        (
            BASE + "risk: {max_single_trade_percent: 0}\n",
            "risk.max_single_trade_percent: expected a number in (0, 100], got 0",
        ),
        (
            BASE + "risk: {max_single_trade_percent: 150}\n",
            "risk.max_single_trade_percent: expected a number in (0, 100], got 150",
        ),
        (
            BASE + "risk: {slippage_tolerance: -0.5}\n",
            "risk.slippage_tolerance: expected a number in [0, 100), got -0.5",
        ),
        (
            BASE + "rebalancing: {treshold_percent: 5}\n",
            "rebalancing.treshold_percent: unknown key 'treshold_percent'; did you mean 'threshold_percent'?",
        ),
        (
            BASE + "risk: {slippage: 1}\n",
            "risk.slippage: unknown key 'slippage'; did you mean 'slippage_tolerance'?",
        ),
        (BASE + "portfolios: {}\n", "portfolios: unknown key 'portfolios'; did you mean 'portfolio'?"),
        ("rebalancing: {strategy: hybrid}\n", "portfolio: required key is missing"),
        (BASE + "rebalancing: {strategy: calendar}\n", "rebalancing: strategy calendar needs a schedule"),
        (
            BASE + "rebalancing:\n  strategy: calendar\n  schedule: {interval: weekly, day: someday}\n",
            "rebalancing.schedule: unknown weekday 'someday'",
        ),
        (
            BASE + "exchange: {name: Binance}\n",
            "exchange.name: expected 'paper' or a ccxt exchange id in lower case",
        ),
        (
            BASE + "exchange: {name: binance, api_key: abc123}\n",
            "exchange: api_key: API keys and secrets never go in the config file",
        ),
        (
            BASE + "exchange: {name: binance, balances: {USDT: 100}}\n",
            "exchange: balances only apply to the paper exchange",
        ),
        (
            BASE + "exchange: {name: binance, api_url: 'localhost:8080'}\n",
            "exchange.api_url: expected a base URL",
        ),
        (BASE + "exchange: {fee_rate: 0.5}\n", "exchange.fee_rate: expected a number in [0, 0.1), got 0.5"),
        (BASE + "exchange: {prices: yesterday}\n", "exchange.prices"),
        ("portfolio:\n  target_weights: {}\n", "portfolio.target_weights: no assets given"),
        (
            "portfolio:\n  target_weights: {BTC: 50, USDT: 50}\n  dynamic_weights: {method: inverse_volatility, assets: [BTC]}\n",
            "portfolio: give exactly one of target_weights (fixed) or dynamic_weights",
        ),
        (
            "portfolio:\n  dynamic_weights: {method: inverse_volatility, assets: [BTC, ETH], min_weight: 60}\n",
            "portfolio.dynamic_weights: min_weight 60 x 2 assets exceeds the 100% left after cash",
        ),
        ("- just\n- a list\n", "expected a mapping of sections at the top, got list"),
        (
            BASE + "risk: {slippage_tolerance: 100}\n",
            "risk.slippage_tolerance: expected a number in [0, 100), got 100",
        ),
        (
            BASE + "exchange: {slippage_bps: 10000}\n",
            "exchange.slippage_bps: expected a number in [0, 10000), got 10000",
        ),
        (
            "portfolio:\n  dynamic_weights: {method: inverse_volatility, assets: [BTC, ETH], min_weight: 5.00001}\n",
            "portfolio.dynamic_weights.min_weight: expected a multiple of 0.0001, got 5.00001",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "portfolio:\n  target_weights: {BTC: 40\n  oops: [\n")
    assert message.startswith("line ")
    assert "not valid YAML" in message


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    assert "key 'BTC' appears twice" in error_of(
        tmp_path, "portfolio:\n  target_weights:\n    BTC: 50\n    BTC: 50\n"
    )


def test_empty_file(tmp_path: Path) -> None:
    assert "the file is empty" in error_of(tmp_path, "")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.yaml")


def test_a_key_in_the_config_is_refused_without_echoing_it(tmp_path: Path) -> None:
    message = error_of(tmp_path, BASE + "exchange: {name: binance, secret: s3cr3t-value}\n")
    assert "s3cr3t-value" not in message
    assert "TRIMTAB_API_SECRET" in message


def test_several_problems_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    message = error_of(tmp_path, BASE + "risk: {slippage_tolerance: -1, max_single_trade_percent: 0}\n")
    assert message.endswith("(and 1 more problem)")

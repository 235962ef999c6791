"""Every bad input gets one line naming the file or flag and what is allowed, exit code 2, in bounded
time and memory; never an ``unexpected ...`` error. A table across the commands, plus hypothesis over
the numbers a config may hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()

GOOD = """
portfolio: {target_weights: {BTC: 40, ETH: 30, USDT: 30}}
exchange: {balances: {USDT: 10000, BTC: 0.1}}
data_dir: data
"""

BASE = "portfolio: {target_weights: {BTC: 40, ETH: 30, USDT: 30}}\n"

LAUGHS = "\n".join(
    [
        'x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 8)),
        "portfolio: {target_weights: *a7}",
    ]
)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stderr


def config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "trimtab.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def one_line_exit_2(code: int, err: str) -> str:
    assert code == 2, err
    assert "unexpected" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert len(err) < 600  # never the (expanded) value itself
    return err


CONFIGS = [
    (LAUGHS, "line 6: not valid YAML: the document holds more than 100,000 values"),
    ("portfolio: " + "[" * 5000 + "]" * 5000, "nested deeper than 32 levels"),
    ("x: &a [*a]\n" + GOOD, "alias *a refers to the value that contains it"),
    (
        "b: &b {BTC: 50, USDT: 50}\nportfolio: {target_weights: {<<: *b}}\n",
        "merge keys (<<) are not supported",
    ),
    (BASE + "exchange: {prices: 2024-13-45}\n", "'2024-13-45' is not a valid date"),
    ("portfolio: {target_weights: {BTC: " + "1" * 5000 + "}}\n", "is not a valid whole number"),
    ("portfolio: {target_weights: {[1]: 50}}\n", "a key must be text or a number"),
    (
        "portfolio: {target_weights: {BTC: 50, USDT: 50}}\nexchange: {balances: {BTC: 1e16}}\n",
        "exchange.balances.BTC: expected a number in [0, 1e15], got 1E+16",
    ),
    (
        "portfolio: {target_weights: {BTC: 50, USDT: 50}}\nexchange: {prices: {BTC: 1e-30}}\n",
        "exchange.prices.BTC: expected a number in [1e-12, 1e12], got 1E-30",
    ),
    (
        "portfolio: {target_weights: {BTC: 50, USDT: 50}}\nexchange: {prices: {BTC: 1e400}}\n",
        "exchange.prices.BTC: expected a number in [1e-12, 1e12]",
    ),
    (
        "portfolio: {target_weights: {BTC: 50, USDT: 50}}\nexchange: {balances: {BTC: 1e14}}\n",
        "exchange.balances.BTC: 1e14 BTC at",
    ),
    ("portfolio: {target_weights: {BTC: 1e400, USDT: 50}}\n", "expected a number in [0, 100]"),
    (
        GOOD + "rebalancing: {threshold_percent: 1e400}\n",
        "rebalancing.threshold_percent: expected a number in (0, 100]",
    ),
    (GOOD + "rebalancing: {check_interval_hours: 1e400}\n", "expected a number in [0.01, 8784]"),
    (
        GOOD + "rebalancing: {min_trade_usd: 1e400}\n",
        "rebalancing.min_trade_usd: expected a number in [0, 1e15]",
    ),
    (
        BASE + "exchange: {markets: {BTC/USDT: {amount_step: 1e-30}}}\n",
        "exchange.markets.BTC/USDT.amount_step: expected a number in [1e-12, 1e15]",
    ),
    (
        BASE + "exchange: {markets: {BTC/USDT: {price_tick: 1e-30}}}\n",
        "expected 0 (no grid) or a number in [1e-12, 1e12]",
    ),
    (BASE + "quote: '!" + "A" * 100000 + "'\n", "is not an asset symbol"),
    (
        GOOD + "tax: {jurisdiction: us, harvest_min_loss: 1e400}\n",
        "tax.harvest_min_loss: expected a number in [0, 1e15]",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CONFIGS)
def test_validate_answers_a_bad_config_in_one_line(tmp_path: Path, text: str, expected: str) -> None:
    err = one_line_exit_2(*invoke("validate", "-c", config(tmp_path, text)))
    assert expected in err


def test_a_config_larger_than_one_mib_is_refused_unread(tmp_path: Path) -> None:
    path = config(tmp_path, GOOD + "#" + "x" * (1 << 20))
    assert "is larger than 1 MiB" in one_line_exit_2(*invoke("validate", "-c", path))


def test_a_device_is_refused_as_a_config() -> None:
    err = one_line_exit_2(*invoke("validate", "-c", "/dev/urandom"))
    assert "/dev/urandom: is not a regular file" in err


def test_a_binary_file_is_refused_as_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "trimtab.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "not a UTF-8 text file" in one_line_exit_2(*invoke("validate", "-c", str(path)))


FLAGS = [
    (
        ["history", "--run", "99999999999999999999999"],
        "--run: expected a run id from 1 to 9223372036854775807",
    ),
    (["history", "--run", "0"], "--run: expected a run id from 1 to"),
    (["backtest", "--initial", "1e400"], "--initial: expected a number in (0, 1e15], got 1e400"),
    (["backtest", "--initial", "0"], "--initial: expected a number in (0, 1e15]"),
    (["backtest", "--initial", "nan"], "--initial: expected a number in (0, 1e15]"),
    (["backtest", "--initial", "1e-400"], "--initial: 1e-400 USDT is too little to buy BTC, ETH"),
    (["backtest", "--initial", "1"], "start with at least 35 USDT"),
    (["backtest", "--fee-rate", "5"], "--fee-rate: expected a number in [0, 0.1), got 5"),
    (["backtest", "--slippage-bps", "1e30"], "--slippage-bps: expected a number in [0, 10000)"),
    (["sweep", "--initial", "1e400"], "--initial: expected a number in (0, 1e15]"),
    (["sweep", "--intervals", "1e400", "--calendars", ""], "--intervals: expected hours in [0.01, 8784]"),
]


@pytest.mark.parametrize(("args", "expected"), FLAGS)
def test_a_bad_flag_is_one_line_naming_it_and_its_range(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    err = one_line_exit_2(*invoke(*args, "-c", config(tmp_path, GOOD)))
    assert expected in err


def test_history_with_a_huge_limit_lists_what_there_is(tmp_path: Path) -> None:
    code, err = invoke("history", "-n", "99999999999999999999999", "-c", config(tmp_path, GOOD))
    assert code == 0, err


NUMBER_KEYS = [
    "portfolio.target_weights.BTC",
    "rebalancing.threshold_percent",
    "rebalancing.relative_threshold_percent",
    "rebalancing.check_interval_hours",
    "rebalancing.min_trade_usd",
    "risk.max_single_trade_percent",
    "risk.slippage_tolerance",
    "risk.max_price_move_percent",
    "exchange.balances.BTC",
    "exchange.prices.BTC",
    "exchange.fee_rate",
    "exchange.fill_ratio",
    "exchange.slippage_bps",
    "exchange.markets.BTC/USDT.amount_step",
    "exchange.markets.BTC/USDT.min_amount",
    "exchange.markets.BTC/USDT.min_notional",
    "exchange.markets.BTC/USDT.price_tick",
]

NUMBERS = st.one_of(
    st.sampled_from(
        ["1e400", "-1e400", "1e-400", "1e-30", "1e30", "0", "-0", "nan", ".inf", "1e999999999", "-1"]
    ),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)


def nested(key: str, value: str) -> str:
    *parents, leaf = key.split(".", 3) if "markets" in key else key.split(".")
    if "markets" in key:  # exchange.markets.BTC/USDT.field
        section, markets, symbol, leaf = key.split(".")
        parents = [section, markets, symbol]
    text = f"{leaf}: {value}"
    for parent in reversed(parents):
        text = f"{parent}: {{{text}}}"
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(NUMBER_KEYS), value=NUMBERS)
def test_any_number_anywhere_is_valid_or_one_line_exit_2(tmp_path: Path, key: str, value: str) -> None:
    text = nested(key, value)
    base = "portfolio: {target_weights: {BTC: 50, USDT: 50}}\n" if not key.startswith("portfolio") else ""
    code, err = invoke("validate", "-c", config(tmp_path, base + text + "\n"))
    assert code in (0, 2), err
    assert "unexpected" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert len(err) < 600, err

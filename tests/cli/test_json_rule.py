"""The README's JSON rule, held by every command's ``--json`` output: no JSON floats anywhere.

README "JSON output": every number that is not a count is a decimal string (money, amounts, prices,
rates, percentages, ratios), in plain notation (no exponent); the integers are the counts, ids,
years and similar, and exactly the keys listed in :data:`INTEGER_KEYS` (the README lists the same).
Each command runs for real, in process, on a real paper account and a real SQLite ledger; a command
with ``--json`` that this test does not run fails it, so a new command cannot slip past the rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from configs import yaml_config
from typer.testing import CliRunner

from trimtab.cli.main import app

runner = CliRunner()

# The README's list ("JSON output"): the keys whose values are JSON integers.
INTEGER_KEYS = frozenset(
    {
        "bars",
        "defer_days",
        "deferred",
        "imported",
        "leg",
        "orders",
        "rank",
        "rebalances",
        "run_id",
        "skipped",
        "workers",
        "year",
    }
)
EXPONENT = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")

CONFIG = yaml_config(
    risk={"max_single_trade_percent": 20, "slippage_tolerance": 0.5}, tax={"jurisdiction": "us"}
)
# The paper portfolio's lots, bought on 1 Jan 2024 (so the plan's estimate and the report have them).
HISTORY = "timestamp,wallet,type,asset,amount,price,fee,fee_asset\n" + "".join(
    f"2024-01-01,paper,buy,{asset},{amount},{price},,\n"
    for asset, amount, price in (
        ("BTC", "0.09053", "44000"),
        ("ETH", "1.2754", "2350"),
        ("SOL", "13.647", "110"),
        ("BNB", "3.189", "315"),
    )
)


def json_commands() -> set[str]:
    """Every command (``tax report`` for subcommands) that takes ``--json``."""

    def walk(command: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                yield from walk(child, (*prefix, name))
        elif any("--json" in param.opts for param in command.params):
            yield prefix

    return {" ".join(name) for name in walk(typer.main.get_command(app), ())}


def offenders(value: Any, path: str = "$", key: str = "") -> Iterator[str]:
    """Where ``value`` breaks the rule: a float, an integer under a key not in INTEGER_KEYS, or a
    number written with an exponent."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from offenders(item, f"{path}.{name}", name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from offenders(item, f"{path}[{index}]", key)
    elif isinstance(value, float):
        yield f"{path}: float {value!r}"
    elif isinstance(value, int) and not isinstance(value, bool) and key not in INTEGER_KEYS:
        yield f"{path}: integer {value!r} under a key that is not a count"
    elif isinstance(value, str) and EXPONENT.fullmatch(value):
        yield f"{path}: {value!r} has an exponent"


def invoke(folder: Path, *args: str) -> list[Any]:
    """Run ``trimtab ARGS`` in ``folder``; its stdout as JSON documents (``run`` prints one a line)."""
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    text = result.stdout.strip()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines()]


def served(config: Path) -> list[Any]:
    """``trimtab serve --json``'s events (a real process: it runs until a signal) up to its first wait."""
    from serving import environment, serve

    process = serve(config, env=environment({"TRIMTAB_NOW": ""}))
    process.until(lambda event: event["event"] == "sleep")
    code, stderr = process.stop()
    assert code == 0, stderr
    return process.events


def notify_tested(folder: Path) -> list[Any]:
    """``trimtab notify-test --json`` against a real receiver (apprise's json:// on loopback)."""
    from notify_receiver import Receiver

    with Receiver() as receiver:
        config = folder / "notifying.yaml"
        config.write_text(CONFIG + f"notify: {{urls: [{json.dumps(receiver.url())}]}}\n", encoding="utf-8")
        return invoke(folder, "notify-test", "-c", str(config), "--json")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """The --json output of every command, run one after the other like a user would."""
    folder = tmp_path_factory.mktemp("json")
    config = folder / "trimtab.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    (folder / "history.csv").write_text(HISTORY, encoding="utf-8")
    c = ("-c", str(config), "--json")
    done: dict[str, list[Any]] = {}
    done["init"] = invoke(folder, "init", "-c", str(folder / "new.yaml"), "--json")
    done["validate"] = invoke(folder, "validate", *c)
    done["tax import"] = invoke(folder, "tax", "import", str(folder / "history.csv"), *c)
    done["status"] = invoke(folder, "status", *c)
    done["plan"] = invoke(folder, "plan", "--force", *c)
    done["rebalance"] = invoke(folder, "rebalance", "--force", *c)
    done["run"] = invoke(folder, "run", "--max-runs", "1", *c)
    done["history"] = invoke(folder, "history", *c) + invoke(folder, "history", "--run", "1", *c)
    year = done["rebalance"][0]["tax"]["year"]
    done["tax report"] = invoke(folder, "tax", "report", "--year", str(year), *c)
    done["tax harvest"] = invoke(folder, "tax", "harvest", "--min-loss", "0", *c)
    done["backtest"] = invoke(
        folder, "backtest", *c, "--start", "2023-01-01", "--end", "2023-12-31", "-j", "de"
    )
    done["sweep"] = invoke(
        folder, "sweep", *c, "--start", "2023-01-01", "--end", "2023-06-30", "--thresholds", "5",
        "--intervals", "", "--calendars", "monthly", "--fee-rates", "0.001", "--workers", "1",
    )  # fmt: skip
    done["demo"] = invoke(folder, "demo", "--dir", str(folder / "demo"), "--json")
    done["serve"] = served(config)
    done["notify-test"] = notify_tested(folder)
    done["withdraw"] = invoke(folder, "withdraw", "100", *c)
    done["guards"] = invoke(folder, "guards", *c)
    done["reset"] = invoke(folder, "reset", *c)
    return done


def test_every_command_with_json_is_checked(outputs: dict[str, list[Any]]) -> None:
    assert set(outputs) == json_commands()


@pytest.mark.parametrize("command", sorted(json_commands()))
def test_json_numbers_are_decimal_strings_and_integers_only_count(
    outputs: dict[str, list[Any]], command: str
) -> None:
    assert outputs[command], f"{command} printed nothing"
    assert [where for document in outputs[command] for where in offenders(document)] == []


def test_the_rule_catches_floats_stray_integers_and_exponents() -> None:
    bad = {"total": 1.5, "amount": 3, "rebalances": 2, "rate": "1e-05", "fine": ["0.00001", True, None]}
    assert list(offenders(bad)) == [
        "$.total: float 1.5",
        "$.amount: integer 3 under a key that is not a count",
        "$.rate: '1e-05' has an exponent",
    ]

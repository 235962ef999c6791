"""Config files for tests, built from keyword overrides instead of copied YAML.

``yaml_config()`` is the drifted paper portfolio most tests start from (the README's seed weights,
bought at the targets with 10,000 USDT on 2024-01-01, priced at the closes of 2024-12-31); each keyword
replaces one part of it, and ``None`` leaves that part out::

    yaml_config(weights={"BTC": 50, "USDT": 50}, exchange={"name": "binance"}, data_dir=None)
    yaml_config(rebalancing=MONTHLY, risk=None, exchange=None, tax={"jurisdiction": "de"})

Sections are written as YAML flow mappings (``{key: value}``); values are written as they read
(``0.001`` stays exact, ``2024-12-31`` is a date); text with a ``:`` or a space is quoted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

Value = str | int | float | Decimal | Mapping[str, "Value"] | None
Section = Mapping[str, Value]

SEED_WEIGHTS: Section = {"BTC": 40, "ETH": 30, "SOL": 15, "BNB": 10, "USDT": 5}
# The seed weights bought with 10,000 USDT at the closes of 2024-01-01.
DRIFTED_BALANCES: Section = {
    "BTC": "0.09053",
    "ETH": "1.2754",
    "SOL": "13.647",
    "BNB": "3.189",
    "USDT": "500.9402525",
}
THRESHOLD: Section = {"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 20}
MONTHLY: Section = {"strategy": "calendar", "schedule": {"interval": "monthly", "day": 1}}
PAPER: Section = {"name": "paper", "balances": DRIFTED_BALANCES, "prices": "2024-12-31", "fee_rate": "0.001"}


def yaml_config(
    *,
    weights: Section | None = SEED_WEIGHTS,
    rebalancing: Section | None = THRESHOLD,
    risk: Section | None = None,
    data_dir: str | None = "data",
    exchange: Section | None = PAPER,
    tax: Section | None = None,
    top: Section | None = None,
    extra: str = "",
) -> str:
    """The text of a config file: ``weights`` as ``portfolio.target_weights``, then each section that is
    not None, then any ``top``-level keys and ``extra`` text as written."""
    lines = []
    if weights is not None:
        lines.append(f"portfolio:\n  target_weights: {flow(weights)}")
    sections: dict[str, Value] = {"rebalancing": rebalancing, "risk": risk, "data_dir": data_dir}
    sections.update({"exchange": exchange, "tax": tax, **(top or {})})
    lines += [f"{key}: {flow(value)}" for key, value in sections.items() if value is not None]
    return "\n".join(lines) + "\n" + extra


def flow(value: Value) -> str:
    """``value`` as YAML: a mapping in flow style, text quoted only when it has to be."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and (": " in value or "://" in value or " " in value or not value):
        return json.dumps(value)
    return "null" if value is None else str(value)


def cross_routed(routing: str, *, data_dir: str = "data") -> str:
    """A paper portfolio whose value moves on cross pairs under ``routing: cheapest``: BTC far over its
    target, ETH and SOL under, both listed against BTC (``ETH/BTC``, ``SOL/BTC``)."""
    return yaml_config(
        weights={"BTC": 40, "ETH": 30, "SOL": 20, "USDT": 10},
        rebalancing={"strategy": "threshold", "routing": routing},
        data_dir=data_dir,
        exchange={
            "balances": {"BTC": "0.3", "ETH": 1, "SOL": 10, "USDT": 1000},
            "prices": "2024-12-31",
            "markets": {"ETH/BTC": {}, "SOL/BTC": {}},
        },
    )

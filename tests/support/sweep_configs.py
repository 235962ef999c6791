"""The portfolio the sweep tests sweep: BTC 50, ETH 40, USDT 10 on the bundled prices, as a mapping and
as a config file's text (no data folder, no exchange: a sweep needs neither)."""

from __future__ import annotations

from configs import yaml_config

PORTFOLIO = {"portfolio": {"target_weights": {"BTC": 50, "ETH": 40, "USDT": 10}}}
CONFIG = yaml_config(
    weights={"BTC": 50, "ETH": 40, "USDT": 10},
    rebalancing={"strategy": "threshold", "threshold_percent": 5, "min_trade_usd": 10},
    data_dir=None,
    exchange=None,
)

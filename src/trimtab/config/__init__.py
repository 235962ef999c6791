"""Configuration: the YAML schema (``models``) and loading with one-line errors (``load``)."""

from trimtab.config.exchange_section import Exchange, MarketOverride
from trimtab.config.load import config_from_mapping, load_config, parse_yaml
from trimtab.config.models import (
    Config,
    DynamicWeights,
    Portfolio,
    RebalanceWindow,
    Rebalancing,
    Risk,
    Schedule,
    Strategy,
    UnlistedAssets,
)

__all__ = [
    "Config",
    "DynamicWeights",
    "Exchange",
    "MarketOverride",
    "Portfolio",
    "RebalanceWindow",
    "Rebalancing",
    "Risk",
    "Schedule",
    "Strategy",
    "UnlistedAssets",
    "config_from_mapping",
    "load_config",
    "parse_yaml",
]

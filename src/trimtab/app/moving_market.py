"""The paper exchange's moving markets, built from a config: a replayed history (``exchange.replay``) or
a real exchange's live public prices (``exchange.prices_from``). The markets themselves are
:mod:`trimtab.venues.replay` and :mod:`trimtab.venues.live_market`; this module reads the config, the
price file and the ledger, and checks what can be checked before the first run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trimtab.app.assembly import ccxt_client, complete_markets, cross_pairs
from trimtab.clock import CLOCK_VARIABLE
from trimtab.config.models import Config
from trimtab.errors import ConfigError
from trimtab.ledger.store import LedgerStore
from trimtab.limits import MAX_VALUE, bound
from trimtab.model.assets import USD_QUOTES
from trimtab.model.markets import MarketRules
from trimtab.suggest import did_you_mean
from trimtab.venues.paper import PaperPair, PaperSettings, PaperVenue
from trimtab.venues.paper_state import STATE_FILE_NAME
from trimtab.venues.replay import PriceTrack, ReplayClock, ReplayMarket, replay_start

if TYPE_CHECKING:
    from trimtab.venues.live_market import LiveMarket


def refuse_fixed_clock(config: Config) -> None:
    """A fixed clock (``TRIMTAB_NOW``) cannot run a moving market, whose time is its own."""
    if os.environ.get(CLOCK_VARIABLE, "").strip():
        key = "exchange.replay" if config.exchange.replay is not None else "exchange.prices_from"
        raise ConfigError(
            CLOCK_VARIABLE,
            "",
            f"a fixed clock cannot run with {key}, whose market keeps its own time; unset {CLOCK_VARIABLE}",
        )


def market_clock(
    config: Config, ledger: LedgerStore, wall: Callable[[], datetime] | None
) -> ReplayClock | None:
    """The replay's clock, running ``replay.speed`` times as fast as ``wall`` (default: the system's
    UTC time) from ``replay.start`` or, when later, from the ledger's last recorded run; None without a
    replay (live prices happen at the real time)."""
    replay = config.exchange.replay
    if replay is None:
        return None
    runs = ledger.list_runs(1)
    last = (runs[0].finished_at or runs[0].started_at) if runs else None
    start = replay_start(replay.start, last)
    if wall is None:
        return ReplayClock(start, float(replay.speed))
    return ReplayClock(start, float(replay.speed), wall)


def moving_venue(config: Config, source: str, folder: Path, clock: Callable[[], datetime]) -> PaperVenue:
    """The paper venue on the config's moving market (``clock`` is the replay's clock for a replay)."""
    exchange = config.exchange
    state_path = folder / STATE_FILE_NAME
    if exchange.replay is not None:
        track = load_track(config, source)
        settings = replay_settings(config, source, track)
        market = ReplayMarket(track, clock, config.quote)
        return PaperVenue(settings, quote=config.quote, state_path=state_path, clock=clock, market=market)
    live = live_market(config, source)
    pairs = cross_pairs(config, source, None, "")  # priced by the live exchange, run by run
    return PaperVenue(
        _settings(config, {}, pairs), quote=config.quote, state_path=state_path, clock=clock, market=live
    )


def check_moving_market(config: Config, source: str) -> None:
    """Everything about a moving market that can be checked without the ledger or the network."""
    if config.exchange.replay is not None:
        replay_settings(config, source, load_track(config, source))
    else:
        live_market(config, source)
        cross_pairs(config, source, None, "")


def load_track(config: Config, source: str) -> PriceTrack:
    """The replay's prices: ``replay.prices`` (relative to the config's folder) or the bundled history,
    read like ``backtest --prices``."""
    from trimtab.backtest.data import load_price_frame

    replay = config.exchange.replay
    assert replay is not None
    path = None
    if replay.prices is not None:
        path = Path(replay.prices).expanduser()
        path = path if path.is_absolute() else Path(source).parent / path
    elif config.quote not in USD_QUOTES:
        raise ConfigError(
            source,
            "exchange.replay.prices",
            f"the bundled prices are in US dollars; with quote {config.quote} give a file of prices in "
            f"{config.quote}",
        )
    try:
        frame = load_price_frame(path)
    except ConfigError as error:
        if path is None or error.key or not error.message.startswith("cannot read the file"):
            raise  # a problem inside the file names its line and column
        # the file itself is missing or unreadable: say which key named it and where it was looked for
        why = error.message.removeprefix("cannot read the file").strip()
        raise ConfigError(source, "exchange.replay.prices", f"cannot read {path} {why}".rstrip()) from None
    return PriceTrack(
        frame.source,
        frame.times.astype(np.int64),
        int(frame.spacing.total_seconds()),
        frame.assets,
        frame.closes,
    )


def replay_settings(config: Config, source: str, track: PriceTrack) -> PaperSettings:
    """The paper settings of a replay, checked against its prices at ``replay.start``: every asset the
    portfolio targets or holds must have one then."""
    replay = config.exchange.replay
    assert replay is not None
    start = replay.start
    if start < track.first_close or start >= track.end:
        raise ConfigError(
            source,
            "exchange.replay.start",
            f"{start:%Y-%m-%d %H:%M} UTC is outside the prices in {track.source}, whose bars close from "
            f"{track.first_close:%Y-%m-%d %H:%M} to {track.last_close:%Y-%m-%d %H:%M} UTC",
        )
    wanted = _wanted(config)
    prices = track.prices_at(start, wanted)
    for asset in wanted:
        if asset not in prices:
            why = (
                "is not in the file" + did_you_mean(asset, track.assets)
                if asset not in track.assets
                else f"has no price yet at {start:%Y-%m-%d %H:%M} UTC (it lists later); start later"
            )
            raise ConfigError(source, "exchange.replay.start", f"{asset} {why} ({track.source})")
    _check_worth(config, source, prices)
    hint = "it has no price at replay.start"
    return _settings(
        config, complete_markets(config, source, prices, hint), cross_pairs(config, source, prices, hint)
    )


def live_market(config: Config, source: str) -> LiveMarket:
    """The live market of ``prices_from`` (ccxt, public data, no keys; imported only when needed)."""
    from trimtab.venues.ccxt_venue import CcxtVenue
    from trimtab.venues.live_market import OVERRIDABLE, LiveMarket

    exchange = config.exchange
    assert exchange.prices_from is not None
    try:
        client = ccxt_client(config, source, api_key=None, secret=None, name=exchange.prices_from)
    except ConfigError as error:
        key = "exchange.prices_from" if error.key == "exchange.name" else error.key
        raise ConfigError(source, key, error.message) from None
    overrides: dict[str, dict[str, Decimal]] = {}
    for symbol, override in exchange.markets.items():
        base, quote = symbol.split("/")
        if quote != config.quote:
            continue  # a cross market: its rules are the paper venue's (assembly.cross_pairs)
        fields = {name: getattr(override, name) for name in OVERRIDABLE}
        overrides[base] = {name: value for name, value in fields.items() if value is not None}
    return LiveMarket(CcxtVenue(client, quote=config.quote), quote=config.quote, overrides=overrides)


def _wanted(config: Config) -> list[str]:
    portfolio = config.portfolio
    targeted = (
        list(portfolio.target_weights or {})
        if portfolio.dynamic_weights is None
        else list(portfolio.dynamic_weights.assets)
    )
    return sorted((set(targeted) | set(config.exchange.balances)) - {config.quote})


def _check_worth(config: Config, source: str, prices: Mapping[str, Decimal]) -> None:
    for asset, amount in sorted(config.exchange.balances.items()):
        worth = Decimal(1) if asset == config.quote else prices[asset]
        if amount * worth > MAX_VALUE:
            raise ConfigError(
                source,
                f"exchange.balances.{asset}",
                f"{bound(amount)} {asset} at {bound(worth)} are worth more than {bound(MAX_VALUE)} "
                f"{config.quote}, the most one holding of the paper account may be worth",
            )


def _settings(
    config: Config, markets: Mapping[str, MarketRules], pairs: Mapping[str, PaperPair]
) -> PaperSettings:
    exchange = config.exchange
    return PaperSettings(
        balances=exchange.balances,
        fee_rate=exchange.fee_rate,
        markets=markets,
        fill_ratio=exchange.fill_ratio,
        slippage_bps=exchange.slippage_bps,
        pairs=pairs,
    )

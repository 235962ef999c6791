"""Building a :class:`~trimtab.app.service.Bot` from a validated config: the one place that knows both.

Relative paths in the config (``data_dir``) are resolved against the config file's folder, so a bot
started by cron or systemd from any working directory finds the same ledger and paper account.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trimtab.app.portfolio_home import data_dir, open_ledger
from trimtab.clock import Clock, environment_clock, utc_now
from trimtab.config.models import Config
from trimtab.config.strategy import build_policy, build_weights, planner_settings
from trimtab.errors import ConfigError
from trimtab.execution.executor import ExecutionSettings
from trimtab.limits import MAX_VALUE, bound
from trimtab.model.assets import USD_QUOTES
from trimtab.model.markets import MarketRules
from trimtab.pricedata import PriceHistory, bundled_history
from trimtab.redaction import register_secret
from trimtab.suggest import did_you_mean
from trimtab.venues.binance_defaults import default_rules
from trimtab.venues.paper import PaperPair, PaperSettings, PaperVenue
from trimtab.venues.paper_state import STATE_FILE_NAME
from trimtab.venues.port import Venue

# The bot's ledger (SQLAlchemy, Alembic), service and tax advisor are imported by build_bot: a backtest
# needs only build_policy, build_weights and planner_settings and starts faster without them.
if TYPE_CHECKING:
    from trimtab.app.service import Bot
    from trimtab.tax.advisor import TaxAdvisor


def paper_settings(config: Config, source: str, history: PriceHistory) -> PaperSettings:
    """The paper venue's settings, with market overrides completed from Binance-like defaults."""
    exchange = config.exchange
    prices = exchange.prices if isinstance(exchange.prices, dict) else None
    price_date = exchange.prices if isinstance(exchange.prices, date) else None
    if price_date is not None and not history.first_date <= price_date <= history.last_date:
        raise ConfigError(
            source,
            "exchange.prices",
            f"{price_date} is outside the bundled history ({history.first_date} .. {history.last_date})",
        )
    day_prices = history.prices_on(price_date or history.last_date)
    if prices is None and config.quote not in USD_QUOTES:
        raise ConfigError(
            source,
            "quote",
            f"the bundled prices are in US dollars; with quote {config.quote} give exchange.prices as a mapping",
        )
    wanted = (
        config.portfolio.target_weights or {}
        if config.portfolio.dynamic_weights is None
        else dict.fromkeys(config.portfolio.dynamic_weights.assets)
    )
    for asset in sorted(set(wanted) | set(exchange.balances)):
        if asset != config.quote and asset not in (prices or {}) and asset not in day_prices:
            raise ConfigError(
                source,
                "exchange.prices",
                f"{asset} has no price on the paper exchange on {price_date or history.last_date}"
                f"{did_you_mean(asset, [*day_prices, *(prices or {})])}; add it to exchange.prices",
            )
    for asset, amount in sorted(exchange.balances.items()):
        worth = Decimal(1) if asset == config.quote else (prices or {}).get(asset) or day_prices[asset]
        if amount * worth > MAX_VALUE:
            raise ConfigError(
                source,
                f"exchange.balances.{asset}",
                f"{bound(amount)} {asset} at {bound(worth)} are worth more than {bound(MAX_VALUE)} {config.quote}, "
                "the most one holding of the paper account may be worth",
            )
    return PaperSettings(
        balances=exchange.balances,
        prices=prices,
        price_date=price_date,
        fee_rate=exchange.fee_rate,
        markets=complete_markets(
            config, source, {**day_prices, **(prices or {})}, "add it to exchange.prices"
        ),
        fill_ratio=exchange.fill_ratio,
        slippage_bps=exchange.slippage_bps,
        pairs=cross_pairs(config, source, {**day_prices, **(prices or {})}, "add it to exchange.prices"),
    )


def complete_markets(
    config: Config, source: str, prices: Mapping[str, Decimal], hint: str
) -> dict[str, MarketRules]:
    """The paper config's market overrides, each completed from the Binance-like defaults at its asset's
    price in ``prices``; ``hint`` says how to give a missing price."""
    markets: dict[str, MarketRules] = {}
    for symbol, override in config.exchange.markets.items():
        base, quote = symbol.split("/")
        if quote != config.quote:
            continue  # a cross market (ETH/BTC): see cross_pairs
        price = prices.get(base)
        if price is None:
            raise ConfigError(source, f"exchange.markets.{symbol}", f"{base} has no price; {hint}")
        default = default_rules(base, quote, price)
        markets[base] = MarketRules(
            base=base,
            quote=quote,
            amount_step=override.amount_step if override.amount_step is not None else default.amount_step,
            min_amount=override.min_amount if override.min_amount is not None else default.min_amount,
            min_notional=override.min_notional if override.min_notional is not None else default.min_notional,
            price_tick=override.price_tick if override.price_tick is not None else default.price_tick,
            status=override.status,
        )
    return markets


def cross_pairs(
    config: Config, source: str, prices: Mapping[str, Decimal] | None, hint: str
) -> dict[str, PaperPair]:
    """The paper config's cross markets (``exchange.markets`` between two assets other than the quote,
    such as ``ETH/BTC``), each asset checked to have a price in ``prices`` (None: prices come later, from
    a live exchange); ``hint`` says how to give a missing price. A ``price`` is only for cross markets."""
    pairs: dict[str, PaperPair] = {}
    for symbol, override in config.exchange.markets.items():
        base, quote = symbol.split("/")
        key = f"exchange.markets.{symbol}"
        if quote == config.quote:
            if override.price is not None:
                raise ConfigError(
                    source,
                    f"{key}.price",
                    f"give the price of {base} in exchange.prices; price is for cross markets",
                )
            continue
        if config.quote in (base, quote) or base == quote:
            raise ConfigError(
                source,
                key,
                f"expected ASSET/{config.quote} or a cross market of two other assets such as ETH/BTC",
            )
        missing = [a for a in (base, quote) if prices is not None and a not in prices]
        if missing:
            raise ConfigError(source, key, f"{missing[0]} has no price; {hint}")
        pairs[symbol] = PaperPair(
            base=base,
            quote=quote,
            amount_step=override.amount_step,
            min_amount=override.min_amount,
            min_notional=override.min_notional,
            price_tick=override.price_tick,
            price=override.price,
            status=override.status,
        )
    return pairs


def on_moving_market(config: Config) -> bool:
    """Whether the config's paper exchange trades on a moving market (``exchange.replay`` or
    ``exchange.prices_from``: :mod:`trimtab.app.moving_market`) rather than fixed prices."""
    exchange = config.exchange
    return exchange.is_paper and (exchange.replay is not None or exchange.prices_from is not None)


def build_venue(
    config: Config, source: str, folder: Path, history: PriceHistory, clock: Callable[[], datetime]
) -> Venue:
    """The paper venue (on a moving market: ``clock`` is the replay's clock), or a real exchange through
    ccxt with keys from the environment."""
    exchange = config.exchange
    if on_moving_market(config):
        from trimtab.app.moving_market import moving_venue

        return moving_venue(config, source, folder, clock)
    if exchange.is_paper:
        return PaperVenue(
            paper_settings(config, source, history),
            quote=config.quote,
            state_path=folder / STATE_FILE_NAME,
            history=history,
            clock=clock,
        )
    # ccxt is imported only for real exchanges: the paper path starts faster without it.
    from trimtab.venues.ccxt_venue import CcxtVenue

    api_key, secret = os.environ.get(exchange.api_key_env), os.environ.get(exchange.secret_env)
    register_secret(api_key, secret)  # from now on redacted from everything printed, tracebacks included
    if not api_key or not secret:
        missing = [n for n, v in ((exchange.api_key_env, api_key), (exchange.secret_env, secret)) if not v]
        raise ConfigError(
            source,
            "exchange.api_key_env" if not api_key else "exchange.secret_env",
            (
                f"the environment variables {missing[0]} and {missing[1]} are not set"
                if len(missing) == 2
                else f"the environment variable {missing[0]} is not set"
            )
            + "; export the exchange's API key and secret there (trading permission, no withdrawal permission)",
        )
    client = ccxt_client(config, source, api_key=api_key, secret=secret)
    return CcxtVenue(client, quote=config.quote, secrets=(api_key, secret))


def check_exchange(config: Config, source: str) -> None:
    """Everything about the venue that can be checked without keys or network (``trimtab validate``)."""
    exchange = config.exchange
    if on_moving_market(config):
        from trimtab.app.moving_market import check_moving_market

        check_moving_market(config, source)
        return
    if exchange.is_paper:
        paper_settings(config, source, bundled_history())
        return
    ccxt_client(config, source, api_key=None, secret=None)


def ccxt_client(
    config: Config, source: str, *, api_key: str | None, secret: str | None, name: str | None = None
) -> Any:
    """The ccxt exchange object the config describes, or exchange ``name`` with the config's connection
    settings (ccxt is untyped; imported only when needed)."""
    from trimtab.venues.ccxt_factory import make_exchange

    exchange = config.exchange
    return make_exchange(
        name or exchange.name,
        api_key=api_key,
        secret=secret,
        sandbox=exchange.sandbox,
        api_url=exchange.api_url,
        timeout_ms=exchange.timeout_ms,
        source=source,
        rate_limit=exchange.rate_limit,
    )


def config_digest(config: Config) -> str:
    """A short fingerprint of the effective config, stored with every run. Where notifications go is
    not part of it (it changes no decision, and its URLs hold tokens)."""
    return hashlib.sha256(config.model_dump_json(exclude={"notify"}).encode()).hexdigest()[:16]


def build_bot(
    config: Config,
    config_path: Path,
    *,
    clock: Clock | None = None,
    history: PriceHistory | None = None,
    wall_clock: Clock | None = None,
) -> Bot:
    """A ready bot: paper venue (state in the data folder), ledger opened and migrated.

    Without ``clock`` the bot runs on the system's UTC time, or on the fixed time of ``TRIMTAB_NOW``
    (paper exchange only), or on a replay's market clock (``exchange.replay``: resumed from the ledger's
    last run, running ``speed`` times as fast as ``wall_clock``, default the system's UTC time)."""
    from trimtab.app.parts import BotParts
    from trimtab.app.service import Bot

    source = str(config_path)
    moving = on_moving_market(config)
    if moving:
        from trimtab.app.moving_market import market_clock, refuse_fixed_clock

        refuse_fixed_clock(config)
    else:
        clock = clock or environment_clock(config.exchange.is_paper) or utc_now
    history = history or bundled_history()
    folder = data_dir(config, config_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(source, "data_dir", f"cannot create {folder} ({error.strerror})") from None
    if not moving:
        assert clock is not None
        venue = build_venue(config, source, folder, history, clock)
    ledger = open_ledger(config, config_path)
    if moving:
        try:  # a replay resumes from the ledger's last run
            clock = clock or market_clock(config, ledger, wall_clock) or utc_now
            venue = build_venue(config, source, folder, history, clock)
        except BaseException:
            ledger.close()
            raise
    assert clock is not None
    parts = BotParts(
        venue=venue,
        ledger=ledger,
        policy=build_policy(config),
        weights=build_weights(config),
        planner=planner_settings(config),
        execution=ExecutionSettings(max_price_move_percent=config.risk.max_price_move_percent),
        max_consecutive_failures=config.risk.max_consecutive_failures,
        quote=config.quote,
        config_digest=config_digest(config),
        clock=clock,
        tax=tax_advisor(config, config_path),
        convert_dust=config.rebalancing.convert_dust,
        external=dict(config.portfolio.external),
        guards=config.guards,
    )
    return Bot(parts)


def tax_advisor(config: Config, config_path: Path) -> TaxAdvisor | None:
    """The tax-aware planner of the config's ``tax:`` section (None without one); its wallet is the
    exchange's name, like the bot's fills in ``tax report``."""
    section = config.tax
    if section is None:
        return None
    from trimtab.tax.advisor import TaxAdvisor
    from trimtab.tax.jurisdiction import TaxRules
    from trimtab.tax.rates import load_rates

    rates = None
    if section.rates_file is not None:
        path = Path(section.rates_file).expanduser()
        rates = load_rates(path if path.is_absolute() else config_path.parent / path)
    return TaxAdvisor(
        TaxRules.from_section(section),
        wallet=config.exchange.name,
        defer_days=section.defer_days,
        hard_band=section.hard_band(config.threshold),
        rates=rates,
    )

"""The ``exchange:`` section: a real exchange through ccxt (keys from environment variables, never from
the file), or the paper exchange with its balances, prices, market rules and moving markets."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from trimtab.config.fields import Amount, Finite, Frozen, Price, Step, Tick, Value, shown, within
from trimtab.config.fields import asset_name as _asset_name
from trimtab.config.replay_section import Replay
from trimtab.model.markets import DEFAULT_FEE_RATE


class MarketOverride(Frozen):
    """Rules of one paper market; anything left out gets a Binance-like default."""

    amount_step: Step | None = None
    min_amount: Amount | None = None
    min_notional: Value | None = None
    price_tick: Tick | None = None
    # A cross market (ETH/BTC) is priced from its two quote prices unless given (in its own quote asset).
    price: Price | None = None
    status: Literal["trading", "halted", "break", "delisted"] = "trading"


SECRET_KEYS = frozenset(
    {"api_key", "apikey", "key", "secret", "api_secret", "secret_key", "password", "private_key", "uid"}
)
PAPER_ONLY = (
    "balances",
    "prices",
    "fee_rate",
    "markets",
    "fill_ratio",
    "slippage_bps",
    "replay",
    "prices_from",
)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def looks_like_env_name(text: str) -> bool:
    """Whether ``text`` reads as an environment variable name rather than a pasted API key or secret.

    Names are letters, digits and ``_`` (not starting with a digit) in one case. Exchange keys are long
    runs of mixed-case letters and digits, or of lower-case hex: mixed case, or 20+ characters with digits
    and no ``_``, is taken for a key.

    >>> looks_like_env_name("BINANCE_API_KEY"), looks_like_env_name("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy")
    (True, False)
    """
    if not _ENV_NAME.fullmatch(text):
        return False
    mixed_case = any(c.islower() for c in text) and any(c.isupper() for c in text)
    key_like = len(text) >= 20 and "_" not in text and any(c.isdigit() for c in text)
    return not mixed_case and not key_like


class Exchange(Frozen):
    """``paper`` (simulated, on the bundled prices) or a ccxt exchange id such as ``binance``."""

    name: str = "paper"
    # real exchanges (ccxt)
    api_key_env: str = "TRIMTAB_API_KEY"
    secret_env: str = "TRIMTAB_API_SECRET"
    sandbox: bool = False
    api_url: str | None = None
    timeout_ms: int = Field(default=10000, ge=100, le=120000)
    # ccxt's own request throttling, which keeps a bot under the exchange's rate limits. Leave it on for
    # real exchanges; a local gateway or test server may turn it off.
    rate_limit: bool = True
    # the paper exchange
    balances: dict[str, Amount] = Field(default_factory=dict)
    prices: dict[str, Price] | dt.date | None = None
    fee_rate: Annotated[Decimal, Finite, within(0, "0.1", below=True)] = DEFAULT_FEE_RATE
    markets: dict[str, MarketOverride] = Field(default_factory=dict)
    fill_ratio: Annotated[Decimal, Finite, within(0, 1, above=True)] = Decimal(1)
    slippage_bps: Annotated[Decimal, Finite, within(0, 10000, below=True)] = Decimal(0)
    # a paper market that moves: a replayed history, or live prices of a real exchange (public data, no keys)
    replay: Replay | None = None
    prices_from: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        # Never echo the value: only the key's name goes into the message.
        if isinstance(data, dict):
            for key in data:
                if str(key).lower() in SECRET_KEYS:
                    raise ValueError(
                        f"{key}: API keys and secrets never go in the config file; remove it and set the "
                        "environment variables named by api_key_env and secret_env "
                        "(default TRIMTAB_API_KEY and TRIMTAB_API_SECRET)"
                    )
        return data

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not name or not name.replace("_", "").isalnum() or name != name.lower():
            raise ValueError(
                f"expected 'paper' or a ccxt exchange id in lower case such as 'binance', got {shown(name)}"
            )
        return name

    @field_validator("api_key_env", "secret_env", mode="before")
    @classmethod
    def _env_name(cls, name: object) -> str:
        # The value is never echoed: when it is not a variable name it is most likely the key itself.
        if not isinstance(name, str) or not looks_like_env_name(name.strip()):
            raise ValueError(
                "expected the name of an environment variable, such as TRIMTAB_API_KEY; the value does not "
                "look like one (it may be the key itself, so it is not shown): put the key in the environment"
            )
        return name.strip()

    @field_validator("api_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"expected a base URL starting with http:// or https://, got {shown(url)}")
        return url.rstrip("/") if url else url

    @model_validator(mode="after")
    def _paper_only(self) -> Exchange:
        if self.is_paper:
            return self
        given = [key for key in PAPER_ONLY if key in self.model_fields_set]
        if given:
            raise ValueError(
                f"{', '.join(given)} only apply to the paper exchange; a real exchange reports its own balances, "
                "prices, fees and market rules"
            )
        return self

    @model_validator(mode="after")
    def _one_market(self) -> Exchange:
        # A moving market has no fixed prices: a date or a price map would contradict it.
        moving = [key for key in ("replay", "prices_from") if getattr(self, key) is not None]
        if len(moving) == 2:
            raise ValueError(
                "replay and prices_from exclude each other: replay walks a price history, prices_from takes "
                "live prices; keep one"
            )
        if moving and self.prices is not None:
            raise ValueError(
                f"prices and {moving[0]} exclude each other: {moving[0]} moves the market, prices fixes it; "
                "keep one"
            )
        return self

    @field_validator("prices_from")
    @classmethod
    def _prices_from(cls, name: str | None) -> str | None:
        if name is not None and (
            not name.replace("_", "").isalnum() or name != name.lower() or name == "paper"
        ):
            raise ValueError(
                f"expected a ccxt exchange id in lower case such as 'binance', got {shown(name)}"
            )
        return name

    @property
    def is_paper(self) -> bool:
        return self.name == "paper"

    @field_validator("balances", "prices")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_asset_name(a): v for a, v in value.items()}
        return value

    @field_validator("markets")
    @classmethod
    def _symbols(cls, markets: dict[str, MarketOverride]) -> dict[str, MarketOverride]:
        for symbol in markets:
            if symbol.count("/") != 1:
                raise ValueError(f"market {shown(symbol)} must be written BASE/QUOTE, e.g. BTC/USDT")
        return {s.upper(): m for s, m in markets.items()}

"""Binance's dust conversion through ccxt's implicit API (:mod:`trimtab.venues.dust_port`).

``POST /sapi/v1/asset/dust-btc`` (ccxt ``sapi_post_asset_dust_btc``) lists the balances Binance will
convert (``details``, one entry per asset); ``POST /sapi/v1/asset/dust`` (``sapi_post_asset_dust``,
``asset`` repeated once per asset: ccxt encodes the list so) converts them into BNB and answers with
one ``transferResult`` per asset: ``fromAsset``, ``amount`` given, ``transferedAmount`` BNB received
after ``serviceChargeAmount``, and the conversion's ``tranId``. The numbers are strings; they cross into
trimtab as Decimals here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from trimtab.venues.dust_port import ConvertedDust, DustConversion

#: Reads a venue may repeat (``action``, ccxt method, its arguments) and the one call never repeated.
Call = Callable[..., Awaitable[Any]]


async def convert_binance_dust(
    exchange: Any,
    *,
    into: str,
    assets: Sequence[str],
    read: Call,
    call: Call,
    malformed: Callable[[str], AbstractContextManager[None]],
    venue: str,
) -> DustConversion:
    """Convert the eligible ones of ``assets`` into ``into`` (BNB); ``read`` retries the eligibility
    check, ``call`` sends the conversion once, ``malformed`` turns a bad answer into a venue error."""
    offer = await read("sapi_post_asset_dust_btc", exchange.sapi_post_asset_dust_btc, {})
    with malformed("dust offer"):
        eligible = set(_offered(offer))
    wanted = [a for a in assets if a in eligible and a != into]
    left = {a: f"{venue} does not offer to convert it" for a in assets if a not in wanted}
    if not wanted:
        return DustConversion(into, (), left)
    answer = await call("sapi_post_asset_dust", exchange.sapi_post_asset_dust, {"asset": wanted})
    with malformed("dust conversion"):
        converted = tuple(_converted(answer))
        references = sorted({str(r["tranId"]) for r in answer["transferResult"] if r.get("tranId")})
    done = {c.asset for c in converted}
    left |= {a: f"{venue} did not convert it" for a in wanted if a not in done}
    return DustConversion(into, converted, left, ", ".join(references) or None)


def _offered(answer: Mapping[str, Any]) -> Iterator[str]:
    for detail in answer["details"]:
        yield str(detail["asset"])


def _converted(answer: Mapping[str, Any]) -> Iterator[ConvertedDust]:
    for row in answer["transferResult"]:
        yield ConvertedDust(
            asset=str(row["fromAsset"]),
            amount=Decimal(str(row["amount"])),
            received=Decimal(str(row["transferedAmount"])),
            fee=Decimal(str(row["serviceChargeAmount"])),
        )

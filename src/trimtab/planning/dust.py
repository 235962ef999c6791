"""Dust: a held balance too small to be sold on its market, kept out of the drift decisions.

A balance is dust when the market cannot take it: less than one amount step, a sellable amount (the
balance floored to the step) below the market's minimum amount, or one worth less than its minimum
notional at the last price. Selling it is impossible, so an asset without a target (or with target 0)
that holds only dust would sit in the skipped trades of every plan and count in the drift for ever.
:func:`find_dust` names such holdings; the planner and the portfolio view leave them out (they neither
trigger a threshold nor add to the managed value), and the front ends report them as dust. A venue
that converts dust (Binance: into BNB) sweeps them into a target asset (:mod:`trimtab.app.dust_sweep`).

An asset with a target above 0 is never dust: the planner buys more of it. An asset held outside the
venue (``portfolio.external``) is a real position, not dust. An asset with no market or no price
against the quote is not dust either: it is reported as unmanaged or skipped, as before.

Pure: a snapshot and the targets in, the dust out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from trimtab.model.markets import MarketRules
from trimtab.model.money import ZERO, floor_to_step, fmt
from trimtab.model.portfolio import Snapshot


@dataclass(frozen=True, slots=True)
class Dust:
    """A held balance of ``asset`` that its market cannot take.

    ``amount`` is the balance on the venue, ``value`` its worth in the quote at the last price, and
    ``reason`` completes ``"<asset> is dust: ..."`` (``"below one amount step of 0.001 SOL"``).
    """

    asset: str
    amount: Decimal
    value: Decimal
    reason: str


def dust_reason(amount: Decimal, price: Decimal, rules: MarketRules) -> str | None:
    """Why ``amount`` of ``rules.base`` cannot be sold on the market of ``rules`` at ``price``, or None
    when it can (``amount`` > 0, ``price`` > 0, ``rules.amount_step`` > 0)."""
    step = rules.amount_step
    sellable = floor_to_step(amount, step)
    if sellable <= 0:
        return f"below one amount step of {fmt(step)} {rules.base}"
    if sellable < rules.min_amount:
        return f"below the market's minimum amount of {fmt(rules.min_amount)} {rules.base}"
    if sellable * price < rules.min_notional:
        return (
            f"worth {_short(sellable * price)} {rules.quote}, below the market's minimum order of "
            f"{fmt(rules.min_notional)} {rules.quote}"
        )
    return None


def find_dust(snapshot: Snapshot, targets: Mapping[str, Decimal]) -> dict[str, Dust]:
    """The dust of ``snapshot`` by asset, sorted: every held non-quote asset without a target above 0
    (and nothing held outside the venue) whose whole venue balance its ``ASSET/QUOTE`` market cannot
    take at the last price."""
    quote = snapshot.quote
    found: dict[str, Dust] = {}
    for asset, balance in snapshot.balances.items():  # sorted below: only the few found
        if balance.total <= 0 or asset == quote or targets.get(asset, ZERO) > 0 or asset in snapshot.external:
            continue
        price, rules = snapshot.prices.get(asset), snapshot.markets.get(asset)
        if price is None or price <= 0 or rules is None or rules.amount_step <= 0:
            continue
        if rules.base != asset or rules.quote != quote:
            continue
        reason = dust_reason(balance.total, price, rules)
        if reason is not None:
            found[asset] = Dust(asset, balance.total, balance.total * price, reason)
    return dict(sorted(found.items())) if len(found) > 1 else found


def _short(value: Decimal) -> str:
    """Cents for ordinary values, two significant digits for tiny ones (messages only)."""
    if value >= Decimal("0.01"):
        return fmt(value, 2, fixed=True)
    return fmt(value) if value == 0 else f"{value:.2g}"

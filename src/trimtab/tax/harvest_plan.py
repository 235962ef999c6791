"""From harvest candidates to the sell orders ``trimtab tax harvest --execute`` places.

A harvest run sells the chosen candidates (worthwhile and allowed, :mod:`trimtab.tax.harvest`) and
nothing else. The executor then plans the buys again from the cash the sells produced, towards the
portfolio's targets, as it does in every rebalance: that buys the harvested assets back (and tops up
any other asset below its target). Only assets with a target above 0 are candidates, so every sale
has a buy-back.

The sells follow the planner's market rules: the amount is already on the step grid, the limit price
is ``last x (1 - slippage)`` on the tick, an order above ``max_trade_percent`` of the portfolio is
split, and a sale the market refuses (below its minimums) is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from trimtab.errors import TaxError
from trimtab.money import HUNDRED, fmt
from trimtab.planning.constraints import (
    exact_arithmetic,
    max_amount_within,
    rule_violation,
    sell_limit_price,
    smallest_order,
    split_amount,
)
from trimtab.planning.plan import Plan, PlannedOrder, SkippedTrade
from trimtab.planning.planner import PlannerSettings
from trimtab.portfolio import Snapshot, total_value
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.harvest import Candidate, Harvest, Holding, find_harvest
from trimtab.tax.history import quote_rate
from trimtab.tax.model import TaxEvent
from trimtab.venues.port import Side

if TYPE_CHECKING:  # the service imports this module
    from trimtab.service import RunOutcome


@dataclass(frozen=True)
class HarvestOutcome:
    """What ``tax harvest`` found, the sells it would place (or placed), and the run if it executed."""

    harvest: Harvest
    plan: Plan
    run: RunOutcome | None = None


def plan_harvest(  # noqa: PLR0917 (the bot's parts, passed through)
    advisor: TaxAdvisor,
    snapshot: Snapshot,
    targets: Mapping[str, Decimal],
    history: Sequence[TaxEvent],
    settings: PlannerSettings,
    min_loss: Decimal,
) -> tuple[Harvest, Plan]:
    """The candidates of the targeted assets in the advisor's wallet, and the sells of the chosen
    ones. ``targets`` are the portfolio's (percent per asset, the quote included)."""
    rules = advisor.rules
    rate = quote_rate(snapshot.quote, rules.currency, snapshot.taken_at.date(), advisor.rates)
    try:
        found = find_harvest(
            rules,
            history,
            holdings(snapshot, targets.items(), rate),
            wallet=advisor.wallet,
            when=snapshot.taken_at,
            fee_rate=snapshot.fee_rate,
            min_loss=min_loss,
        )
    except TaxError:
        raise
    except ValueError as error:  # the UK matcher raises plain ValueErrors on a history it cannot match
        raise TaxError(str(error)) from None
    value = total_value(snapshot, sorted(targets))
    return found, harvest_plan(snapshot, found.chosen, settings, value)


def holdings(snapshot: Snapshot, targets: Iterable[tuple[str, Decimal]], rate: Decimal) -> list[Holding]:
    """The assets with a target above 0 that the account can sell now, priced in the report currency
    (``rate``: report-currency units per unit of the quote)."""
    found: list[Holding] = []
    for asset, target in sorted(targets):
        rules, price = snapshot.markets.get(asset), snapshot.prices.get(asset)
        if asset == snapshot.quote or target <= 0 or rules is None or price is None:
            continue
        if snapshot.free(asset) > 0:
            found.append(Holding(asset, price * rate, snapshot.free(asset), rules.amount_step))
    return found


def harvest_plan(
    snapshot: Snapshot, candidates: Sequence[Candidate], settings: PlannerSettings, total_value: Decimal
) -> Plan:
    """Sell orders for ``candidates`` at the prices of ``snapshot``, legs numbered from 0."""
    orders: list[PlannedOrder] = []
    skipped: list[SkippedTrade] = []
    cap = total_value * settings.max_trade_percent / HUNDRED
    with exact_arithmetic():
        for candidate in candidates:
            asset, units = candidate.asset, candidate.units
            rules, last = snapshot.markets[asset], snapshot.price(asset)
            limit = sell_limit_price(last, settings.slippage_percent, rules.price_tick)
            what = f"harvest sell of {fmt(units)} {asset}"
            reason = rule_violation(rules, units, limit)
            if reason is not None:
                skipped.append(SkippedTrade(asset, Side.SELL, units * last, f"{what} {reason}"))
                continue
            smallest = smallest_order(rules, limit)
            largest = units if units * last <= cap else max_amount_within(cap, last, rules.amount_step)
            split = split_amount(units, rules.amount_step, largest, smallest)
            for piece in split.pieces:
                orders.append(
                    PlannedOrder(
                        len(orders), asset, rules.symbol, Side.SELL, piece, limit, last, piece * last
                    )
                )
            if split.remainder:
                skipped.append(
                    SkippedTrade(
                        asset,
                        Side.SELL,
                        split.remainder * last,
                        f"{what}: {fmt(split.remainder)} {asset} cannot be placed under the order cap of "
                        f"{fmt(cap)} {snapshot.quote} (max_trade_percent) and the market minimums",
                    )
                )
    return Plan(tuple(orders), tuple(skipped), total_value)


def harvest_reason(harvest: Harvest) -> str:
    """The run's one-line decision: what is sold and what it saves."""
    sold = ", ".join(f"{fmt(c.units)} {c.asset}" for c in harvest.chosen)
    loss = sum((c.unrealized_loss for c in harvest.chosen), Decimal(0))
    return (
        f"tax harvest ({harvest.jurisdiction.upper()} {harvest.year}): sell {sold} at an unrealized loss of "
        f"{loss:,.2f} {harvest.currency}, an estimated {harvest.saving:,.2f} {harvest.currency} less tax "
        "this year; the buys go back to the targets"
    )

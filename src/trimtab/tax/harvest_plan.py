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
from decimal import Decimal

from trimtab.errors import TaxError
from trimtab.model.money import HUNDRED, ZERO, fmt
from trimtab.model.orders import Side
from trimtab.model.portfolio import Snapshot, total_value
from trimtab.planning.constraints import exact_arithmetic, rule_violation, sell_limit_price
from trimtab.planning.plan import Plan, SkippedTrade
from trimtab.planning.planner import PlannerSettings
from trimtab.planning.positions import Position
from trimtab.planning.sized_trades import SizedTrade, max_piece, planned_orders, split_trade, trade_terms
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.harvest import Candidate, Harvest, Holding, find_harvest
from trimtab.tax.history import quote_rate
from trimtab.tax.model import TaxEvent


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
    """Sell orders for ``candidates`` at the prices of ``snapshot``, legs numbered from 0. A sale the
    market refuses whole is skipped; the rest is split as the planner splits its orders
    (:func:`~trimtab.planning.sized_trades.split_trade`), in the order of the candidates."""
    trades: list[SizedTrade] = []
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
            position = Position(asset, rules, last, ZERO, units, units)
            trade = SizedTrade(trade_terms(position, Side.SELL, limit), units, units * last)
            pieces, remainder = split_trade(trade, max_piece(trade, cap))
            trades.extend(pieces)
            if remainder:
                skipped.append(
                    SkippedTrade(
                        asset,
                        Side.SELL,
                        remainder * last,
                        f"{what}: {fmt(remainder)} {asset} cannot be placed under the order cap of "
                        f"{fmt(cap)} {snapshot.quote} (max_trade_percent) and the market minimums",
                    )
                )
    return Plan(planned_orders(trades, 0), tuple(skipped), total_value)


def harvest_reason(harvest: Harvest) -> str:
    """The run's one-line decision: what is sold and what it saves."""
    sold = ", ".join(f"{fmt(c.units)} {c.asset}" for c in harvest.chosen)
    loss = sum((c.unrealized_loss for c in harvest.chosen), Decimal(0))
    return (
        f"tax harvest ({harvest.jurisdiction.upper()} {harvest.year}): sell {sold} at an unrealized loss of "
        f"{_money(loss)} {harvest.currency}, an estimated {_money(harvest.saving)} {harvest.currency} less tax "
        "this year; the buys go back to the targets"
    )


def _money(value: Decimal) -> str:
    """An amount in the tax currency for messages: ``1,234.50``."""
    return fmt(value, 2, fixed=True, thousands=True, negative_zero=True)

"""Plain-data reports of what the bot saw and did: the shapes behind ``--json`` and the tables.

Money and amounts are decimal strings (never floats), weights are percents rounded to 0.0001.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from trimtab.ledger.store import RunDetail, RunSummary
from trimtab.money import fmt
from trimtab.planning.plan import Plan
from trimtab.service import PlanView, PortfolioView, RunOutcome, fee_totals
from trimtab.tax.advice_output import advice_json
from trimtab.venues.port import OrderResult

WEIGHT_PLACES = Decimal("0.0001")
VALUE_PLACES = Decimal("0.01")


def weight(value: Decimal) -> str:
    return fmt(value.quantize(WEIGHT_PLACES))


def money(value: Decimal) -> str:
    return fmt(value)


def portfolio_report(view: PortfolioView) -> dict[str, Any]:
    snapshot = view.snapshot
    return {
        "quote": snapshot.quote,
        "taken_at": snapshot.taken_at.isoformat(),
        "total_value": money(view.total_value),
        "weights": {
            asset: {
                "current": weight(view.weights[asset]),
                "target": weight(view.targets.get(asset, Decimal(0))),
                "drift": weight(view.weights[asset] - view.targets.get(asset, Decimal(0))),
                "amount": money(snapshot.amount(asset)),
                "price": money(snapshot.price(asset)),
                "value": money(snapshot.value(asset)),
            }
            for asset in view.assets
        },
        "unmanaged": {asset: money(amount) for asset, amount in view.unmanaged.items()},
    }


def plan_orders(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "leg": order.leg,
            "symbol": order.symbol,
            "side": order.side.value,
            "amount": money(order.amount),
            "limit_price": money(order.limit_price),
            "reference_price": money(order.reference_price),
            "value": money(order.value),
        }
        for order in plan.orders
    ]


def plan_report(planned: PlanView) -> dict[str, Any]:
    report = portfolio_report(planned.portfolio)
    report["decision"] = {
        "rebalance": planned.decision.rebalance,
        "reason": planned.decision.reason,
        "forced": planned.forced,
    }
    report["orders"] = plan_orders(planned.plan)
    report["skipped"] = [
        {"asset": s.asset, "side": s.side.value, "value": money(s.value), "reason": s.reason}
        for s in planned.plan.skipped
    ]
    if planned.tax is not None:
        report["tax"] = advice_json(planned.tax)
    return report


def order_result(result: OrderResult) -> dict[str, Any]:
    fees = fee_totals([result])
    average = result.average_price
    return {
        "client_order_id": result.client_order_id,
        "exchange_order_id": result.exchange_order_id,
        "symbol": result.symbol,
        "side": result.side.value,
        "amount": money(result.amount),
        "limit_price": money(result.limit_price),
        "status": result.status.value,
        "filled": money(result.filled),
        "average_price": money(average) if average is not None else None,
        "cost": money(result.cost),
        "fees": {asset: money(amount) for asset, amount in fees.items()},
    }


def run_report(outcome: RunOutcome) -> dict[str, Any]:
    report = plan_report(outcome.planned)
    report.update(
        {
            "run_id": outcome.run_id,
            "status": outcome.status,
            "mode": outcome.mode,
            "results": [order_result(r) for r in outcome.results],
            "fees": {asset: money(amount) for asset, amount in outcome.fees.items()},
            "fees_value": money(outcome.fees_value),
            "after": portfolio_report(outcome.after) if outcome.after is not None else None,
        }
    )
    return report


def summary_report(run: RunSummary) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "command": run.command,
        "venue": run.venue,
        "mode": run.mode,
        "forced": run.forced,
        "status": run.status,
        "error": run.error,
        "rebalance": run.rebalance,
        "reason": run.reason,
        "orders": run.order_count,
        "traded_value": money(run.traded_value),
        "fees": _money_map(run.fees),
        "value_before": money(run.value_before) if run.value_before is not None else None,
        "value_after": money(run.value_after) if run.value_after is not None else None,
    }


def detail_report(detail: RunDetail) -> dict[str, Any]:
    report = summary_report(detail.summary)
    report["orders_detail"] = [
        {
            "client_order_id": o.client_order_id,
            "symbol": o.symbol,
            "side": o.side,
            "amount": money(o.amount),
            "status": o.status,
            "filled": money(o.filled),
            "average_price": money(o.average_price) if o.average_price is not None else None,
            "fills": [
                {
                    "price": money(f.price),
                    "amount": money(f.amount),
                    "fee": money(f.fee),
                    "fee_asset": f.fee_asset,
                }
                for f in o.fills
            ],
        }
        for o in detail.orders
    ]
    return report


def _money_map(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {k: money(v) for k, v in values.items()}

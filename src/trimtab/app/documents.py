"""Plain-data documents of what the bot saw and did: the shapes behind the CLI's ``--json`` and the web
API's answers (one shape for both, so a script may read either).

Money and amounts are decimal strings (never floats), weights are percents rounded to 0.0001.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from trimtab.app.outcomes import DustSweep, PlanView, PortfolioView, RunOutcome, fee_totals
from trimtab.ledger.records import RunStatus
from trimtab.ledger.store import RunDetail, RunSummary
from trimtab.model.money import fmt
from trimtab.model.orders import OrderResult
from trimtab.planning.plan import Plan
from trimtab.tax.advisor import TaxAdvice
from trimtab.tax.model import Disposal

WEIGHT_PLACES = 4


def weight(value: Decimal) -> str:
    return fmt(value, WEIGHT_PLACES)


def portfolio_report(view: PortfolioView) -> dict[str, Any]:
    snapshot = view.snapshot
    return {
        "quote": snapshot.quote,
        "taken_at": snapshot.taken_at.isoformat(),
        "total_value": fmt(view.total_value),
        "weights": {
            asset: {
                "current": weight(view.weights[asset]),
                "target": weight(view.targets.get(asset, Decimal(0))),
                "drift": weight(view.weights[asset] - view.targets.get(asset, Decimal(0))),
                "amount": fmt(snapshot.amount(asset)),
                "price": fmt(snapshot.price(asset)),
                "value": fmt(snapshot.value(asset)),
            }
            for asset in view.assets
        },
        "unmanaged": {asset: fmt(amount) for asset, amount in view.unmanaged.items()},
        "dust": {
            asset: {"amount": fmt(d.amount), "value": fmt(d.value), "reason": d.reason}
            for asset, d in view.dust.items()
        },
        # held outside the exchange (config portfolio.external): in the amounts above, never traded
        "external": {asset: fmt(amount) for asset, amount in sorted(snapshot.external.items())},
        # on the exchange, kept for a withdrawal (trimtab withdraw): outside the amounts above
        "set_aside": {asset: fmt(amount) for asset, amount in sorted(snapshot.set_aside.items())},
        # deposits (amount > 0) and withdrawals since run ``run_id``, the ledger's latest snapshot
        "cash_flows": [
            {"asset": f.asset, "amount": fmt(f.amount), "value": fmt(f.value), "run_id": f.since_run}
            for f in view.cash_flows
        ],
    }


def plan_orders(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "leg": order.leg,
            "symbol": order.symbol,
            "side": order.side.value,
            "amount": fmt(order.amount),
            "limit_price": fmt(order.limit_price),
            "reference_price": fmt(order.reference_price),
            "value": fmt(order.value),
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
        {"asset": s.asset, "side": s.side.value, "value": fmt(s.value), "reason": s.reason}
        for s in planned.plan.skipped
    ]
    # What the plan's orders would pay in fees, and (routing: cheapest) the quote-only route's.
    report["estimated_fees"] = fmt(planned.plan.estimated_fees)
    report["quote_route_fees"] = _optional(planned.plan.quote_route_fees)
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
        "amount": fmt(result.amount),
        "limit_price": fmt(result.limit_price),
        "status": result.status.value,
        "filled": fmt(result.filled),
        "average_price": fmt(average) if average is not None else None,
        "cost": fmt(result.cost),
        "fees": {asset: fmt(amount) for asset, amount in fees.items()},
    }


def run_report(outcome: RunOutcome) -> dict[str, Any]:
    report = plan_report(outcome.planned)
    report.update(
        {
            "run_id": outcome.run_id,
            "status": outcome.status,
            "mode": outcome.mode,
            "results": [order_result(r) for r in outcome.results],
            "fees": {asset: fmt(amount) for asset, amount in outcome.fees.items()},
            "fees_value": fmt(outcome.fees_value),
            # what the quote-only route would have paid, and what routing saved (null: routing quote)
            "quote_route_fees": _optional(outcome.quote_route_fees),
            "fees_saved": _optional(outcome.fees_saved),
            # each top-up pass's orders: buys that spent the cash left by buys sized for their worst price
            "top_ups": [plan_orders(plan) for plan in outcome.top_ups],
            "after": portfolio_report(outcome.after) if outcome.after is not None else None,
            "dust_conversion": dust_sweep_report(outcome.dust_sweep),
        }
    )
    return report


def dust_sweep_report(sweep: DustSweep | None) -> dict[str, Any] | None:
    """A run's dust conversion (None: none was tried): what was converted into what, what was left."""
    if sweep is None:
        return None
    conversion = sweep.conversion
    return {
        "into": conversion.into if conversion is not None else None,
        "converted": [
            {"asset": c.asset, "amount": fmt(c.amount), "received": fmt(c.received), "fee": fmt(c.fee)}
            for c in (conversion.converted if conversion is not None else ())
        ],
        "received": fmt(conversion.received) if conversion is not None else None,
        "left": dict(conversion.left) if conversion is not None else {},
        "reference": conversion.reference if conversion is not None else None,
        "error": sweep.error,
    }


def _optional(amount: Decimal | None) -> str | None:
    return fmt(amount) if amount is not None else None


def run_event(outcome: RunOutcome | None, error: str | None) -> dict[str, Any]:
    """One check of ``trimtab run --json``: the run's id, status, decision and order count, or the error."""
    if outcome is None:
        return {"event": "run", "status": RunStatus.FAILED, "error": error}
    return {
        "event": "run",
        "run_id": outcome.run_id,
        "status": outcome.status,
        "rebalance": outcome.planned.decision.rebalance,
        "reason": outcome.planned.decision.reason,
        "orders": len(outcome.results),
    }


def sleep_event(next_check: datetime) -> dict[str, Any]:
    """Between two checks of ``trimtab run --json``: when the next one is due."""
    return {"event": "sleep", "next_check": next_check.isoformat()}


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
        "traded_value": fmt(run.traded_value),
        "fees": _money_map(run.fees),
        "value_before": fmt(run.value_before) if run.value_before is not None else None,
        "value_after": fmt(run.value_after) if run.value_after is not None else None,
        "quote_route_fees": _optional(run.quote_route_fees),
        "fees_saved": _optional(run.fees_saved),
        "driver": run.driver,
    }


def detail_report(detail: RunDetail) -> dict[str, Any]:
    report = summary_report(detail.summary)
    report["orders_detail"] = [
        {
            "client_order_id": o.client_order_id,
            "symbol": o.symbol,
            "side": o.side,
            "amount": fmt(o.amount),
            "status": o.status,
            "filled": fmt(o.filled),
            "average_price": fmt(o.average_price) if o.average_price is not None else None,
            "fills": [
                {
                    "price": fmt(f.price),
                    "amount": fmt(f.amount),
                    "fee": fmt(f.fee),
                    "fee_asset": f.fee_asset,
                }
                for f in o.fills
            ],
        }
        for o in detail.orders
    ]
    report["guards"] = [
        {"guard": str(g.guard), "asset": g.asset, "message": g.message} for g in detail.guards
    ]
    return report


def _money_map(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {k: fmt(v) for k, v in values.items()}


def advice_json(advice: TaxAdvice) -> dict[str, Any]:
    rules = advice.rules
    estimate = advice.estimate
    return {
        "jurisdiction": rules.jurisdiction,
        "currency": rules.currency,
        "year": estimate.year if estimate is not None else None,
        "method": method_label(advice),
        "estimated_tax": fmt(estimate.tax) if estimate is not None else None,
        "lots": [
            disposal_json(row) | {"lot_ids": list(row.lot_ids)}
            for row in (estimate.disposals if estimate is not None else ())
        ],
        "deferred": [
            {
                "asset": d.asset,
                "amount": fmt(d.amount),
                "until": d.until.isoformat(),
                "drift": fmt(d.drift),
                "gain": fmt(d.gain),
                "reason": d.reason(rules.jurisdiction),
            }
            for d in advice.deferred
        ],
        "targets": {asset: fmt(weight) for asset, weight in sorted(advice.targets.items())},
        "missing": {asset: fmt(amount) for asset, amount in sorted(advice.missing.items())},
        "note": advice.note,
    }


def method_label(advice: TaxAdvice) -> str:
    return advice.rules.country.method_label(advice.rules)


def disposal_json(row: Disposal) -> dict[str, Any]:
    """One disposal; exactly one of ``term``, ``taxable``, ``rule`` is present, per jurisdiction."""
    data: dict[str, Any] = {
        "asset": row.asset,
        "wallet": row.wallet,
        "amount": fmt(row.amount),
        "acquired": _iso(row.acquired),
        "disposed": row.disposed.isoformat(),
        "proceeds": fmt(row.proceeds),
        "cost": fmt(row.cost),
        "gain": fmt(row.gain),
    }
    if row.term is not None:
        data["term"] = row.term.value
        if row.adjustment:
            data["adjustment"] = fmt(row.adjustment)  # a wash sale (off for crypto), code W
    elif row.taxable is not None:
        data["taxable"] = row.taxable
    elif row.rule is not None:
        data["rule"] = row.rule.value
    return data


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()

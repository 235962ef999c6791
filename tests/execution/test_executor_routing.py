"""The executor with a routed plan: the first leg is every order that does not spend the quote (cross
legs, then sells); the quote buys are planned again from the balances it left, through the quote only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from trimtab.execution.client_ids import client_order_id
from trimtab.execution.executor import Executor
from trimtab.model.markets import MarketRules
from trimtab.model.orders import OrderRequest, OrderResult
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.options import Routing
from trimtab.planning.plan import Plan
from trimtab.planning.planner import PlannerSettings, plan_rebalance
from trimtab.venues.paper import IocMarket, PaperSettings, match_order

D = Decimal
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
ETH_BTC = MarketRules("ETH", "BTC", D("0.0001"), D("0.0001"), D("0.0001"), D("0.00001"))
SNAPSHOT = Snapshot(
    "USDT",
    {"BTC": Balance(D("0.2"), D("0.2")), "ETH": Balance(D(1), D(1)), "SOL": Balance(D(20), D(20))},
    {"BTC": D(60000), "ETH": D(3000), "SOL": D(150)},
    {
        "BTC": MarketRules("BTC", "USDT", D("0.00001"), D("0.00001"), D(5), D("0.01")),
        "ETH": MarketRules("ETH", "USDT", D("0.0001"), D("0.0001"), D(5), D("0.01")),
        "SOL": MarketRules("SOL", "USDT", D("0.001"), D("0.001"), D(5), D("0.01")),
    },
    D("0.001"),
    NOW,
    pairs={"ETH/BTC": ETH_BTC},
    pair_prices={"ETH/BTC": D("0.05")},
)
# 12000 BTC + 3000 ETH + 3000 SOL: BTC goes to ETH (on ETH/BTC), SOL to the quote.
TARGETS = {"BTC": D(40), "ETH": D(40), "SOL": D(0), "USDT": D(20)}
SETTINGS = PlannerSettings(D(1), D(100), D("0.5"), routing=Routing.CHEAPEST)


class SnapshotVenue:
    """Fills every order at its market's last price with the paper fill model, against the balances."""

    name = "fake"
    order_request_lifetime = 0.0

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.balances = {a: b.free for a, b in snapshot.balances.items()}
        self.placed: list[OrderRequest] = []

    async def fetch_balances(self) -> dict[str, Balance]:
        return {a: Balance(v, v) for a, v in self.balances.items()}

    async def fetch_prices(self, quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
        if quote == self.snapshot.quote:
            return {a: self.snapshot.prices[a] for a in assets}
        return {a: self.snapshot.pair_prices[f"{a}/{quote}"] for a in assets}

    async def place_order(self, request: OrderRequest) -> OrderResult:
        base, quote = request.symbol.split("/")
        snap = self.snapshot
        rules = snap.pairs.get(request.symbol) or snap.markets[base]
        last = snap.pair_prices.get(request.symbol) or snap.prices[base]
        market = IocMarket(base, quote, rules, last, PaperSettings(balances={}, fee_rate=snap.fee_rate), NOW)
        result, deltas = match_order(request, market, self.balances, str(len(self.placed)))
        for asset, change in deltas.items():
            self.balances[asset] = self.balances.get(asset, D(0)) + change
        self.placed.append(request)
        return result

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        return None

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderResult | None:
        return None


class Journal:
    def __init__(self) -> None:
        self.plans: list[Plan] = []

    def record_plan(self, run_id: int, plan: Plan, client_order_ids: Mapping[int, str]) -> None:
        self.plans.append(plan)

    def record_order(self, run_id: int, result: OrderResult, at: datetime) -> None:
        pass


async def test_cross_legs_and_sells_go_first_and_the_buys_are_replanned_through_the_quote() -> None:
    plan = plan_rebalance(SNAPSHOT, TARGETS, SETTINGS)
    assert [o.symbol for o in plan.orders][:2] == ["ETH/BTC", "SOL/USDT"]
    venue = SnapshotVenue(SNAPSHOT)
    journal = Journal()
    await Executor(venue, journal, lambda: NOW).execute(  # type: ignore[arg-type]
        run_id=1, run_started=NOW, plan=plan, snapshot=SNAPSHOT, targets=TARGETS, settings=SETTINGS
    )
    first = [(r.symbol, r.side.value) for r in venue.placed[:2]]
    assert first == [("ETH/BTC", "buy"), ("SOL/USDT", "sell")]
    replanned = journal.plans[0]
    assert all(o.symbol.endswith("/USDT") for o in replanned.orders)  # the buy leg is quote-only
    assert all(r.symbol.endswith("/USDT") for r in venue.placed[2:])
    value = sum(venue.balances[a] * SNAPSHOT.price(a) for a in ("BTC", "ETH", "SOL", "USDT"))
    for asset in ("BTC", "ETH"):
        weight = venue.balances[asset] * SNAPSHOT.prices[asset] / value * 100
        assert abs(weight - TARGETS[asset]) < D("0.5")


async def test_a_plan_of_quote_buys_only_places_them_at_once() -> None:
    cash = replace(SNAPSHOT, balances={"USDT": Balance(D(10000), D(10000))})
    plan = plan_rebalance(cash, TARGETS, SETTINGS)
    assert plan.orders
    assert plan.first_leg("USDT") == ()
    venue = SnapshotVenue(cash)
    journal = Journal()
    await Executor(venue, journal, lambda: NOW).execute(  # type: ignore[arg-type]
        run_id=1, run_started=NOW, plan=plan, snapshot=cash, targets=TARGETS, settings=SETTINGS
    )
    assert [r.symbol for r in venue.placed[: len(plan.orders)]] == [o.symbol for o in plan.orders]


async def test_resume_places_the_journaled_first_leg_then_replans_the_buys() -> None:
    plan = plan_rebalance(SNAPSHOT, TARGETS, SETTINGS)
    journal_orders = [(o, client_order_id(1, NOW, o.leg)) for o in plan.orders]
    venue = SnapshotVenue(SNAPSHOT)
    journal = Journal()
    await Executor(venue, journal, lambda: NOW).resume(  # type: ignore[arg-type]
        run_id=1,
        run_started=NOW,
        journal=journal_orders,
        snapshot=SNAPSHOT,
        targets=TARGETS,
        settings=SETTINGS,
    )
    assert [r.symbol for r in venue.placed[:2]] == ["ETH/BTC", "SOL/USDT"]
    assert journal.plans  # the buys were planned again from the real balances, not taken from the journal
    assert all(r.symbol.endswith("/USDT") for r in venue.placed[2:])

"""Property tests of the weights a rebalance trades to, over random portfolios, targets and bands:
they sum to 100, end inside every band when sells are allowed, never sell with ``sells: never``, sell
only past-band assets with ``only_past_band``, and trade less the nearer to the band they stop."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trimtab.model.markets import MarketRules
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.effective_targets import effective_targets
from trimtab.planning.options import RebalanceTo, Sells
from trimtab.planning.planner import PlannerSettings

D = Decimal
NAMES = ("AAA", "BBB", "CCC", "DDD", "EEE")
EXAMPLES = settings(max_examples=300, deadline=None)
# The assume() of a test that needs no deposit discards many generated cases; that is expected.
FILTERED = settings(EXAMPLES, suppress_health_check=[HealthCheck.filter_too_much])
SLACK = D("1e-20")  # the 28-digit sums of these tests


def _snapshot(values: Mapping[str, D], prices: Mapping[str, D]) -> Snapshot:
    return Snapshot(
        quote="USDT",
        balances={a: Balance(v / prices.get(a, D(1)), v / prices.get(a, D(1))) for a, v in values.items()},
        prices=dict(prices),
        markets={a: MarketRules(a, "USDT", D("1e-12"), D(0), D(0), D("1e-12")) for a in prices},
        fee_rate=D(0),
        taken_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Snapshot, dict[str, D], D]:
    """A portfolio of 2-5 assets and cash (values 0..1000, some zero), targets summing to 100 (the
    quote's sometimes 0), prices 0.01..50000 and a band of 1..20 points."""
    names = NAMES[: draw(st.integers(2, 5))]
    parts = [draw(st.integers(0, 100)) for _ in (*names, "USDT")]
    if draw(st.booleans()):
        parts[-1] = 0  # no cash target
    if sum(parts) == 0:
        parts[0] = 1
    total = sum(parts)
    shares = {a: D(p * 100_000 // total) / 1000 for a, p in zip((*names, "USDT"), parts, strict=True)}
    largest = max(shares, key=lambda a: shares[a])
    shares[largest] += D(100) - sum(shares.values(), D(0))  # the rounding, never below 0
    targets = {a: t for a, t in shares.items() if a != "USDT" or t > 0}
    values = {a: D(draw(st.integers(0, 1000))) for a in (*names, "USDT")}
    if sum(values.values()) == 0:
        values["USDT"] = D(100)
    prices = {a: D(draw(st.sampled_from(["0.01", "1", "3.3333", "97.13", "50000"]))) for a in names}
    band = D(draw(st.integers(1, 20)))
    return _snapshot(values, prices), targets, band


def _planner(to: RebalanceTo, sells: Sells, band: D) -> PlannerSettings:
    return PlannerSettings(D(0), D(100), D(0), rebalance_to=to, sells=sells, band_percent=band)


def _full(weights: Mapping[str, D], targets: Mapping[str, D]) -> dict[str, D]:
    """Every asset's weight, the quote's implicit one included (``targets`` returned as they were)."""
    out = dict(weights)
    out["USDT"] = out.get("USDT", D(0)) + D(100) - sum(weights.values(), D(0))
    return out


def _current(snapshot: Snapshot) -> dict[str, D]:
    values = {a: b.total * snapshot.price(a) for a, b in snapshot.balances.items()}
    total = sum(values.values(), D(0))
    return {a: v * 100 / total for a, v in values.items()}


def _turnover(weights: Mapping[str, D], current: Mapping[str, D]) -> D:
    return sum((abs(w - current.get(a, D(0))) for a, w in weights.items() if a != "USDT"), D(0))


@EXAMPLES
@given(cases(), st.sampled_from(list(RebalanceTo)), st.sampled_from(list(Sells)))
def test_the_weights_sum_to_100_and_are_never_negative(
    case: tuple[Snapshot, dict[str, D], D], to: RebalanceTo, sells: Sells
) -> None:
    snapshot, targets, band = case
    weights = effective_targets(snapshot, targets, _planner(to, sells, band))
    assert abs(sum(weights.values(), D(0)) - 100) <= D("0.01")
    assert all(w >= -SLACK for w in weights.values())


@EXAMPLES
@given(cases(), st.sampled_from([RebalanceTo.BAND_EDGE, RebalanceTo.HALFWAY]))
def test_with_sells_allowed_every_asset_ends_inside_its_band(
    case: tuple[Snapshot, dict[str, D], D], to: RebalanceTo
) -> None:
    snapshot, targets, band = case
    weights = _full(effective_targets(snapshot, targets, _planner(to, Sells.ALLOWED, band)), targets)
    for asset, weight in weights.items():
        assert abs(weight - targets.get(asset, D(0))) <= band + SLACK, asset


@EXAMPLES
@given(cases(), st.sampled_from(list(RebalanceTo)))
def test_sells_never_sells_nothing(case: tuple[Snapshot, dict[str, D], D], to: RebalanceTo) -> None:
    snapshot, targets, band = case
    current = _current(snapshot)
    weights = effective_targets(snapshot, targets, _planner(to, Sells.NEVER, band))
    for asset, weight in weights.items():
        if asset != "USDT":
            assert weight >= current.get(asset, D(0)) - SLACK, asset


@EXAMPLES
@given(cases(), st.sampled_from(list(RebalanceTo)))
def test_only_past_band_sells_only_assets_past_their_band(
    case: tuple[Snapshot, dict[str, D], D], to: RebalanceTo
) -> None:
    snapshot, targets, band = case
    current = _current(snapshot)
    weights = effective_targets(snapshot, targets, _planner(to, Sells.ONLY_PAST_BAND, band))
    for asset, weight in weights.items():
        now = current.get(asset, D(0))
        if asset != "USDT" and weight < now - SLACK:
            target = targets.get(asset, D(0))
            assert abs(now - target) > band or target == 0, asset


@FILTERED
@given(cases())
def test_band_edge_trades_no_more_than_halfway_and_halfway_no_more_than_target(
    case: tuple[Snapshot, dict[str, D], D],
) -> None:
    """Without a deposit to invest: with one, ``target`` invests it buying only and may stop at the
    band (buy-first) where ``halfway`` buys on to its half-band."""
    snapshot, targets, band = case
    current = _current(snapshot)
    assume(current.get("USDT", D(0)) <= targets.get("USDT", D(0)))
    turnover = {
        to: _turnover(
            _full(effective_targets(snapshot, targets, _planner(to, Sells.ALLOWED, band)), targets), current
        )
        for to in RebalanceTo
    }
    assert turnover[RebalanceTo.BAND_EDGE] <= turnover[RebalanceTo.HALFWAY] + SLACK
    assert turnover[RebalanceTo.HALFWAY] <= turnover[RebalanceTo.TARGET] + SLACK


@EXAMPLES
@given(cases(), st.sampled_from(list(RebalanceTo)), st.sampled_from(list(Sells)))
def test_the_weights_are_deterministic(
    case: tuple[Snapshot, dict[str, D], D], to: RebalanceTo, sells: Sells
) -> None:
    snapshot, targets, band = case
    planner = _planner(to, sells, band)
    assert effective_targets(snapshot, targets, planner) == effective_targets(snapshot, targets, planner)

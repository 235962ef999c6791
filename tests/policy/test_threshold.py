"""ThresholdPolicy and max_drift: absolute and relative bands, untargeted and unheld assets, reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trimtab.policy.threshold import ThresholdPolicy, max_drift

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
D = Decimal
FIVE = ThresholdPolicy(D(5))


def weights(**values: str) -> dict[str, Decimal]:
    return {asset: D(value) for asset, value in values.items()}


def test_deviation_above_the_band_rebalances_and_names_the_asset() -> None:
    decision = FIVE.decide(NOW, weights(SOL="21.3", BTC="78.7"), weights(SOL="15", BTC="85"), None)
    assert decision.rebalance
    # SOL and BTC are both 6.30 off; the tie goes to BTC by name.
    assert decision.reason == "threshold: BTC is 78.70% against a target of 85% (6.30 points off, band 5)"


def test_reason_matches_the_documented_example() -> None:
    decision = FIVE.decide(NOW, weights(SOL="21.3"), weights(SOL="15"), None)
    assert decision.reason == "threshold: SOL is 21.30% against a target of 15% (6.30 points off, band 5)"


def test_deviation_below_the_band_does_not_rebalance() -> None:
    decision = FIVE.decide(NOW, weights(BTC="54.99", ETH="45.01"), weights(BTC="50", ETH="50"), None)
    assert not decision.rebalance
    assert decision.reason == (
        "threshold: inside the band; largest drift is BTC at 54.99% against a target of 50% (4.99 points off, band 5)"
    )


def test_deviation_exactly_on_the_band_rebalances() -> None:
    assert FIVE.decide(NOW, weights(BTC="55", ETH="45"), weights(BTC="50", ETH="50"), None).rebalance


def test_underweight_breaks_the_band_like_overweight() -> None:
    decision = FIVE.decide(NOW, weights(BTC="40", ETH="60"), weights(BTC="50", ETH="50"), None)
    assert decision.rebalance
    assert decision.reason.startswith("threshold: BTC is 40.00% against a target of 50% (10.00 points off")


def test_worst_asset_is_named_when_several_break_the_band() -> None:
    current = weights(BTC="30", ETH="45", SOL="25")
    target = weights(BTC="40", ETH="40", SOL="20")
    decision = FIVE.decide(NOW, current, target, None)
    assert decision.reason.startswith("threshold: BTC is 30.00%")


def test_asset_held_but_not_targeted_counts_with_target_zero() -> None:
    decision = FIVE.decide(NOW, weights(BTC="57", DOGE="7", USDT="36"), weights(BTC="60", USDT="40"), None)
    assert decision.rebalance
    assert decision.reason == "threshold: DOGE is 7.00% against a target of 0% (7.00 points off, band 5)"


def test_small_untargeted_holding_stays_inside_the_band() -> None:
    assert not FIVE.decide(NOW, weights(BTC="97", DOGE="3"), weights(BTC="100"), None).rebalance


def test_target_not_held_counts_with_weight_zero() -> None:
    decision = FIVE.decide(NOW, weights(BTC="100"), weights(BTC="70", ETH="30"), None)
    assert decision.rebalance
    # Both are 30 points off; ETH is the one missing, BTC wins the tie by name.
    assert decision.reason == "threshold: BTC is 100.00% against a target of 70% (30.00 points off, band 5)"
    decision = FIVE.decide(NOW, weights(BTC="100"), weights(BTC="95", ETH="5"), None)
    assert decision.reason == "threshold: BTC is 100.00% against a target of 95% (5.00 points off, band 5)"


def test_target_not_held_alone_breaks_the_band() -> None:
    decision = FIVE.decide(NOW, weights(BTC="60", USDT="40"), weights(BTC="60", USDT="34", ETH="6"), None)
    assert decision.rebalance
    assert decision.reason.startswith("threshold: ETH is 0.00% against a target of 6%")


def test_relative_band_triggers_for_a_small_target() -> None:
    policy = ThresholdPolicy(D(5), relative_percent=D(25))
    decision = policy.decide(NOW, weights(BTC="54", DOGE="3"), weights(BTC="50", DOGE="2"), None)
    assert decision.rebalance
    # BTC drifted further (4 points) but is inside both its bands; DOGE broke its relative band of 0.5.
    assert decision.reason == (
        "threshold: DOGE is 3.00% against a target of 2% (1.00 points off, relative band 25% of target = 0.50 points)"
    )


def test_relative_band_exactly_on_the_edge_triggers() -> None:
    policy = ThresholdPolicy(D(10), relative_percent=D(25))
    assert policy.decide(NOW, weights(ETH="25"), weights(ETH="20"), None).rebalance
    assert not policy.decide(NOW, weights(ETH="24.99"), weights(ETH="20"), None).rebalance


def test_relative_band_does_not_apply_to_zero_targets() -> None:
    policy = ThresholdPolicy(D(5), relative_percent=D(25))
    decision = policy.decide(NOW, weights(BTC="99", DOGE="1"), weights(BTC="100"), None)
    # DOGE is 1 point off a 0 target: any share of 0 is 0, which must not count as a band.
    assert not decision.rebalance
    assert decision.reason == (
        "threshold: inside the band; largest drift is BTC at 99.00% against a target of 100% "
        "(1.00 points off, band 5, relative band 25% of target)"
    )


def test_absolute_band_is_named_when_both_bands_break() -> None:
    policy = ThresholdPolicy(D(5), relative_percent=D(10))
    decision = policy.decide(NOW, weights(BTC="60"), weights(BTC="50"), None)
    assert decision.reason.endswith("(10.00 points off, band 5)")


def test_fractional_band_and_targets_are_printed_as_configured() -> None:
    policy = ThresholdPolicy(D("2.5"))
    decision = policy.decide(NOW, weights(ETH="15.123"), weights(ETH="12.5"), None)
    assert decision.reason == "threshold: ETH is 15.12% against a target of 12.5% (2.62 points off, band 2.5)"


def test_computed_targets_are_printed_with_two_decimals() -> None:
    decision = FIVE.decide(NOW, weights(ETH="30"), {"ETH": D(100) / D(3)}, None)
    assert "against a target of 33.33% (3.33 points off" in decision.reason


def test_empty_weights_and_targets_do_not_rebalance() -> None:
    decision = FIVE.decide(NOW, {}, {}, None)
    assert not decision.rebalance
    assert decision.reason == "threshold: no weights or targets to compare"


def test_next_check_adds_the_check_interval() -> None:
    assert FIVE.next_check(NOW) == NOW + timedelta(hours=1)
    policy = ThresholdPolicy(D(5), check_interval=timedelta(minutes=15))
    assert policy.next_check(NOW) == NOW + timedelta(minutes=15)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        FIVE.decide(datetime(2026, 1, 1), {}, {}, None)
    with pytest.raises(ValueError, match="last_rebalance must be a timezone-aware"):
        FIVE.decide(NOW, {}, {}, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        FIVE.next_check(datetime(2026, 1, 1))


@pytest.mark.parametrize("bad", [D(0), D(-1), D("NaN"), D("Infinity")])
def test_threshold_must_be_a_positive_number(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="threshold_percent must be a number above 0"):
        ThresholdPolicy(bad)


def test_relative_percent_must_be_positive() -> None:
    with pytest.raises(ValueError, match="relative_percent must be a number above 0"):
        ThresholdPolicy(D(5), relative_percent=D(0))


def test_float_threshold_is_rejected() -> None:
    with pytest.raises(TypeError, match="threshold_percent must be a Decimal, got float"):
        ThresholdPolicy(5.0)  # type: ignore[arg-type]


def test_check_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="check_interval must be longer than zero"):
        ThresholdPolicy(D(5), check_interval=timedelta(0))


# --- max_drift -----------------------------------------------------------------------------------


def test_max_drift_returns_the_furthest_asset_in_points() -> None:
    assert max_drift(weights(BTC="55", ETH="45"), weights(BTC="48", ETH="52")) == ("BTC", D(7))


def test_max_drift_counts_untargeted_and_unheld_assets() -> None:
    assert max_drift(weights(BTC="90", DOGE="10"), weights(BTC="90")) == ("DOGE", D(10))
    assert max_drift(weights(BTC="90"), weights(BTC="88", ETH="12")) == ("ETH", D(12))


def test_max_drift_breaks_ties_by_name() -> None:
    assert max_drift(weights(ZEC="55", ADA="45"), weights(ZEC="50", ADA="50")) == ("ADA", D(5))


def test_max_drift_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        max_drift({}, {})


# --- properties ----------------------------------------------------------------------------------

assets = st.sampled_from(["ADA", "BTC", "DOGE", "ETH", "SOL", "USDT"])
percents = st.decimals(min_value=0, max_value=100, places=2)
portfolios = st.dictionaries(assets, percents, max_size=6)


@given(portfolios, portfolios, st.decimals(min_value=D("0.01"), max_value=50, places=2))
def test_rebalances_iff_some_asset_is_at_least_the_threshold_off(
    current: dict[str, Decimal], target: dict[str, Decimal], threshold: Decimal
) -> None:
    every = set(current) | set(target)
    expected = any(abs(current.get(a, D(0)) - target.get(a, D(0))) >= threshold for a in every)
    assert ThresholdPolicy(threshold).decide(NOW, current, target, None).rebalance == expected


@given(portfolios, portfolios)
def test_decision_does_not_depend_on_mapping_order(
    current: dict[str, Decimal], target: dict[str, Decimal]
) -> None:
    policy = ThresholdPolicy(D(3), relative_percent=D(20))
    reordered_current = dict(reversed(list(current.items())))
    reordered_target = dict(reversed(list(target.items())))
    assert policy.decide(NOW, current, target, None) == policy.decide(
        NOW, reordered_current, reordered_target, None
    )


@given(portfolios, portfolios)
def test_max_drift_is_the_largest_absolute_deviation(
    current: dict[str, Decimal], target: dict[str, Decimal]
) -> None:
    every = set(current) | set(target)
    if not every:
        return
    asset, drift = max_drift(current, target)
    deviations = {a: abs(current.get(a, D(0)) - target.get(a, D(0))) for a in every}
    assert drift == max(deviations.values()) == deviations[asset]
    assert asset == min(a for a, d in deviations.items() if d == drift)

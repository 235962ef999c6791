"""HybridPolicy: checks on its own interval, trades only past the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trimtab.policy.hybrid import HybridPolicy
from trimtab.policy.threshold import ThresholdPolicy

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
TARGETS = {"BTC": Decimal(50), "ETH": Decimal(50)}
DAILY_FIVE = HybridPolicy(ThresholdPolicy(Decimal(5)), check_interval=timedelta(days=1))


def test_past_the_threshold_rebalances_with_a_hybrid_reason() -> None:
    decision = DAILY_FIVE.decide(NOW, {"BTC": Decimal(57), "ETH": Decimal(43)}, TARGETS, None)
    assert decision.rebalance
    assert decision.reason == "hybrid: BTC is 57.00% against a target of 50% (7.00 points off, band 5)"


def test_inside_the_threshold_does_not_rebalance() -> None:
    decision = DAILY_FIVE.decide(
        NOW, {"BTC": Decimal(53), "ETH": Decimal(47)}, TARGETS, NOW - timedelta(days=30)
    )
    assert not decision.rebalance
    assert decision.reason.startswith("hybrid: inside the band; largest drift is BTC at 53.00%")


def test_exactly_on_the_threshold_rebalances() -> None:
    assert DAILY_FIVE.decide(NOW, {"BTC": Decimal(55), "ETH": Decimal(45)}, TARGETS, None).rebalance


def test_relative_band_of_the_threshold_is_honoured() -> None:
    policy = HybridPolicy(ThresholdPolicy(Decimal(5), relative_percent=Decimal(50)), timedelta(hours=6))
    decision = policy.decide(
        NOW, {"BTC": Decimal(97), "DOGE": Decimal(3)}, {"BTC": Decimal(98), "DOGE": Decimal(2)}, None
    )
    assert decision.rebalance
    assert decision.reason.startswith("hybrid: DOGE is 3.00%")


def test_next_check_uses_the_hybrid_interval_not_the_thresholds() -> None:
    policy = HybridPolicy(ThresholdPolicy(Decimal(5), check_interval=timedelta(minutes=5)), timedelta(days=1))
    assert policy.next_check(NOW) == NOW + timedelta(days=1)


def test_decision_matches_the_threshold_apart_from_the_label() -> None:
    threshold = ThresholdPolicy(Decimal(5))
    hybrid = HybridPolicy(threshold, timedelta(days=1))
    current = {"BTC": Decimal(61), "ETH": Decimal(39)}
    expected = threshold.decide(NOW, current, TARGETS, None)
    actual = hybrid.decide(NOW, current, TARGETS, None)
    assert actual.rebalance == expected.rebalance
    assert actual.reason == expected.reason.replace("threshold:", "hybrid:", 1)


def test_non_positive_interval_is_rejected() -> None:
    with pytest.raises(ValueError, match="check_interval must be longer than zero"):
        HybridPolicy(ThresholdPolicy(Decimal(5)), timedelta(seconds=-1))


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DAILY_FIVE.decide(datetime(2026, 1, 1), {}, TARGETS, None)
    with pytest.raises(ValueError, match="timezone-aware"):
        DAILY_FIVE.decide(NOW, {}, TARGETS, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        DAILY_FIVE.next_check(datetime(2026, 1, 1))

from decimal import Decimal

import pytest

from trimtab.weights import StaticWeights, TargetWeights


def d(text: str) -> Decimal:
    return Decimal(text)


def test_static_returns_the_configured_weights_and_needs_no_history() -> None:
    weights = StaticWeights({"BTC": d("60"), "ETH": d("30"), "USDT": d("10")})

    assert weights.targets({}) == {"BTC": d("60"), "ETH": d("30"), "USDT": d("10")}
    assert weights.lookback_days == 0
    assert weights.assets == ("BTC", "ETH", "USDT")


def test_static_targets_are_a_copy_that_callers_cannot_use_to_change_the_config() -> None:
    config = {"BTC": d("50"), "ETH": d("50")}
    weights = StaticWeights(config)

    first = weights.targets({})
    first["BTC"] = d("0")
    config["ETH"] = d("99")

    assert weights.targets({}) == {"BTC": d("50"), "ETH": d("50")}
    with pytest.raises(TypeError):
        weights.weights["BTC"] = d("1")  # type: ignore[index]


def test_static_accepts_a_sum_within_one_hundredth_of_100_and_keeps_it_as_configured() -> None:
    weights = StaticWeights({"BTC": d("33.33"), "ETH": d("33.33"), "SOL": d("33.33")})

    assert sum(weights.targets({}).values()) == d("99.99")


@pytest.mark.parametrize("total_off", ["0.011", "-0.011", "10"])
def test_static_rejects_weights_that_do_not_sum_to_100(total_off: str) -> None:
    with pytest.raises(ValueError, match="must sum to 100"):
        StaticWeights({"BTC": d("50"), "ETH": d("50") + d(total_off)})


def test_static_rejects_a_negative_weight() -> None:
    with pytest.raises(ValueError, match="ETH must be a percentage >= 0"):
        StaticWeights({"BTC": d("110"), "ETH": d("-10")})


def test_static_rejects_an_empty_mapping() -> None:
    with pytest.raises(ValueError, match="at least one asset"):
        StaticWeights({})


def test_static_rejects_a_float_weight() -> None:
    with pytest.raises(TypeError, match="BTC must be a Decimal"):
        StaticWeights({"BTC": 100.0})  # type: ignore[dict-item]


def test_static_allows_a_zero_weight_asset() -> None:
    weights = StaticWeights({"BTC": d("100"), "DOGE": d("0")})

    assert weights.targets({}) == {"BTC": d("100"), "DOGE": d("0")}


def test_static_weights_satisfy_the_target_weights_protocol() -> None:
    method: TargetWeights = StaticWeights({"USDT": d("100")})

    assert method.targets({"USDT": [d("1")]}) == {"USDT": d("100")}

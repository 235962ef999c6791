import itertools
import math
import statistics
from datetime import date
from decimal import Decimal

import pytest

from trimtab.errors import PlanningError
from trimtab.pricedata import bundled_history
from trimtab.weights import InverseVolatility, TargetWeights, log_return_volatility


def d(text: str) -> Decimal:
    return Decimal(text)


def zigzag(factor: int, closes: int = 31) -> list[Decimal]:
    """Closes 100, 100*factor, 100, ...: every log return is +-ln(factor), so volatility scales with ln(factor)."""
    return [Decimal(100 * factor) if i % 2 else Decimal(100) for i in range(closes)]


def test_twice_the_volatility_gets_half_the_weight() -> None:
    # BTC moves +-ln 2 every day, ETH +-ln 4 = +-2 ln 2: exactly twice the volatility.
    weights = InverseVolatility(("BTC", "ETH"))

    assert weights.targets({"BTC": zigzag(2), "ETH": zigzag(4)}) == {"BTC": d("66.6667"), "ETH": d("33.3333")}


def test_volatility_is_the_sample_stdev_of_log_returns() -> None:
    closes = [d("100"), d("103"), d("99.5"), d("101"), d("108.25"), d("104")]
    log_returns = [math.log(float(b) / float(a)) for a, b in itertools.pairwise(closes)]

    assert log_return_volatility(closes) == pytest.approx(statistics.stdev(log_returns), rel=1e-12)
    # ddof=1, not the population deviation.
    assert log_return_volatility(closes) != pytest.approx(statistics.pstdev(log_returns), rel=1e-6)


def test_weights_follow_the_ratio_of_sample_stdevs() -> None:
    btc = [d("100"), d("103"), d("99.5"), d("101"), d("108.25"), d("104")]
    eth = [d("50"), d("47"), d("52"), d("55.5"), d("49"), d("51")]
    vol = {name: log_return_volatility(closes) for name, closes in {"BTC": btc, "ETH": eth}.items()}
    expected_btc = 100 * (1 / vol["BTC"]) / (1 / vol["BTC"] + 1 / vol["ETH"])

    targets = InverseVolatility(("BTC", "ETH"), lookback_days=5).targets({"BTC": btc, "ETH": eth})

    assert float(targets["BTC"]) == pytest.approx(expected_btc, abs=0.0001)
    assert targets["BTC"] + targets["ETH"] == 100


def test_only_the_last_lookback_returns_count() -> None:
    weights = InverseVolatility(("BTC", "ETH"), lookback_days=4)
    recent = {
        "BTC": [d("10"), d("11"), d("10.5"), d("12"), d("11")],
        "ETH": [d("5"), d("6"), d("5"), d("7"), d("6")],
    }
    # Wild older history (and different lengths per asset) must not change anything.
    longer = {"BTC": [d("1"), d("1000"), d("3"), *recent["BTC"]], "ETH": [d("90000"), *recent["ETH"]]}

    assert weights.targets(longer) == weights.targets(recent)


def test_cash_asset_gets_exactly_the_cash_weight_and_the_rest_is_shared() -> None:
    weights = InverseVolatility(("BTC", "ETH"), cash_asset="USDT", cash_weight=d("12.5"))

    targets = weights.targets({"BTC": zigzag(2), "ETH": zigzag(4)})

    assert targets == {"BTC": d("58.3333"), "ETH": d("29.1667"), "USDT": d("12.5")}
    assert sum(targets.values()) == 100
    assert weights.assets == ("BTC", "ETH", "USDT")
    assert tuple(targets) == weights.assets


def test_cash_asset_with_zero_weight_is_still_listed() -> None:
    weights = InverseVolatility(("BTC",), cash_asset="USDT")

    assert weights.targets({"BTC": zigzag(2)}) == {"BTC": d("100"), "USDT": d("0")}


def test_rounding_remainder_goes_to_the_largest_weight() -> None:
    # Three equal volatilities: 33.3333 each would sum to 99.9999; the tie on size is broken by name.
    weights = InverseVolatility(("SOL", "BTC", "ETH"))

    targets = weights.targets({"SOL": zigzag(3), "BTC": zigzag(3), "ETH": zigzag(3)})

    assert targets == {"SOL": d("33.3333"), "BTC": d("33.3334"), "ETH": d("33.3333")}


def test_same_inputs_give_the_same_weights_whatever_the_mapping_order() -> None:
    closes = {"BTC": zigzag(2), "ETH": zigzag(3), "SOL": zigzag(5)}
    reversed_closes = dict(reversed(list(closes.items())))
    weights = InverseVolatility(("BTC", "ETH", "SOL"), min_weight=d("20"), max_weight=d("45"))

    assert weights.targets(closes) == weights.targets(reversed_closes) == weights.targets(closes)


def test_insufficient_history_names_the_asset_and_the_counts() -> None:
    weights = InverseVolatility(("BTC", "ETH"), lookback_days=30)

    with pytest.raises(PlanningError, match=r"needs 31 daily closes of ETH, got 30"):
        weights.targets({"BTC": zigzag(2), "ETH": zigzag(2, closes=30)})


def test_missing_history_counts_as_zero_closes() -> None:
    with pytest.raises(PlanningError, match=r"needs 31 daily closes of ETH, got 0"):
        InverseVolatility(("BTC", "ETH")).targets({"BTC": zigzag(2)})


def test_a_flat_series_asks_for_a_fixed_cash_weight() -> None:
    weights = InverseVolatility(("BTC", "USDC"), lookback_days=3)

    with pytest.raises(PlanningError, match=r"USDC .*zero volatility.*as cash_asset"):
        weights.targets({"BTC": zigzag(2, closes=4), "USDC": [d("1")] * 4})


def test_a_non_positive_close_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match="positive closes of BTC"):
        InverseVolatility(("BTC",), lookback_days=2).targets({"BTC": [d("1"), d("0"), d("2")]})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"assets": ()}, "at least one asset"),
        ({"assets": ("BTC", "BTC")}, "must not repeat"),
        ({"assets": ("BTC", "USDT"), "cash_asset": "USDT"}, "cannot also be weighted"),
        ({"assets": ("BTC",), "lookback_days": 1}, "at least 2"),
        ({"assets": ("BTC",), "cash_weight": d("5")}, "needs a cash_asset"),
        ({"assets": ("BTC",), "cash_asset": "USDT", "cash_weight": d("100.01")}, "between 0 and 100"),
        ({"assets": ("BTC",), "cash_asset": "USDT", "cash_weight": d("-1")}, "between 0 and 100"),
        ({"assets": ("BTC",), "cash_asset": "USDT", "cash_weight": d("0.00001")}, r"multiple of 0\.0001"),
        ({"assets": ("BTC", "ETH"), "min_weight": d("60"), "max_weight": d("50")}, "above max_weight"),
    ],
)
def test_invalid_constructor_arguments_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InverseVolatility(**kwargs)  # type: ignore[arg-type]


def test_a_float_cash_weight_is_rejected() -> None:
    with pytest.raises(TypeError, match="cash_weight must be a Decimal"):
        InverseVolatility(("BTC",), cash_asset="USDT", cash_weight=10.0)  # type: ignore[arg-type]


def test_inverse_volatility_satisfies_the_target_weights_protocol() -> None:
    method: TargetWeights = InverseVolatility(("BTC", "ETH"), lookback_days=10)

    assert method.lookback_days == 10
    assert method.assets == ("BTC", "ETH")


def test_real_history_gives_btc_more_weight_than_sol() -> None:
    history = bundled_history()
    until = date(2024, 6, 30)
    assets = ("BTC", "ETH", "SOL", "BNB")
    closes = {asset: history.history(asset, until, 31) for asset in assets}

    targets = InverseVolatility(assets, lookback_days=30).targets(closes)

    assert targets["BTC"] > targets["SOL"]
    assert sum(targets.values()) == 100
    assert all(weight > 0 for weight in targets.values())

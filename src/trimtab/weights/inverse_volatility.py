"""Risk parity by inverse volatility: the calmer an asset, the larger its weight.

Volatility here is the sample standard deviation (ddof=1) of the last ``lookback_days`` daily log
returns ``ln(close[t] / close[t-1])``, so it reads ``lookback_days + 1`` closes (the most recent ones
when more are given). It is not annualised: only the ratios between assets matter, and annualising
would multiply every volatility by the same factor.

Each asset gets a score ``1 / volatility``. An optional cash asset gets exactly ``cash_weight``; the
other assets share ``100 - cash_weight`` in proportion to their scores. Optional per-asset bounds
``min_weight`` / ``max_weight`` (percent of the whole portfolio, never applied to cash) are met by
water-filling: clip the assets that break a bound, re-spread the rest over the unclipped assets by
score, repeat until nothing breaks a bound.

Volatility is computed with floats (analytics); the scores cross into Decimal once, in
``_scores``, and the weights are Decimal percents on a 0.0001 grid that sum to exactly 100.

>>> weights = InverseVolatility(("BTC", "ETH"), lookback_days=2, cash_asset="USDT", cash_weight=Decimal(10))
>>> weights.targets({"BTC": [Decimal(100), Decimal(200), Decimal(100)],
...                  "ETH": [Decimal(100), Decimal(400), Decimal(100)]})
{'BTC': Decimal('60.0000'), 'ETH': Decimal('30.0000'), 'USDT': Decimal('10.0000')}
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from trimtab.errors import NotEnoughHistory, PlanningError
from trimtab.model.money import HUNDRED, ZERO, fmt, to_decimal
from trimtab.weights.base import WEIGHT_STEP

# ddof=1 needs two returns, i.e. three closes.
MIN_LOOKBACK_DAYS = 2


def log_return_volatility(closes: Sequence[Decimal]) -> float:
    """Sample standard deviation (ddof=1) of the daily log returns of ``closes`` (oldest first).

    Needs at least three positive closes (ValueError otherwise). Not annualised.
    """
    if len(closes) < MIN_LOOKBACK_DAYS + 1:
        raise ValueError(f"volatility needs at least {MIN_LOOKBACK_DAYS + 1} closes, got {len(closes)}")
    if any(close <= ZERO for close in closes):
        raise ValueError("volatility needs positive closes")
    prices = [float(close) for close in closes]
    returns = [math.log(today / yesterday) for yesterday, today in itertools.pairwise(prices)]
    return statistics.stdev(returns)


@dataclass(frozen=True, init=False)
class InverseVolatility:
    """Weights inversely proportional to volatility, with an optional fixed cash weight and caps.

    ``risk_assets`` are the assets weighted by volatility; ``assets`` adds ``cash_asset`` when set.
    Arguments after ``lookback_days`` are keyword-only. All are validated up front (ValueError),
    including whether the caps can be met at all; ``targets`` raises PlanningError when the history
    cannot give a volatility.
    """

    risk_assets: tuple[str, ...]
    lookback_days: int
    cash_asset: str | None
    cash_weight: Decimal
    min_weight: Decimal | None
    max_weight: Decimal | None

    def __init__(
        self,
        assets: tuple[str, ...],
        lookback_days: int = 30,
        *,
        cash_asset: str | None = None,
        cash_weight: Decimal = ZERO,
        min_weight: Decimal | None = None,
        max_weight: Decimal | None = None,
    ) -> None:
        risk_assets = _check_assets(assets, cash_asset)
        if isinstance(lookback_days, bool) or not isinstance(lookback_days, int):
            raise TypeError(f"lookback_days must be an int, got {type(lookback_days).__name__}")
        if lookback_days < MIN_LOOKBACK_DAYS:
            raise ValueError(f"lookback_days must be at least {MIN_LOOKBACK_DAYS}, got {lookback_days}")
        cash = _check_percent("cash_weight", cash_weight)
        if cash_asset is None and cash:
            raise ValueError("cash_weight needs a cash_asset to give it to")
        low = None if min_weight is None else _check_percent("min_weight", min_weight)
        high = None if max_weight is None else _check_percent("max_weight", max_weight)
        _check_feasible(len(risk_assets), HUNDRED - cash, low, high)
        # Frozen dataclass with a hand-written __init__: the constructor takes ``assets`` (the risky
        # ones) while the protocol's ``assets`` also lists the cash asset.
        object.__setattr__(self, "risk_assets", risk_assets)
        object.__setattr__(self, "lookback_days", lookback_days)
        object.__setattr__(self, "cash_asset", cash_asset)
        object.__setattr__(self, "cash_weight", cash)
        object.__setattr__(self, "min_weight", low)
        object.__setattr__(self, "max_weight", high)

    @property
    def assets(self) -> tuple[str, ...]:
        """The risk assets, then the cash asset if one is set (even with cash_weight 0)."""
        return self.risk_assets + ((self.cash_asset,) if self.cash_asset is not None else ())

    def targets(self, closes: Mapping[str, Sequence[Decimal]]) -> dict[str, Decimal]:
        """Weights in percent on a 0.0001 grid, summing to exactly 100, keyed in ``assets`` order.

        Raises PlanningError when an asset has fewer than ``lookback_days + 1`` closes or did not move.
        """
        return self.targets_from_volatility(self._volatilities(closes))

    def targets_from_volatility(self, volatility: Mapping[str, float]) -> dict[str, Decimal]:
        """:meth:`targets` for volatilities already worked out (:func:`log_return_volatility` of each
        risk asset's window), e.g. every window of a backtest at once (:mod:`trimtab.backtest.volatility`).
        The same scores, water-filling and rounding: equal volatilities give equal weights.

        Raises PlanningError when a volatility is zero (the asset did not move).
        """
        budget = HUNDRED - self.cash_weight
        low = self.min_weight if self.min_weight is not None else ZERO
        high = self.max_weight if self.max_weight is not None else HUNDRED
        exact = _water_fill(self._scores(volatility), budget, low, high)
        weights = _settle_remainder(exact, budget, low, high)
        if self.cash_asset is not None:
            weights[self.cash_asset] = self.cash_weight.quantize(WEIGHT_STEP)
        return weights

    def _volatilities(self, closes: Mapping[str, Sequence[Decimal]]) -> dict[str, float]:
        """The volatility of each risk asset over the last ``lookback_days + 1`` of its ``closes``."""
        needed = self.lookback_days + 1
        volatilities: dict[str, float] = {}
        for asset in self.risk_assets:
            history = closes.get(asset, ())
            if len(history) < needed:
                raise NotEnoughHistory(
                    f"inverse volatility over {self.lookback_days} days needs {needed} daily closes of "
                    f"{asset}, got {len(history)}",
                    needed=needed,
                    short=(asset,),
                )
            window = history[-needed:]
            if any(close <= ZERO for close in window):
                raise PlanningError(f"inverse volatility needs positive closes of {asset}")
            volatilities[asset] = log_return_volatility(window)
        return volatilities

    def _scores(self, volatilities: Mapping[str, float]) -> dict[str, Decimal]:
        """1 / volatility of each risk asset, as Decimal: the float/Decimal boundary of this module."""
        scores: dict[str, Decimal] = {}
        for asset in self.risk_assets:
            volatility = volatilities[asset]
            if not math.isfinite(volatility) or volatility < 0.0:
                raise ValueError(f"the volatility of {asset} must be a finite number >= 0, got {volatility}")
            if volatility == 0.0:
                raise PlanningError(
                    f"{asset} did not move over the last {self.lookback_days} days (zero volatility), so "
                    f"inverse volatility cannot weight it; give it a fixed weight as cash_asset instead"
                )
            scores[asset] = to_decimal(1.0 / volatility)
        return scores


def _check_assets(assets: tuple[str, ...], cash_asset: str | None) -> tuple[str, ...]:
    if isinstance(assets, str):
        raise TypeError("assets must be a tuple of asset names, not one string")
    names = tuple(assets)
    if not names:
        raise ValueError("inverse volatility needs at least one asset")
    if any(not isinstance(name, str) or not name for name in names):
        raise ValueError(f"asset names must be non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"assets must not repeat, got {names!r}")
    if cash_asset is not None and cash_asset in names:
        raise ValueError(f"the cash asset {cash_asset} cannot also be weighted by volatility")
    if cash_asset is not None and (not isinstance(cash_asset, str) or not cash_asset):
        raise ValueError(f"cash_asset must be a non-empty string, got {cash_asset!r}")
    return names


def _check_percent(name: str, value: Decimal) -> Decimal:
    # Ints are exact, so accept them; floats are not, so refuse them.
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or not ZERO <= value <= HUNDRED:
        raise ValueError(f"{name} must be a percentage between 0 and 100, got {value}")
    # Off-grid bounds could not be honoured exactly once weights are quantized to the grid.
    if value != value.quantize(WEIGHT_STEP):
        raise ValueError(f"{name} must be a multiple of {WEIGHT_STEP}, got {value}")
    return value


def _check_feasible(count: int, budget: Decimal, low: Decimal | None, high: Decimal | None) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"min_weight {fmt(low)} is above max_weight {fmt(high)}")
    if low is not None and count * low > budget:
        raise ValueError(
            f"min_weight {fmt(low)} x {count} assets = {fmt(count * low)} is more than the "
            f"{fmt(budget)} left after the cash weight"
        )
    if high is not None and count * high < budget:
        raise ValueError(
            f"max_weight {fmt(high)} x {count} assets = {fmt(count * high)} is less than the "
            f"{fmt(budget)} left after the cash weight"
        )


def _water_fill(
    scores: Mapping[str, Decimal], budget: Decimal, low: Decimal, high: Decimal
) -> dict[str, Decimal]:
    """Split ``budget`` in proportion to ``scores`` with every share kept within ``[low, high]``.

    The answer is ``clip(k * score, low, high)`` for the one ``k`` that makes the shares sum to
    ``budget``. Clipping both sides in one pass can be wrong (a floor set while ``k`` later rises), so
    each pass clips only the side that breaks its bound by more: if the excess above ``high`` is at
    least the deficit below ``low``, the final ``k`` is at least the current one, so every asset now
    above ``high`` stays clipped in the answer (and symmetrically). Each pass fixes one asset or more,
    so it ends within ``len(scores)`` passes. Needs ``len * low <= budget <= len * high``.
    """
    fixed: dict[str, Decimal] = {}
    while len(fixed) < len(scores):
        free = [a for a in scores if a not in fixed]
        remaining = budget - sum(fixed.values(), ZERO)
        total_score = sum((scores[a] for a in free), ZERO)
        share = {a: remaining * scores[a] / total_score for a in free}
        above = [a for a in free if share[a] > high]
        below = [a for a in free if share[a] < low]
        if not above and not below:
            fixed.update(share)
            break
        excess = sum((share[a] - high for a in above), ZERO)
        deficit = sum((low - share[a] for a in below), ZERO)
        if excess >= deficit:
            fixed.update(dict.fromkeys(above, high))
        else:
            fixed.update(dict.fromkeys(below, low))
    return {a: fixed[a] for a in scores}


def _settle_remainder(
    exact: Mapping[str, Decimal], budget: Decimal, low: Decimal, high: Decimal
) -> dict[str, Decimal]:
    """Quantize ``exact`` to the grid and make it sum to exactly ``budget``.

    The rounding remainder goes to the largest weight (ties by name) that is not held at a bound:
    a clipped weight is already exact, and nudging it would put a capped calm asset below a free
    volatile one. If that weight has too little room left, the rest spills to the next largest.
    """
    result = {asset: weight.quantize(WEIGHT_STEP) for asset, weight in exact.items()}
    remainder = budget - sum(result.values(), ZERO)
    by_size = sorted(result, key=lambda a: (-result[a], a))
    # Free weights come first; clipped ones follow only as a safety net (the free ones always have
    # room: their exact values lie strictly inside the bounds and sum to a multiple of the grid).
    order = [a for a in by_size if low < exact[a] < high] + [a for a in by_size if not low < exact[a] < high]
    for asset in order:
        if not remainder:
            break
        room = high - result[asset] if remainder > ZERO else low - result[asset]
        take = min(remainder, room) if remainder > ZERO else max(remainder, room)
        result[asset] += take
        remainder -= take
    # Cannot fail: bounds and budget are on the grid and len * low <= budget <= len * high.
    assert not remainder, f"rounding remainder {remainder} left over"
    return result

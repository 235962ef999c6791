"""Target weights: what the portfolio should hold, in percent, summing to 100.

``StaticWeights`` repeats the config; ``InverseVolatility`` weighs assets by 1 / volatility of their
recent daily log returns (risk parity), with an optional fixed cash weight and per-asset caps.
"""

from trimtab.weights.base import WEIGHT_STEP, TargetWeights
from trimtab.weights.inverse_volatility import InverseVolatility, log_return_volatility
from trimtab.weights.static import StaticWeights

__all__ = ["WEIGHT_STEP", "InverseVolatility", "StaticWeights", "TargetWeights", "log_return_volatility"]

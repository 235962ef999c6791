"""trimtab: a portfolio rebalancing bot that keeps a portfolio on its target weights.

Money is :class:`decimal.Decimal` end to end. Importing trimtab makes mixing a ``float`` into
``Decimal`` arithmetic or comparisons raise :class:`decimal.FloatOperation` instead of quietly
degrading to binary floating point.
"""

import decimal

# Mixed Decimal/float arithmetic must fail loudly: money is Decimal end to end, never silently float. DefaultContext is the template
# for contexts of new threads; the current context covers this one.
decimal.DefaultContext.traps[decimal.FloatOperation] = True
decimal.getcontext().traps[decimal.FloatOperation] = True

__version__ = "0.1.0"
__all__ = ["__version__"]

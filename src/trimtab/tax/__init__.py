"""Tax lots, realized gains per jurisdiction (USA, Germany, UK) and tax-aware rebalancing.

Not tax advice: the rules are implemented from public sources (see the README's Taxes section), and
the numbers are meant to be right; a tax adviser decides what is filed.
"""

from trimtab.tax.native import select as _select_native

# Before any module of the cost walk is imported: compiled if a fresh build is there, else the sources.
_select_native()

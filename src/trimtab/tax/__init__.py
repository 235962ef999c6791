"""Tax lots, realized gains per jurisdiction (USA, Germany, UK) and tax-aware rebalancing.

Not tax advice: the rules are implemented from public sources (see the README's Taxes section), and
the numbers are meant to be right; a tax adviser decides what is filed.
"""

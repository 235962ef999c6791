"""The domain model: money, market rules, balances and snapshots, orders and fills.

Every other part of trimtab builds on these types; this package imports nothing else from trimtab.
"""

"""Policies decide *when* to rebalance: pure functions of time, weights, targets and the last rebalance."""

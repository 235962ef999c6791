"""Vectorised backtesting on real price history: loading closes (data) and measuring results (metrics)."""

"""Execution: the only code that changes anything on a venue."""

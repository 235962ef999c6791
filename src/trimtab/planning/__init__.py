"""Planning: from a snapshot and target weights to the orders that bring the portfolio back on target."""

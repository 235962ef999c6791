"""Venues: where orders go. One async port, with a paper adapter now and ccxt later."""

"""Acquisitions and sales for the tax tests, written as short literals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trimtab.tax.normalize import Acquisition, Record, Sale


def buy(amount: str, cost: str, when: datetime, wallet: str = "w", asset: str = "BTC") -> Record:
    return Acquisition(asset, wallet, Decimal(amount), Decimal(cost), when)


def sell(amount: str, proceeds: str, when: datetime, wallet: str = "w", asset: str = "BTC") -> Record:
    return Sale(asset, wallet, Decimal(amount), Decimal(proceeds), when)

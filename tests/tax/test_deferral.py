"""Deferring a sell whose lots are about to turn long-term or tax-free, and pinning its target."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from trimtab.tax.deferral import Deferral, SellCandidate, deferrals, pinned_targets
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.lots import LotBook
from trimtab.tax.normalize import Acquisition

D = Decimal
DE, US, UK = TaxRules.defaults("de"), TaxRules.defaults("us"), TaxRules.defaults("uk")
NOW = datetime(2025, 12, 20, 12, tzinfo=UTC)


def book(*lots: tuple[str, str, str]) -> LotBook:
    """Lots of BTC in wallet "w": (amount, cost, acquired ISO date)."""
    lots_book = LotBook()
    for amount, cost, day in lots:
        when = datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)
        lots_book.add(Acquisition("BTC", "w", D(amount), D(cost), when))
    return lots_book


def defer(
    lots: LotBook, *, unit: str = "40000", drift: str = "8", days: int = 30, rules: TaxRules = DE
) -> list[Deferral]:
    candidate = SellCandidate("BTC", D("0.2"), D(unit), D(drift))
    return deferrals(rules, lots, "w", [candidate], now=NOW, defer_days=days, hard_band=D(10))


def test_a_german_gain_that_turns_tax_free_within_the_window_is_deferred() -> None:
    # Bought 10 Jan 2025: the period ends 10 Jan 2026, tax-free from 11 Jan 2026, 22 days after
    # 20 Dec 2025. Selling 0.2 now at 40,000 would realize 8,000 - 6,000 = 2,000, taxable.
    [deferral] = defer(book(("1", "30000", "2025-01-10")))
    assert (deferral.asset, deferral.amount, deferral.until, deferral.gain) == (
        "BTC",
        D("0.2"),
        date(2026, 1, 11),
        D("2000"),
    )
    assert "turn tax-free on 2026-01-11" in deferral.reason("de")


def test_nothing_is_deferred_beyond_the_hard_band_or_the_window() -> None:
    lots = book(("1", "30000", "2025-01-10"))
    assert defer(lots, drift="10.01") == []  # drift beyond the 10-point hard band: sell now
    assert defer(lots, drift="-10.01") == []
    assert defer(lots, days=21) == []  # tax-free in 22 days: outside a 21-day window
    assert len(defer(lots, days=22)) == 1
    assert defer(lots, days=0) == []


def test_losses_and_matured_lots_are_sold_now() -> None:
    assert defer(book(("1", "30000", "2025-01-10")), unit="29000") == []  # a loss: nothing to wait for
    assert defer(book(("1", "30000", "2024-12-19"))) == []  # tax-free since 20 Dec 2025
    assert defer(book(("1", "30000", "2025-01-10")), rules=UK) == []  # the pool has no clock


def test_only_the_lots_the_sale_consumes_count() -> None:
    # FIFO: the 0.2 sold come from the old, tax-free lot; the young lot behind it is not touched.
    lots = book(("0.5", "10000", "2023-05-01"), ("1", "30000", "2025-01-10"))
    assert defer(lots) == []


def test_us_min_tax_order_picks_the_lots_first() -> None:
    # min-tax at 40,000: lot 1 (a long-term gain: long-term since 2 Mar 2025) comes before lot 2 (a short-term
    # gain maturing 2 Jan 2026), so selling 0.2 uses lot 1 only: nothing to defer. With only lot 2 it is.
    both = book(("1", "20000", "2024-03-01"), ("1", "30000", "2025-01-01"))
    assert defer(both, rules=US) == []
    [deferral] = defer(book(("1", "30000", "2025-01-01")), rules=US)
    assert deferral.until == date(2026, 1, 2)
    assert "turn long-term" in deferral.reason("us")


def test_pinning_takes_the_excess_off_the_under_target_assets_only() -> None:
    targets = {"BTC": D(40), "ETH": D(30), "SOL": D(20), "USDT": D(10)}
    weights = {"BTC": D(46), "ETH": D(34), "SOL": D(12), "USDT": D(8)}
    # BTC keeps 46 (6 points over). SOL is 8 under, USDT 2: they give up 6 x 8/10 = 4.8 and 6 x 2/10 =
    # 1.2 points. ETH, also over, is still sold back to 30.
    pinned = pinned_targets(targets, weights, ["BTC"])
    assert pinned == {"BTC": D(46), "ETH": D(30), "SOL": D("15.2"), "USDT": D("8.8")}
    assert pinned is not None
    assert sum(pinned.values()) == 100


def test_pinning_an_asset_that_is_not_over_target_is_refused() -> None:
    targets = {"BTC": D(50), "ETH": D(50)}
    assert pinned_targets(targets, {"BTC": D(45), "ETH": D(55)}, ["BTC"]) is None


def test_pinning_every_over_target_asset_leaves_nothing_to_trade() -> None:
    # Weights from a real portfolio do not sum to 100 exactly: 1e-26 of rounding must not matter.
    third = Decimal(100) / 3  # 33.33...3, three of them make 99.99...9
    targets = {"BTC": D(20), "ETH": D(30), "SOL": D(50)}
    weights = {"BTC": third, "ETH": third, "SOL": third}
    pinned = pinned_targets(targets, weights, ["BTC", "ETH"])
    assert pinned is not None
    assert abs(pinned["SOL"] - third) < D("1e-20")  # SOL, the one under target, is not bought

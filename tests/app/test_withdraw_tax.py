"""With a ``tax:`` section a withdrawal sells what costs the least tax first (trimtab.app.withdrawal)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from trimtab.app.withdrawal import tax_preference
from trimtab.model.markets import MarketRules
from trimtab.model.portfolio import Balance, Snapshot
from trimtab.planning.withdrawal import size_withdrawal
from trimtab.tax.advisor import TaxAdvisor
from trimtab.tax.jurisdiction import TaxRules
from trimtab.tax.model import EventType, TaxEvent
from trimtab.tax.rates import RateTable

D = Decimal
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def snapshot() -> Snapshot:
    def rules(asset: str) -> MarketRules:
        return MarketRules(asset, "USDT", D("0.00001"), D(0), D(5), D("0.01"))

    balances = {"BTC": D("0.2"), "ETH": D(4), "SOL": D(40), "USDT": D(1000)}
    return Snapshot(
        "USDT",
        {asset: Balance(amount, amount) for asset, amount in balances.items()},
        {"BTC": D(60000), "ETH": D(3000), "SOL": D(150)},
        {a: rules(a) for a in ("BTC", "ETH", "SOL")},
        D("0.001"),
        NOW,
    )


def buy(when: str, asset: str, amount: str, price: str) -> TaxEvent:
    return TaxEvent(
        datetime.fromisoformat(when).replace(tzinfo=UTC), "paper", EventType.BUY, asset, D(amount), D(price)
    )


HISTORY = [
    buy("2026-06-01T12:00:00", "BTC", "0.2", "70000"),  # at 60,000: a loss, which saves tax
    buy("2026-06-01T12:00:00", "ETH", "4", "1000"),  # at 3,000: a short-term gain
    # SOL was never bought in the history: its lots are missing
]
ADVISOR = TaxAdvisor(
    TaxRules.defaults("us"), wallet="paper", defer_days=30, hard_band=D(10), rates=RateTable.identity()
)


def test_the_sale_at_a_loss_ranks_before_the_gain_and_missing_lots_rank_last() -> None:
    candidates = {"BTC": D(3000), "ETH": D(3000), "SOL": D(1000)}
    ranked, note = tax_preference(ADVISOR, HISTORY, snapshot(), candidates)
    assert ranked == ["BTC", "ETH", "SOL"]
    assert note.startswith("sold cheapest tax first (estimated USD of tax per USD raised: BTC -")
    assert "SOL last (lots missing from the tax history)" in note


def test_the_ranking_decides_the_sells() -> None:
    # 31000: BTC 12000, ETH 12000, SOL 6000, USDT 1000 against 30/30/30/10. After 1000 out (30000) BTC
    # and ETH are each 3000 over, SOL 3000 under, USDT lacks 3000. Levelling takes 1500 from each; the
    # tax ranking takes it all from the BTC sold at a loss and leaves the ETH gain unrealised.
    snap = snapshot()
    targets = {"BTC": D(30), "ETH": D(30), "SOL": D(30), "USDT": D(10)}
    assert size_withdrawal(snap, targets, "USDT", D(1000)).sells == {"BTC": D(1500), "ETH": D(1500)}
    ranked, _ = tax_preference(ADVISOR, HISTORY, snap, {"BTC": D(3000), "ETH": D(3000)})
    assert ranked == ["BTC", "ETH"]
    assert size_withdrawal(snap, targets, "USDT", D(1000), preference=ranked).sells == {"BTC": D(3000)}

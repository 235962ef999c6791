"""The dashboard's portfolio page shows external holdings, set-asides and cash flows apart from the table."""

from __future__ import annotations

from trimtab.web.view_portfolio import _outside


def test_external_set_aside_and_cash_flows_each_get_a_line() -> None:
    status = {
        "external": {"BTC": "0.5"},
        "set_aside": {"USDT": "1000"},
        "cash_flows": [
            {"asset": "USDT", "amount": "250", "value": "250", "run_id": 12},
            {"asset": "ETH", "amount": "-0.5", "value": "-1500", "run_id": 12},
        ],
    }
    lines = [str(line) for line in _outside(status)]
    assert len(lines) == 4
    assert "Of which external: 0.5 BTC (counted in the weights, never traded)" in lines[0]
    assert (
        "Set aside for a withdrawal: 1,000 USDT" in lines[1]
        or "Set aside for a withdrawal: 1000 USDT" in lines[1]
    )
    assert "Deposit of 250 USDT since run 12" in lines[2]
    assert "Withdrawal of 0.5 ETH since run 12" in lines[3]


def test_a_status_without_them_adds_nothing() -> None:
    assert _outside({"external": {}, "set_aside": {}, "cash_flows": []}) == []
    assert _outside({}) == []  # a status document from before these keys

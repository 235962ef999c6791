"""With ``routing: cheapest`` the terminal says where a cross pair's limit and cost are counted, and what
the plan and the run pay in fees against the quote-only route."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cli_output import stdout_of as invoke
from configs import cross_routed


def test_the_plan_names_the_cross_pairs_quote_and_its_fees_against_the_quote_route(
    write_config: Callable[..., Path],
) -> None:
    path = str(write_config(cross_routed("cheapest")))
    text = invoke("plan", "-c", path)
    assert "Orders in execution order (value in USDT)" in text
    assert "A cross pair's limit is in its own quote (ETH/BTC: BTC per ETH); others in USDT." in text
    assert "Estimated fees: " in text
    assert "(quote-only route: " in text
    document = json.loads(invoke("plan", "-c", path, "--json"))
    assert document["quote_route_fees"] is not None
    assert float(document["estimated_fees"]) < 0.6 * float(document["quote_route_fees"])
    assert document["orders"][0]["symbol"] in ("ETH/BTC", "SOL/BTC")


def test_a_quote_routed_plan_keeps_the_plain_heading_and_no_route_line(
    write_config: Callable[..., Path],
) -> None:
    path = str(write_config(cross_routed("quote")))
    text = invoke("plan", "-c", path)
    assert "Orders in execution order (limit and value in USDT)" in text
    assert "cross pair" not in text
    assert "Estimated fees" not in text
    document = json.loads(invoke("plan", "-c", path, "--json"))
    assert document["quote_route_fees"] is None
    assert all(o["symbol"].endswith("/USDT") for o in document["orders"])


def test_the_run_counts_a_cross_fills_cost_in_its_pairs_quote(write_config: Callable[..., Path]) -> None:
    path = str(write_config(cross_routed("cheapest")))
    text = invoke("rebalance", "-c", path)
    assert "Executed (price in the market's quote; cost in USDT unless named)" in text
    cross_rows = [line for line in text.splitlines() if "ETH/BTC" in line]
    assert cross_rows
    assert " BTC" in cross_rows[-1].split("ETH/BTC", 1)[1]  # the executed row, after the plan's
    assert "(quote-only route: " in text
    assert "saved " in text

"""``history`` keeps what ``routing: cheapest`` saved: the run's fees against the quote-only route's, the
same figures ``rebalance`` reported, in the text (a ``saved`` column, ``--run N``'s fee line) and the JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from cli_output import stdout_of as invoke
from configs import cross_routed


def test_history_shows_what_a_routed_run_saved_as_the_run_reported_it(
    write_config: Callable[..., Path],
) -> None:
    path = str(write_config(cross_routed("cheapest")))
    run = json.loads(invoke("rebalance", "-c", path, "--json"))
    assert run["fees_saved"] is not None

    [routed] = json.loads(invoke("history", "-c", path, "--json"))["runs"]
    assert routed["quote_route_fees"] == run["quote_route_fees"]
    assert routed["fees_saved"] == run["fees_saved"]
    detail = json.loads(invoke("history", "-c", path, "--run", str(routed["run_id"]), "--json"))
    assert (detail["quote_route_fees"], detail["fees_saved"]) == (run["quote_route_fees"], run["fees_saved"])

    # --run N prints the run's fee line: fees paid, the quote-only route's, the saving.
    shown = invoke("history", "-c", path, "--run", str(routed["run_id"]))
    line = re.search(r"fees [\d,.]+ USDT \(quote-only route: [\d,.]+ USDT, (saved|cost) [^)]*\)", shown)
    assert line is not None, shown
    table = invoke("history", "-c", path)
    header = next(row for row in table.splitlines() if "started (UTC)" in row)
    assert "saved" in header.split()
    saved = f"{float(run['fees_saved']):,.2f}"
    assert saved in line.group(0)
    assert saved in next(row for row in table.splitlines() if row.split()[:1] == [str(routed["run_id"])])


def test_a_dry_run_and_quote_routed_runs_show_no_saving(write_config: Callable[..., Path]) -> None:
    path = str(write_config(cross_routed("quote")))
    invoke("rebalance", "-c", path)
    invoke("rebalance", "-c", path, "--dry-run", "--force")
    runs = json.loads(invoke("history", "-c", path, "--json"))["runs"]
    assert [(r["quote_route_fees"], r["fees_saved"]) for r in runs] == [(None, None), (None, None)]
    header = next(row for row in invoke("history", "-c", path).splitlines() if "started (UTC)" in row)
    assert "saved" not in header.split()
    assert "quote-only route" not in invoke("history", "-c", path, "--run", str(runs[-1]["run_id"]))

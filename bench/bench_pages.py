"""The dashboard's pages with a long ledger: how long each page takes the server. Prints figures;
asserts nothing (target, issue 13: under 300 ms server time with 1,000 runs in the ledger).

    .venv/bin/python bench/bench_pages.py [--runs 1000] [--requests 30]

One ``trimtab serve`` process serves a drifted paper portfolio whose ledger already holds ``--runs``
past runs (hourly, every 10th with orders and fills, written through the ledger's API by
``tests/support/busy_ledger.py``), and one with a US ``tax:`` section. Once both made their first check,
each page is asked ``--requests`` times, one request at a time over a keep-alive loopback connection;
the time to the whole answer is recorded (server time plus a loopback round trip): p50, p95, max. The
first request of a page (cold caches) is reported on its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from busy_ledger import fill_ledger  # noqa: E402  (the tests' helper, found through the path above)
from configs import yaml_config  # noqa: E402
from serving import environment, serve  # noqa: E402

PAGES = [
    "/",
    "/p/busy",
    "/p/busy?fragment=1",
    "/p/busy/history",
    "/p/busy/history?status=completed&page=2",
    "/p/busy/runs/11",
    "/p/taxed",
    "/backtests",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "busy.yaml").write_text(yaml_config(data_dir="busy-data"), encoding="utf-8")
        (folder / "taxed.yaml").write_text(
            yaml_config(data_dir="taxed-data", tax={"jurisdiction": "us"}), encoding="utf-8"
        )
        started = time.perf_counter()
        fill_ledger(folder / "busy.yaml", args.runs)
        print(f"ledger: {args.runs} runs written in {time.perf_counter() - started:.1f} s")
        served = serve(folder / "busy.yaml", folder / "taxed.yaml", env=environment(token="bench-token"))
        try:
            url = served.listening()
            served.sleeping("busy")
            served.sleeping("taxed")
            print(f"{'page':44} {'first':>8} {'p50':>8} {'p95':>8} {'max':>8}  (ms)")
            with httpx.Client(base_url=url, timeout=60) as client:
                for path in PAGES:
                    times = []
                    for _ in range(args.requests + 1):
                        begun = time.perf_counter()
                        answer = client.get(path)
                        times.append((time.perf_counter() - begun) * 1000)
                        answer.raise_for_status()
                    first, rest = times[0], sorted(times[1:])
                    p95 = rest[max(0, round(len(rest) * 0.95) - 1)]
                    print(
                        f"{path:44} {first:8.1f} {statistics.median(rest):8.1f} {p95:8.1f} {max(rest):8.1f}"
                    )
        finally:
            code, stderr = served.stop()
            if code != 0:
                print(stderr, file=sys.stderr)


if __name__ == "__main__":
    main()

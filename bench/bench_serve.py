"""``trimtab serve`` as a service: its memory with many portfolios, and its API's latency under load.
Prints figures; asserts nothing (targets, issue 12: p99 under 50 ms, under 300 MiB with 20 portfolios).

    .venv/bin/python bench/bench_serve.py [--portfolios 20] [--clients 50] [--seconds 10]

One ``trimtab serve --config-dir`` process serves ``--portfolios`` drifted paper portfolios (the seed
weights, threshold 5 %, each with its own data_dir and ledger, the market at the closes of
2024-12-31). Once every portfolio has made its first check (a rebalance each: the ledgers hold runs),
its resident memory is read from /proc (VmRSS now, VmHWM the peak). Then a separate process opens
``--clients`` keep-alive HTTP/1.1 connections (plain asyncio streams, so the client costs little) and
for ``--seconds`` each asks ``GET /api/portfolios/{name}`` in turn over the portfolios, one request at
a time per connection; the latency of each answer is recorded: p50, p90, p99, max and the request rate.
The server and the clients share this machine's cores, as they would on a small server.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TRIMTAB = [sys.executable, "-m", "trimtab"]
CONFIG = """\
portfolio:
  target_weights: {{BTC: 40, ETH: 30, SOL: 15, BNB: 10, USDT: 5}}
rebalancing: {{strategy: threshold, threshold_percent: 5, min_trade_usd: 20}}
data_dir: data-{index:02d}
exchange:
  name: paper
  balances: {{BTC: "0.09053", ETH: "1.2754", SOL: "13.647", BNB: "3.189", USDT: "500.9402525"}}
  prices: 2024-12-31
  fee_rate: 0.001
"""


def write_portfolios(folder: Path, count: int) -> list[str]:
    names = [f"p{index:02d}" for index in range(count)]
    for index, name in enumerate(names):
        (folder / f"{name}.yaml").write_text(CONFIG.format(index=index), encoding="utf-8")
    return names


def memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


class Service:
    """The serve process and its JSON events."""

    def __init__(self, folder: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"TRIMTAB_WEB_TOKEN", "TRIMTAB_NOTIFY_URLS"}}
        env["TRIMTAB_NOW"] = "2025-01-01T12:00:00Z"
        self.process = subprocess.Popen(
            [*TRIMTAB, "serve", "--config-dir", str(folder), "--json", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=folder,
            env=env,
        )

    def events(self) -> Any:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            yield json.loads(line)

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=120)


def started(service: Service, names: list[str]) -> tuple[str, float]:
    """The URL, once every portfolio has finished its first check; and how long that took."""
    begun = time.perf_counter()
    url = ""
    checked: set[str] = set()
    for event in service.events():
        if event.get("event") == "listening":
            url = event["url"]
        elif event.get("portfolio") in names and event.get("event") == "run":
            checked.add(event["portfolio"])
        if url and checked >= set(names):
            # the events from here on are read and dropped, so the service never waits on a full pipe
            threading.Thread(target=collections.deque, args=(service.events(), 0), daemon=True).start()
            return url, time.perf_counter() - begun
    assert service.process.stderr is not None
    stderr = service.process.stderr.read()
    raise SystemExit(f"serve ended early (exit {service.process.wait()}): {stderr.strip()[-500:]}")


async def client(host: str, port: int, paths: list[str], until: float, offset: int) -> list[float]:
    reader, writer = await asyncio.open_connection(host, port)
    latencies: list[float] = []
    index = offset
    while time.perf_counter() < until:
        path = paths[index % len(paths)]
        index += 1
        begun = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in {b"\r\n", b""}:
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - begun)
        if b" 200 " not in status:
            raise SystemExit(f"GET {path}: {status.decode().strip()}")
    writer.close()
    return latencies


async def load(host: str, port: int, paths: list[str], clients: int, seconds: float) -> list[float]:
    until = time.perf_counter() + seconds
    answers = await asyncio.gather(*(client(host, port, paths, until, n) for n in range(clients)))
    return [latency for each in answers for latency in each]


def load_process(url: str, names: list[str], clients: int, seconds: float) -> dict[str, float]:
    """The load, run in a separate Python process (so the client does not share the server's GIL)."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); import bench_serve as b;"
        "a = json.loads(sys.argv[2]);"
        "lat = sorted(asyncio.run(b.load(a['host'], a['port'], a['paths'], a['clients'], a['seconds'])));"
        "q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000;"
        "print(json.dumps({'requests': len(lat), 'p50': q(0.5), 'p90': q(0.9), 'p99': q(0.99), 'max': lat[-1] * 1000}))"
    )
    host, _, port = url.removeprefix("http://").rstrip("/").partition(":")
    arguments = {
        "host": host,
        "port": int(port),
        "paths": [f"/api/portfolios/{name}" for name in names],
        "clients": clients,
        "seconds": seconds,
    }
    done = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), json.dumps(arguments)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portfolios", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    load_now = os.getloadavg()[0]
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load_now:.2f} "
        "(other work on the machine slows every figure)"
    )
    with tempfile.TemporaryDirectory(prefix="trimtab-bench-serve-") as work:
        folder = Path(work)
        names = write_portfolios(folder, args.portfolios)
        service = Service(folder)
        try:
            url, seconds = started(service, names)
            rss, peak = memory_mib(service.process.pid)
            print(f"start ({args.portfolios} portfolios, first checks) : {seconds:6.1f} s")
            print(f"memory after first checks       : {rss:6.0f} MiB RSS, {peak:.0f} MiB peak (target < 300)")
            figures = load_process(url, names, args.clients, args.seconds)
            rss, peak = memory_mib(service.process.pid)
            rate = figures["requests"] / args.seconds
            print(
                f"GET /api/portfolios/{{name}}      : {args.clients} clients x {args.seconds:.0f} s: "
                f"{figures['requests']:,.0f} requests ({rate:,.0f}/s)"
            )
            print(
                f"latency                         : p50 {figures['p50']:.1f} ms, p90 {figures['p90']:.1f} ms, "
                f"p99 {figures['p99']:.1f} ms (target < 50), max {figures['max']:.1f} ms"
            )
            print(f"memory after the load           : {rss:6.0f} MiB RSS, {peak:.0f} MiB peak")
        finally:
            code = service.stop()
        print(f"stop (SIGTERM)                  : exit {code}")


if __name__ == "__main__":
    main()

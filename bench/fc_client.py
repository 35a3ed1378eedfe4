"""FC client throughput and latency against the simulator (in its own process), and signing cost.

For each API and concurrency level, ``--requests`` ListInstances calls go through one shared
FCClient; the simulator's request counter confirms every call arrived exactly once. Prints
figures only; asserts nothing about time.

Run: ``python bench/fc_client.py [--requests 2000] [--concurrency 1 16 64]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from fcwatch.fc.auth import (
    EMPTY_SHA256,
    acs3_authorization,
    acs3_canonical_headers,
    acs3_canonical_request,
    fc_authorization,
    fc_string_to_sign,
)
from fcwatch.fc.client import FCClient
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import Api, FCTarget
from fcwatch.fc.simulator_config import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

CREDS = Credentials(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))]


def start_simulator(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    ready = workdir / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fcwatch.fc.simulator_command",
            "--port",
            "0",
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("simulator did not start")
        time.sleep(0.05)
    return process, json.loads(ready.read_text())["url"]


async def run_load(url: str, api: Api, requests: int, concurrency: int) -> dict[str, Any]:
    target = FCTarget(
        api=api,
        endpoint=url,
        function_name="inventory",
        service_name="shop" if api == "fc2" else None,
    )
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def worker(client: FCClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            started = time.perf_counter()
            await client.list_instances(target, CREDS)
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient() as admin:
        await admin.delete(url + "/_admin/requests")
        async with FCClient(max_connections=concurrency) as client:
            started = time.perf_counter()
            await asyncio.gather(*(worker(client) for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
        counted = (await admin.get(url + "/_admin/requests")).json()["total"]
    return {
        "rps": requests / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "counted": counted,
    }


def signing_cost(rounds: int = 20000) -> dict[str, float]:
    headers = {"date": "Fri, 04 Dec 2026 10:00:00 GMT", "content-type": "application/json"}
    path = "/2016-08-15/services/shop.prod/functions/checkout/instances"
    started = time.perf_counter()
    for _ in range(rounds):
        fc_authorization("id", "secret", fc_string_to_sign("GET", path, headers))
    fc_us = (time.perf_counter() - started) / rounds * 1e6
    acs_headers = {
        "host": "h",
        "x-acs-date": "2026-12-04T10:00:00Z",
        "x-acs-action": "ListInstances",
    }
    query = {"qualifier": "prod", "limit": "100"}
    started = time.perf_counter()
    for _ in range(rounds):
        canonical = acs3_canonical_request("GET", path, query, acs_headers, EMPTY_SHA256)
        _, signed = acs3_canonical_headers(acs_headers)
        acs3_authorization("id", "secret", signed, canonical)
    acs_us = (time.perf_counter() - started) / rounds * 1e6
    return {"fc2_us": fc_us, "fc3_us": acs_us}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.2f}")
    cost = signing_cost()
    print(f"signing: FC {cost['fc2_us']:.1f} us/request, ACS3 {cost['fc3_us']:.1f} us/request")
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_simulator(Path(tmp))
        try:
            print(f"{'api':4} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'arrived':>8}")
            for api in ("fc2", "fc3"):
                for concurrency in args.concurrency:
                    r = asyncio.run(run_load(url, api, args.requests, concurrency))
                    print(
                        f"{api:4} {concurrency:>5} {r['rps']:>8.0f} {r['p50_ms']:>8.2f} "
                        f"{r['p99_ms']:>8.2f} {r['counted']:>8}"
                    )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A fleet of watches driven through the real Reconciler, real FCClient and real in-process
Simulator; only Kubernetes is faked (an in-memory gateway that counts what it is asked).

The bench plays the PollScheduler's part in virtual time: a heap of due times, each poll is
``await Reconciler.poll(uid)`` at most ``concurrency`` at a time, and the delay it returns
(interval with fcwatch's ±10% jitter) sets its next due time. The virtual clock is what
fcwatch reads for its decisions (the Reconciler's ``now`` for status and heartbeats, its
``monotonic`` for result sharing and rate limiting), so hours of polling take seconds. HTTP,
signing and the simulator run in real time (request ``Date`` headers are real). A "round" is
one interval of virtual time: every watch polls about once in it.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import heapq
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from fcwatch import metrics
from fcwatch.endpoints import EndpointPolicy
from fcwatch.fc.client import FCClient
from fcwatch.fc.simulator import Simulator
from fcwatch.operator_credentials import OperatorCredentials
from fcwatch.reconciler import Reconciler, ReconcilerSettings

ACCOUNT = "1234567890"
KEY_ID = "LTAIbenchFcwatch0001"
KEY_SECRET = "fcwatchBenchSecretNotForProduction"
SERVICE = "bench"
SECRET_NAME = "fc-credentials"
NAMESPACES = 10
INSTANCES_PER_TARGET = 3


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class VirtualClock:
    """Wall time for status (``now``) and a monotonic clock for sharing, both moved by hand."""

    def __init__(self) -> None:
        self.base = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.offset = 0.0

    def now(self) -> dt.datetime:
        return self.base + dt.timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return 1_000_000.0 + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class CountingGateway:
    """The three Kubernetes calls the Reconciler makes, in memory, counted."""

    def __init__(self) -> None:
        self.secret = {"accessKeyId": _b64(KEY_ID), "accessKeySecret": _b64(KEY_SECRET)}
        self.secret_reads = 0
        self.patches = 0
        self.patch_bytes = 0
        self.events = 0
        self.event_reasons: dict[str, int] = {}

    async def read_secret_data(self, namespace: str, name: str) -> Mapping[str, str] | None:
        self.secret_reads += 1
        return dict(self.secret) if name == SECRET_NAME else None

    async def patch_status(
        self, namespace: str, name: str, patch: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        self.patches += 1
        self.patch_bytes += len(json.dumps({"status": patch}, separators=(",", ":")))
        return {"status": dict(patch)}

    async def post_event(
        self, body: Mapping[str, Any], type_: str, reason: str, message: str
    ) -> None:
        self.events += 1
        self.event_reasons[reason] = self.event_reasons.get(reason, 0) + 1


def target_api(index: int) -> str:
    """Targets alternate between FC 2.0 (FC signature) and FC 3.0 (ACS3)."""
    return "fc2" if index % 2 == 0 else "fc3"


def function_name(index: int) -> str:
    return f"f{index:05d}"


def simulator_config(targets: int) -> dict[str, Any]:
    functions = [
        {
            "service": SERVICE,
            "function": function_name(j),
            "qualifiers": {
                "LATEST": [{"instanceId": f"c-{j:05d}-{k}"} for k in range(INSTANCES_PER_TARGET)]
            },
        }
        for j in range(targets)
    ]
    return {
        "accounts": [
            {
                "accountId": ACCOUNT,
                "keys": [{"accessKeyId": KEY_ID, "accessKeySecret": KEY_SECRET}],
                "functions": functions,
            }
        ]
    }


def watch_body(index: int, targets: int, endpoint: str, interval: str) -> dict[str, Any]:
    j = index % targets
    api = target_api(j)
    spec: dict[str, Any] = {
        "api": api,
        "region": "cn-hangzhou",
        "accountId": ACCOUNT,
        "functionName": function_name(j),
        "endpoint": endpoint,
        "interval": interval,
        "credentialsRef": {"name": SECRET_NAME},
    }
    if api == "fc2":
        spec["serviceName"] = SERVICE
    return {
        "apiVersion": "fcwatch.io/v1alpha1",
        "kind": "FunctionInstanceWatch",
        "metadata": {
            "uid": f"uid-{index:06d}",
            "namespace": f"bench-{index % NAMESPACES}",
            "name": f"w-{index:06d}",
            "generation": 1,
            "resourceVersion": "1",
        },
        "spec": spec,
    }


def status_writes_by_why() -> dict[str, float]:
    """fcwatch's own ``fcwatch_status_writes_total`` counter, per ``why`` label."""
    found: dict[str, float] = {}
    for family in metrics.status_writes.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                found[sample.labels["why"]] = sample.value
    return found


@dataclass
class WindowStats:
    """What one interval of virtual time cost."""

    polls: int
    fc_calls: int  # requests the simulator saw
    patches: int
    patch_bytes: int
    events: int
    wall: float  # real seconds to run the window
    cpu: float  # process CPU seconds (operator + simulator: same process)
    sim_seconds: float  # real seconds inside the simulator's request handlers
    why: dict[str, float] = field(default_factory=dict)


@dataclass
class Fleet:
    """``watches`` watches over ``targets`` distinct targets (watch i → target i % targets)."""

    watches: int
    targets: int
    share_fraction: float
    interval_seconds: float = 60.0
    concurrency: int = 32
    spread: bool = True  # first polls spread over one interval (watches created over time)
    seed: int = 1
    clock: VirtualClock = field(default_factory=VirtualClock)
    gateway: CountingGateway = field(default_factory=CountingGateway)
    uids: list[str] = field(default_factory=list)
    sim_seconds: float = 0.0

    async def __aenter__(self) -> Fleet:
        self.sim = Simulator(simulator_config(self.targets))

        @web.middleware
        async def timed(request: web.Request, handler: Any) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                response: web.StreamResponse = await handler(request)
                return response
            finally:
                if not request.path.startswith("/_admin"):
                    self.sim_seconds += time.perf_counter() - started

        self.sim.app.middlewares.append(timed)
        await self.sim.start()
        self.fc = FCClient()
        self.admin = httpx.AsyncClient(base_url=self.sim.url, trust_env=False)
        settings = ReconcilerSettings(
            endpoint_policy=EndpointPolicy.parse(["http://127.0.0.1:*"]),
            fc_rate_per_endpoint=1e9,  # the bench counts calls made, not the limiter's waits
            fc_burst_per_endpoint=1e9,
            concurrency=self.concurrency,
            share_fraction=self.share_fraction,
        )
        self.reconciler = Reconciler(
            settings,
            self.gateway,  # type: ignore[arg-type]
            self.fc,
            OperatorCredentials(),
            now=self.clock.now,
            monotonic=self.clock.monotonic,
        )
        self.reconciler.scheduler.pause()  # never run: the bench plays the scheduler's part
        self._rng = random.Random(self.seed)
        interval = f"{self.interval_seconds:g}s"
        self._due: list[tuple[float, int, str]] = []
        for i in range(self.watches):
            body = watch_body(i, self.targets, self.sim.url, interval)
            uid = body["metadata"]["uid"]
            self.reconciler.observe("ADDED", body)
            self.uids.append(uid)
            first = self._rng.uniform(0, self.interval_seconds) if self.spread else 0.0
            heapq.heappush(self._due, (first, i, uid))
        self._seq = self.watches
        self.window_end = 0.0
        return self

    async def __aexit__(self, *exc: object) -> None:
        for uid in list(self.uids):
            self.reconciler.forget(uid)  # drop its per-watch metric series
        await self.admin.aclose()
        await self.fc.aclose()
        await self.sim.stop()

    async def fc_requests(self) -> int:
        """The simulator's own count of ListInstances requests (``GET /_admin/requests``)."""
        response = await self.admin.get("/_admin/requests")
        response.raise_for_status()
        return int(response.json()["total"])

    def churn(self, fraction: float) -> int:
        """Replace one instance in ``fraction`` of the targets (what ``PUT /_admin/instances``
        does, called in-process)."""
        count = max(1, round(self.targets * fraction)) if fraction > 0 else 0
        for j in self._rng.sample(range(self.targets), count):
            fresh = f"c-{j:05d}-{self._rng.getrandbits(32):08x}"
            keep = [{"instanceId": f"c-{j:05d}-{k}"} for k in range(1, INSTANCES_PER_TARGET)]
            self.sim.state.set_instances(
                {
                    "service": SERVICE,
                    "function": function_name(j),
                    "instances": [{"instanceId": fresh}, *keep],
                }
            )
        return count

    async def _poll(self, uid: str) -> None:
        delay = await self.reconciler.poll(uid)
        if delay is not None:  # as PollScheduler: the next poll is due ``delay`` after this one
            self._seq += 1
            heapq.heappush(self._due, (self.clock.offset + delay, self._seq, uid))

    async def window(self) -> WindowStats:
        """Run one interval of virtual time: every poll due in it, in due order, at most
        ``concurrency`` in flight, the virtual clock set to each poll's due time."""
        start, end = self.window_end, self.window_end + self.interval_seconds
        self.window_end = end
        requests0, patches0 = await self.fc_requests(), self.gateway.patches
        bytes0, events0, sim0 = self.gateway.patch_bytes, self.gateway.events, self.sim_seconds
        why0 = status_writes_by_why()
        polls = 0
        inflight: set[asyncio.Task[None]] = set()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while self._due and self._due[0][0] < end:
            due, _, uid = heapq.heappop(self._due)
            self.clock.offset = max(self.clock.offset, due, start)
            while len(inflight) >= self.concurrency:
                _, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
            inflight.add(asyncio.create_task(self._poll(uid)))
            polls += 1
        if inflight:
            await asyncio.wait(inflight)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        self.clock.offset = max(self.clock.offset, end)
        why1 = status_writes_by_why()
        return WindowStats(
            polls=polls,
            fc_calls=await self.fc_requests() - requests0,
            patches=self.gateway.patches - patches0,
            patch_bytes=self.gateway.patch_bytes - bytes0,
            events=self.gateway.events - events0,
            wall=wall,
            cpu=cpu,
            sim_seconds=self.sim_seconds - sim0,
            why={w: why1.get(w, 0.0) - why0.get(w, 0.0) for w in why1},
        )

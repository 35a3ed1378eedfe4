"""Scheduling at scale: fcwatch's PollScheduler (one loop over a heap) vs one asyncio task per key.

Every key polls a no-op every ``interval`` seconds (±10% jitter, as fcwatch's ``jittered``);
keys start spread uniformly over the first interval. Each variant runs in its own subprocess
(so peak RSS belongs to it alone) for a fixed wall time; polls in the first interval are
warm-up and not counted. Lateness = time the poll started minus the time it was due (the
previous poll's time plus the delay it asked for). A second, shorter subprocess per variant
runs with tracemalloc on (tracing slows Python down, so it is kept out of the timed run) and
reports the peak of traced Python allocations.

Run on its own: ``python bench/bench_scheduling.py --keys 10000 --seconds 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import heading, peak_rss_mib, percentile, ratio, rss_mib, table
from fcwatch.scheduler import PollScheduler, jittered

VARIANTS = {
    "heap": "PollScheduler (heap)",
    "tasks": "baseline: task/key+sleep",
}


class Recorder:
    """Lateness samples, poll count and CPU time inside the measuring window."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.counting = False
        self.lateness: list[float] = []
        self.polls = 0

    def polled(self, due: float) -> None:
        if self.counting:
            self.polls += 1
            self.lateness.append(self.clock() - due)

    async def measure(self, interval: float, seconds: float) -> dict[str, float]:
        """Warm up for one interval, then count for the rest of ``seconds``."""
        await asyncio.sleep(interval)
        self.counting = True
        start, cpu = self.clock(), time.process_time()
        await asyncio.sleep(max(0.0, seconds - interval))
        self.counting = False
        return {"window": self.clock() - start, "cpu": time.process_time() - cpu}


async def cancel(task: asyncio.Task[None]) -> int:
    """Cancel ``task``; the number of cancels it ignored (it must end within 2 s of one)."""
    ignored = 0
    while True:
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2.0)
        if done:
            with contextlib.suppress(asyncio.CancelledError):
                task.result()
            return ignored
        ignored += 1


async def run_heap(
    keys: int, interval: float, seconds: float, rng: random.Random
) -> tuple[Recorder, dict[str, Any]]:
    clock = time.monotonic
    rec = Recorder(clock)
    due: dict[int, float] = {}

    async def poll(key: int) -> float:
        rec.polled(due[key])
        delay = jittered(interval, rng=rng)
        due[key] = clock() + delay  # the scheduler stamps clock() + delay right after we return
        return delay

    sched: PollScheduler[int] = PollScheduler(poll)
    wakeups = 0
    dispatch = sched._dispatch_due  # instrumented: how often the run loop wakes up

    async def counted_dispatch() -> None:
        nonlocal wakeups
        if rec.counting:
            wakeups += 1
        await dispatch()

    sched._dispatch_due = counted_dispatch  # type: ignore[method-assign]
    for key in range(keys):
        first = rng.uniform(0, interval)
        sched.schedule(key, first)
        due[key] = clock() + first
    task = asyncio.create_task(sched.run())
    window = await rec.measure(interval, seconds)
    ignored = await cancel(task)
    return rec, {**window, "loop_wakeups": wakeups, "cancel_ignored": ignored}


async def run_tasks(
    keys: int, interval: float, seconds: float, rng: random.Random
) -> tuple[Recorder, dict[str, Any]]:
    clock = time.monotonic
    rec = Recorder(clock)

    async def noop(key: int) -> None:
        return None

    async def worker(key: int, first: float) -> None:
        due = clock() + first
        await asyncio.sleep(first)
        while True:
            rec.polled(due)
            await noop(key)
            delay = jittered(interval, rng=rng)
            due = clock() + delay
            await asyncio.sleep(delay)

    tasks = [asyncio.create_task(worker(k, rng.uniform(0, interval))) for k in range(keys)]
    window = await rec.measure(interval, seconds)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return rec, window


async def cancel_trials(
    keys: int, interval: float, seconds: float, rng: random.Random
) -> tuple[Recorder, dict[str, Any]]:
    """Start PollScheduler.run() under load, cancel it after a moment, count the cancels it
    ignores; ``seconds`` is the total budget (0.5 s per trial)."""
    trials = ignored_runs = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sched: PollScheduler[int] = PollScheduler(lambda key: _delay(interval, rng))
        for key in range(keys):
            sched.schedule(key, rng.uniform(0, interval))
        task = asyncio.create_task(sched.run())
        await asyncio.sleep(rng.uniform(0.2, 0.5))
        trials += 1
        ignored_runs += 1 if await cancel(task) else 0
    return Recorder(time.monotonic), {"trials": trials, "ignored_runs": ignored_runs}


async def _delay(interval: float, rng: random.Random) -> float:
    return jittered(interval, rng=rng)


RUNNERS = {"heap": run_heap, "tasks": run_tasks, "cancel": cancel_trials}


def worker_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--variant", choices=sorted(RUNNERS), required=True)
    p.add_argument("--keys", type=int, default=10_000)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--tracemalloc", action="store_true")
    a = p.parse_args(argv)
    rng = random.Random(42)
    rss_before = rss_mib()
    if a.tracemalloc:
        tracemalloc.start()
    rec, extra = asyncio.run(RUNNERS[a.variant](a.keys, a.interval, a.seconds, rng))
    if a.variant == "cancel":
        print(json.dumps(extra))
        return 0
    out: dict[str, Any] = {
        "variant": a.variant,
        "keys": a.keys,
        "interval": a.interval,
        "seconds": a.seconds,
        "polls": rec.polls,
        "p50": percentile(rec.lateness, 50),
        "p99": percentile(rec.lateness, 99),
        "max": max(rec.lateness, default=float("nan")),
        "rss_before": rss_before,
        "peak_rss": peak_rss_mib(),
        **extra,
    }
    if a.tracemalloc:
        out["traced_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    print(json.dumps(out))
    return 0


def _spawn(variant: str, keys: int, interval: float, seconds: float, traced: bool) -> Any:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--variant",
        variant,
        "--keys",
        str(keys),
        "--interval",
        str(interval),
        "--seconds",
        str(seconds),
    ]
    if traced:
        cmd.append("--tracemalloc")
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    keys: int, seconds: float, traced_seconds: float, interval: float = 1.0, title: str = "1."
) -> None:
    print(heading(f"{title} Scheduling at scale: {keys:,} keys, interval {interval:g}s ±10%"))
    traced_note = (
        f"tracemalloc peak from a separate {traced_seconds:g}s run with tracing on."
        if traced_seconds > 0
        else "no tracemalloc run."
    )
    print(
        f"No-op poll. {seconds:g}s wall per variant, the first {interval:g}s warm-up (not "
        f"counted); each variant in its own subprocess; {traced_note}"
    )
    results: dict[str, Any] = {}
    for variant in VARIANTS:
        timed = _spawn(variant, keys, interval, seconds, traced=False)
        timed["traced_peak"] = float("nan")
        if traced_seconds > 0:
            traced = _spawn(variant, keys, interval, traced_seconds, traced=True)
            timed["traced_peak"] = traced["traced_peak"]
            timed["cancel_ignored"] = timed.get("cancel_ignored", 0) + traced.get(
                "cancel_ignored", 0
            )
        results[variant] = timed
    expected = keys / interval

    def row(label: str, r: dict[str, Any]) -> list[object]:
        return [
            label,
            r["polls"] / r["window"],
            f"{100 * r['polls'] / r['window'] / expected:.0f}%",
            r["p50"] * 1000,
            r["p99"] * 1000,
            r["max"] * 1000,
            r["cpu"] / r["window"] * 100,
            r["cpu"] / max(1, r["polls"]) * 1e6,
            r["peak_rss"] - r["rss_before"],
            r["peak_rss"],
            r["traced_peak"],
        ]

    rows = [row(label, results[v]) for v, label in VARIANTS.items()]
    a, b = rows
    rows.append(["ratio heap / tasks", *(ratio(x, y) for x, y in zip(a[1:], b[1:], strict=True))])
    print(
        table(
            [
                "variant",
                "polls/s",
                "of due",
                "late p50 ms",
                "p99 ms",
                "max ms",
                "CPU %",
                "CPU µs/poll",
                "RSS growth MiB",
                "peak RSS MiB",
                "traced peak MiB",
            ],
            rows,
        )
    )
    heap = results["heap"]
    print(
        f"'of due': polls/s over keys/interval ({expected:,.0f}/s). CPU: process CPU time in "
        "the window, both cores' worth possible. PollScheduler's run loop woke "
        f"{heap['loop_wakeups']:,} times for {heap['polls']:,} polls in the window "
        f"({heap['loop_wakeups'] / max(1, heap['polls']):.2f} per poll)."
    )
    if heap["cancel_ignored"]:
        print(
            f"!! PollScheduler.run() ignored task.cancel() {heap['cancel_ignored']} time(s) "
            "when these runs stopped it; a second cancel stopped it (Python < 3.12 wait_for race, "
            "see bench/README.md)."
        )


def cancel_check(keys: int, seconds: float, interval: float = 1.0) -> None:
    """Not a timing: how often PollScheduler.run() survives one task.cancel() under load."""
    found = _spawn("cancel", keys, interval, seconds, traced=False)
    print(
        f"cancel check: PollScheduler.run() with {keys:,} keys (interval {interval:g}s) "
        f"cancelled 0.2-0.5 s after start, {found['trials']} trials: it ignored the first "
        f"task.cancel() in {found['ignored_runs']} (on Python < 3.12 asyncio.wait_for can "
        "return the inner result and drop a cancel that arrives as the wait ends)."
    )


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))

"""When each watch polls, and how FC calls are shared and bounded.

Three small pieces, each replaceable on its own:

* ``PollScheduler``: one task over a priority queue of due times (not a task per object), with
  jitter and bounded concurrency. Watches are keys; the scheduler knows nothing about Kubernetes.
* ``TokenBucket`` / ``RateLimiter``: at most N FC calls per second per account and region.
* ``SharedCalls``: identical targets (same endpoint, api, service, function, qualifier, filters
  and credentials) share one in-flight call, and a result younger than the asker's interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

Clock = Callable[[], float]
logger = logging.getLogger(__name__)
RETRY_AFTER_CRASH = 30.0


def jittered(interval: float, fraction: float = 0.1, rng: random.Random | None = None) -> float:
    """``interval`` spread by ±fraction, so watches created together do not poll together."""
    spread = interval * fraction
    return max(0.0, interval + (rng or random).uniform(-spread, spread))


@dataclass(order=True)
class _Due(Generic[K]):
    at: float
    seq: int
    key: K = field(compare=False)


class PollScheduler(Generic[K]):
    """Runs ``poll(key)`` for each key when it is due; ``poll`` returns the delay to the next run
    (or None to park the key until ``wake``). One loop, a heap of due times, at most
    ``concurrency`` polls at once. A key is never polled twice concurrently."""

    def __init__(
        self,
        poll: Callable[[K], Awaitable[float | None]],
        *,
        concurrency: int = 32,
        clock: Clock = time.monotonic,
    ) -> None:
        self._poll = poll
        self._clock = clock
        self._heap: list[_Due[K]] = []
        self._due: dict[K, float] = {}  # the one valid due time per key
        self._running: set[K] = set()
        self._rewake: set[K] = set()  # woken while running: poll again right after
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused = False

    def pause(self) -> None:
        """Dispatch nothing until ``resume`` (keys keep their plans; running polls finish)."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._changed.set()

    def __contains__(self, key: object) -> bool:
        return key in self._due or key in self._running

    def schedule(self, key: K, delay: float) -> None:
        """Poll ``key`` after ``delay`` seconds (replacing any earlier plan)."""
        if key in self._running:
            self._due.pop(key, None)
            if delay <= 0:
                self._rewake.add(key)
            return
        at = self._clock() + max(0.0, delay)
        self._due[key] = at
        item = _Due(at, next(self._seq), key)
        heapq.heappush(self._heap, item)
        if self._heap[0] is item:  # earlier than the loop's current wait: wake it
            self._changed.set()

    def wake(self, key: K) -> None:
        """Poll ``key`` now (or right after its running poll ends)."""
        self.schedule(key, 0.0)

    def remove(self, key: K) -> None:
        self._due.pop(key, None)
        self._rewake.discard(key)

    def next_due(self, key: K) -> float | None:
        at = self._due.get(key)
        return None if at is None else at - self._clock()

    async def run(self) -> None:
        try:
            while True:
                if not self._paused:
                    await self._dispatch_due()
                self._changed.clear()
                timeout = (
                    self._heap[0].at - self._clock() if self._heap and not self._paused else None
                )
                if timeout is None or timeout > 0:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
                    # lands as the wait ends, and shutdown would hang (found by bench/).
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await self._changed.wait()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch_due(self) -> None:
        now = self._clock()
        while self._heap and self._heap[0].at <= now:
            item = heapq.heappop(self._heap)
            if self._due.get(item.key) != item.at:
                continue  # superseded or removed
            del self._due[item.key]
            await self._slots.acquire()
            self._running.add(item.key)
            task = asyncio.create_task(self._run_one(item.key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_one(self, key: K) -> None:
        delay: float | None = None
        try:
            delay = await self._poll(key)
        except Exception:  # a poll must never kill the scheduler; try again later
            logger.exception(
                "poll of %s failed unexpectedly; retrying in %ss", key, RETRY_AFTER_CRASH
            )
            delay = RETRY_AFTER_CRASH
        finally:
            self._running.discard(key)
            self._slots.release()
        if key in self._rewake:
            self._rewake.discard(key)
            self.schedule(key, 0.0)
        elif delay is not None and key not in self._due:
            self.schedule(key, delay)


class TokenBucket:
    """``rate`` tokens per second, up to ``burst``. ``acquire`` waits for a token."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = burst
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 if one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def try_acquire(self) -> bool:
        """Take a token if one is there; never waits."""
        if self.wait_time() > 0:
            return False
        self._tokens -= 1
        return True

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := self.wait_time()) > 0:
                await asyncio.sleep(wait)
            self._tokens -= 1


class RateLimiter(Generic[K]):
    """One token bucket per key (fcwatch keys by FC endpoint: account and region)."""

    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[K, TokenBucket] = {}

    async def acquire(self, key: K) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self._clock)
        await bucket.acquire()


@dataclass
class _Cached(Generic[R]):
    at: float
    value: R


class SharedCalls(Generic[K, R]):
    """Single-flight plus a short memory: askers of the same key share one call in flight, and
    a result younger than ``max_age`` (the asker's own interval) is reused. Failures are shared
    with the askers waiting on that call but never cached."""

    def __init__(self, clock: Clock = time.monotonic, max_entries: int = 100_000) -> None:
        self._clock = clock
        self._inflight: dict[K, asyncio.Future[R]] = {}
        self._results: dict[K, _Cached[R]] = {}
        self._max_entries = max_entries
        self.calls = 0  # calls actually made
        self.shared = 0  # asks answered by another asker's call

    async def get(self, key: K, call: Callable[[], Awaitable[R]], *, max_age: float) -> R:
        cached = self._results.get(key)
        if cached is not None and self._clock() - cached.at < max_age:
            self.shared += 1
            return cached.value
        pending = self._inflight.get(key)
        if pending is not None:
            self.shared += 1
            return await asyncio.shield(pending)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        self.calls += 1
        try:
            value = await call()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: no "never retrieved" warning if nobody waits
            raise
        else:
            future.set_result(value)
            if len(self._results) >= self._max_entries:
                self._results.clear()
            self._results[key] = _Cached(self._clock(), value)
            return value
        finally:
            del self._inflight[key]

    def forget(self, key: K) -> None:
        self._results.pop(key, None)

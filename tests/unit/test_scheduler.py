"""PollScheduler, TokenBucket and SharedCalls on a fake clock where timing matters."""

from __future__ import annotations

import asyncio
import random

import pytest

from fcwatch.scheduler import PollScheduler, RateLimiter, SharedCalls, TokenBucket, jittered


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_jitter_stays_within_fraction() -> None:
    rng = random.Random(7)
    values = [jittered(30.0, 0.1, rng) for _ in range(500)]
    assert min(values) >= 27.0 and max(values) <= 33.0
    assert max(values) - min(values) > 3.0  # it does spread


async def test_scheduler_polls_due_keys_and_reschedules() -> None:
    polled: list[str] = []
    done = asyncio.Event()

    async def poll(key: str) -> float | None:
        polled.append(key)
        if polled.count("a") >= 3:
            done.set()
            return None
        return 0.01

    scheduler: PollScheduler[str] = PollScheduler(poll)
    scheduler.wake("a")
    scheduler.schedule("b", 3600)
    task = asyncio.create_task(scheduler.run())
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert polled.count("a") == 3
    assert "b" not in polled
    assert "a" not in scheduler  # parked: poll returned None
    assert "b" in scheduler


async def test_removed_key_is_not_polled_and_reschedule_replaces() -> None:
    polled: list[str] = []

    async def poll(key: str) -> float | None:
        polled.append(key)
        return None

    scheduler: PollScheduler[str] = PollScheduler(poll)
    scheduler.schedule("gone", 0.05)
    scheduler.remove("gone")
    scheduler.schedule("later", 3600)
    scheduler.schedule("later", 0.01)  # replaces the far plan
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert polled == ["later"]


async def test_wake_during_a_running_poll_polls_again_right_after_never_concurrently() -> None:
    running = 0
    overlaps = 0
    calls = 0
    first_started = asyncio.Event()
    release = asyncio.Event()

    async def poll(key: str) -> float | None:
        nonlocal running, overlaps, calls
        calls += 1
        running += 1
        overlaps = max(overlaps, running)
        if calls == 1:
            first_started.set()
            await release.wait()
        running -= 1
        return None

    scheduler: PollScheduler[str] = PollScheduler(poll)
    scheduler.wake("k")
    task = asyncio.create_task(scheduler.run())
    await first_started.wait()
    scheduler.wake("k")
    scheduler.wake("k")
    release.set()
    await asyncio.sleep(0.2)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert calls == 2
    assert overlaps == 1


async def test_concurrency_is_bounded() -> None:
    in_flight = 0
    peak = 0

    async def poll(key: int) -> float | None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return None

    scheduler: PollScheduler[int] = PollScheduler(poll, concurrency=3)
    for key in range(12):
        scheduler.wake(key)
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert peak == 3


async def test_a_crashing_poll_is_retried_later_not_lost() -> None:
    calls = 0

    async def poll(key: str) -> float | None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    scheduler: PollScheduler[str] = PollScheduler(poll)
    scheduler.wake("k")
    task = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.1)
    assert calls == 1
    remaining = scheduler.next_due("k")
    assert remaining is not None and remaining > 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_token_bucket_wait_time_follows_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=2, clock=clock)
    assert bucket.wait_time() == 0
    bucket._tokens = 0  # drained
    assert bucket.wait_time() == pytest.approx(0.5)
    clock.now += 0.25
    assert bucket.wait_time() == pytest.approx(0.25)
    clock.now += 10
    assert bucket.wait_time() == 0
    assert bucket._tokens == 2  # capped at burst


async def test_rate_limiter_separates_keys() -> None:
    clock = FakeClock()
    limiter: RateLimiter[str] = RateLimiter(rate=1.0, burst=1, clock=clock)
    await limiter.acquire("acct-a")
    await asyncio.wait_for(limiter.acquire("acct-b"), 0.1)  # another bucket: no wait
    waiting = asyncio.create_task(limiter.acquire("acct-a"))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # a's bucket is empty and the fake clock does not move
    clock.now += 1.0
    await asyncio.wait_for(waiting, 2)


def test_token_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, burst=1)
    with pytest.raises(ValueError):
        TokenBucket(rate=1, burst=0)


async def test_shared_calls_single_flight_and_max_age() -> None:
    clock = FakeClock()
    shared: SharedCalls[str, int] = SharedCalls(clock=clock)
    gate = asyncio.Event()
    made = 0

    async def call() -> int:
        nonlocal made
        made += 1
        await gate.wait()
        return made

    first = asyncio.create_task(shared.get("t", call, max_age=30))
    second = asyncio.create_task(shared.get("t", call, max_age=30))
    await asyncio.sleep(0.01)
    gate.set()
    assert await first == 1 and await second == 1
    assert made == 1 and shared.calls == 1 and shared.shared == 1

    clock.now += 10
    assert await shared.get("t", call, max_age=30) == 1  # young enough: reused
    assert await shared.get("t", call, max_age=5) == 2  # too old for this asker
    assert await shared.get("t", call, max_age=0) == 3  # forced refresh
    assert await shared.get("other", call, max_age=30) == 4


async def test_shared_calls_share_failures_but_never_cache_them() -> None:
    shared: SharedCalls[str, int] = SharedCalls(clock=FakeClock())
    attempts = 0

    async def failing() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        raise ValueError("nope")

    results = await asyncio.gather(
        shared.get("t", failing, max_age=30),
        shared.get("t", failing, max_age=30),
        return_exceptions=True,
    )
    assert all(isinstance(r, ValueError) for r in results)
    assert attempts == 1
    with pytest.raises(ValueError):
        await shared.get("t", failing, max_age=30)
    assert attempts == 2


async def test_cancel_always_stops_the_loop() -> None:
    """Regression (found by bench/): asyncio.wait_for on 3.11 swallows a cancel that lands as
    the wait ends (a wake-up and the cancel in the same few loop steps); the loop went on and
    shutdown hung. With wait_for this test saw the cancel ignored in 30 of 40 trials."""

    async def poll(key: str) -> float | None:
        return None

    for trial in range(40):
        scheduler: PollScheduler[str] = PollScheduler(poll)
        scheduler.schedule("far", 3600)
        task = asyncio.create_task(scheduler.run())
        await asyncio.sleep(0.005)
        scheduler.wake(f"k{trial}")
        for _ in range(trial % 4):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=1)
        assert task in done, f"trial {trial}: the loop ignored cancel()"

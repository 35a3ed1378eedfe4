"""Leader election: the pure decision, and the loop against an in-memory Lease store."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace

import pytest

from fcwatch.leader import (
    LeaderElection,
    LeaderElectionSettings,
    LeaseConflict,
    LeaseRecord,
    next_lease,
)
from fcwatch.scheduler import PollScheduler

T0 = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_no_lease_is_taken() -> None:
    assert next_lease(None, "a", T0, 15) == LeaseRecord("a", T0, T0, 15)


def test_own_lease_is_renewed_keeping_acquire_time_and_version() -> None:
    mine = LeaseRecord("a", T0, T0, 15, 3, "rv7")
    renewed = next_lease(mine, "a", at(5), 15)
    assert renewed == LeaseRecord("a", T0, at(5), 15, 3, "rv7")


def test_a_live_lease_of_another_is_respected_until_it_expires() -> None:
    theirs = LeaseRecord("b", T0, at(10), 15, 1, "rv2")
    assert next_lease(theirs, "a", at(24.9), 15) is None
    taken = next_lease(theirs, "a", at(25), 15)
    assert taken == LeaseRecord("a", at(25), at(25), 15, 2, "rv2")


def test_a_released_lease_is_taken_at_once() -> None:
    released = LeaseRecord(None, T0, None, 15, 4, "rv9")
    taken = next_lease(released, "a", at(1), 15)
    assert taken is not None and taken.holder == "a" and taken.transitions == 5


class MemoryStore:
    def __init__(self) -> None:
        self.record: LeaseRecord | None = None
        self.version = 0
        self.fail: Exception | None = None

    async def read(self) -> LeaseRecord | None:
        if self.fail:
            raise self.fail
        return self.record

    async def write(self, record: LeaseRecord) -> LeaseRecord:
        if self.fail:
            raise self.fail
        current = self.record.resource_version if self.record else None
        if record.resource_version != current:
            raise LeaseConflict("lease")
        self.version += 1
        self.record = replace(record, resource_version=str(self.version))
        return self.record


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


async def test_two_replicas_one_leads_the_other_takes_over_after_expiry() -> None:
    store, clock = MemoryStore(), Clock()
    changes: dict[str, list[bool]] = {"a": [], "b": []}
    settings = LeaderElectionSettings(lease_duration_seconds=15)
    a = LeaderElection(store, "a", settings, changes["a"].append, now=clock)
    b = LeaderElection(store, "b", settings, changes["b"].append, now=clock)
    assert await a.try_once() is True
    assert await b.try_once() is False
    clock.now = at(10)
    assert await a.try_once() is True  # renewed
    clock.now = at(24)
    assert await b.try_once() is False  # a renewed at 10: valid until 25
    clock.now = at(26)
    assert await b.try_once() is True  # a went silent
    assert await a.try_once() is False  # and a learns it lost
    assert changes == {"a": [True, False], "b": [True]}


async def test_release_hands_over_immediately() -> None:
    store, clock = MemoryStore(), Clock()
    a = LeaderElection(store, "a", LeaderElectionSettings(), lambda _: None, now=clock)
    b = LeaderElection(store, "b", LeaderElectionSettings(), lambda _: None, now=clock)
    await a.try_once()
    await a.release()
    assert a.leading is False
    assert await b.try_once() is True


async def test_api_errors_keep_leadership_only_until_the_renew_deadline() -> None:
    store, clock = MemoryStore(), Clock()
    a = LeaderElection(
        store, "a", LeaderElectionSettings(renew_deadline_seconds=10), lambda _: None, now=clock
    )
    await a.try_once()
    store.fail = ConnectionError("apiserver down")
    clock.now = at(5)
    assert await a.try_once() is True
    clock.now = at(11)
    assert await a.try_once() is False


async def test_a_lost_race_is_not_leadership() -> None:
    store, clock = MemoryStore(), Clock()
    a = LeaderElection(store, "a", LeaderElectionSettings(), lambda _: None, now=clock)

    async def racing_write(record: LeaseRecord) -> LeaseRecord:
        raise LeaseConflict("lease")

    store.write = racing_write  # type: ignore[method-assign]
    assert await a.try_once() is False


@pytest.mark.parametrize("paused_first", [True, False])
async def test_paused_scheduler_dispatches_nothing_until_resumed(paused_first: bool) -> None:
    polled: list[str] = []

    async def poll(key: str) -> float | None:
        polled.append(key)
        return None

    scheduler: PollScheduler[str] = PollScheduler(poll)
    if paused_first:
        scheduler.pause()
    task = asyncio.create_task(scheduler.run())
    if not paused_first:
        await asyncio.sleep(0.01)
        scheduler.pause()
    scheduler.wake("k")
    await asyncio.sleep(0.1)
    assert polled == []
    scheduler.resume()
    await asyncio.sleep(0.1)
    assert polled == ["k"]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

"""Active/standby replicas through a ``coordination.k8s.io/v1`` Lease (``--leader-elect``).

Why not kopf's peering: kopf pauses its own watch streams and daemons when it loses, but
fcwatch polls from its own scheduler beside kopf and kopf does not expose its pause state; a
standby would keep polling and writing. A Lease is Kubernetes' own convention (client-go,
controller-runtime) and needs only get/create/update on leases in one namespace.

``next_lease`` decides (pure); ``LeaderElection`` reads and writes the Lease (optimistic
concurrency on resourceVersion) and tells the reconciler when it starts or stops leading.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseRecord:
    holder: str | None
    acquired: dt.datetime | None
    renewed: dt.datetime | None
    duration_seconds: int
    transitions: int = 0
    resource_version: str | None = None  # None: the Lease does not exist yet


def held_by_other(current: LeaseRecord, me: str, now: dt.datetime) -> bool:
    if not current.holder or current.holder == me or current.renewed is None:
        return False
    return now < current.renewed + dt.timedelta(seconds=current.duration_seconds)


def next_lease(
    current: LeaseRecord | None, me: str, now: dt.datetime, duration_seconds: int
) -> LeaseRecord | None:
    """The Lease to write to take or keep leadership, or None while another holder's is valid."""
    if current is None:
        return LeaseRecord(me, now, now, duration_seconds)
    if current.holder == me:
        return replace(current, renewed=now, duration_seconds=duration_seconds)
    if held_by_other(current, me, now):
        return None
    return LeaseRecord(
        me, now, now, duration_seconds, current.transitions + 1, current.resource_version
    )


class LeaseConflict(Exception):
    """Someone else wrote the Lease first (409 on create or replace)."""


class LeaseStore(Protocol):
    async def read(self) -> LeaseRecord | None: ...

    async def write(self, record: LeaseRecord) -> LeaseRecord: ...


@dataclass(frozen=True)
class LeaderElectionSettings:
    namespace: str = "fcwatch-system"
    name: str = "fcwatch-leader"
    lease_duration_seconds: int = 15  # a standby takes over this long after the leader vanished
    renew_deadline_seconds: float = (
        10.0  # the leader steps down if it could not renew for this long
    )
    retry_period_seconds: float = 2.0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LeaderElection:
    def __init__(
        self,
        store: LeaseStore,
        identity: str,
        settings: LeaderElectionSettings,
        on_change: Callable[[bool], None],
        now: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._store = store
        self.identity = identity
        self._settings = settings
        self._on_change = on_change
        self._now = now
        self.leading = False
        self._last_renewed: dt.datetime | None = None

    def _set(self, leading: bool) -> None:
        if leading != self.leading:
            self.leading = leading
            logger.info(
                "%s leadership of lease %s/%s as %s",
                "acquired" if leading else "lost",
                self._settings.namespace,
                self._settings.name,
                self.identity,
            )
            self._on_change(leading)

    async def try_once(self) -> bool:
        """One read-decide-write round; returns whether this replica leads now."""
        now = self._now()
        try:
            current = await self._store.read()
            wanted = next_lease(current, self.identity, now, self._settings.lease_duration_seconds)
            if wanted is None:
                self._last_renewed = None
                self._set(False)
                return False
            await self._store.write(wanted)
        except LeaseConflict:
            self._set(False)
            return False
        except Exception as exc:  # apiserver unreachable: keep leading until the deadline
            logger.warning("lease %s: %s", self._settings.name, type(exc).__name__)
            deadline = dt.timedelta(seconds=self._settings.renew_deadline_seconds)
            if self._last_renewed is None or now - self._last_renewed > deadline:
                self._set(False)
            return self.leading
        self._last_renewed = now
        self._set(True)
        return True

    async def run(self) -> None:
        while True:
            await self.try_once()
            await asyncio.sleep(self._settings.retry_period_seconds)

    async def release(self) -> None:
        """Hand the Lease back on shutdown so a standby takes over at once."""
        if not self.leading:
            return
        self._set(False)
        with contextlib.suppress(Exception):
            current = await self._store.read()
            if current is not None and current.holder == self.identity:
                await self._store.write(replace(current, holder=None, renewed=None))

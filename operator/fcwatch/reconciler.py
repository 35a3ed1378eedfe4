"""The imperative shell of one watch's poll: spec → endpoint → credentials → (shared, rate
limited) ListInstances → new status → PATCH /status when a user would see a difference → Events.

kopf feeds it object events (``observe``); the ``PollScheduler`` decides when ``poll`` runs.
Every decision is made by the pure modules (spec, endpoints, status, refresh, scheduler).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fcwatch import metrics
from fcwatch.conditions import AUTH_FAILED, CREDENTIALS_MISSING, ENDPOINT_NOT_ALLOWED, INVALID_SPEC
from fcwatch.endpoints import (
    OWN_CREDENTIALS_REFUSED,
    EndpointNotAllowed,
    EndpointPolicy,
    ResolvedEndpoint,
    credentials_allowed,
    resolve_endpoint,
    target_for,
)
from fcwatch.fc.client import FCClient
from fcwatch.fc.credentials import Credentials, CredentialsError, credentials_from_secret_data
from fcwatch.fc.model import FCError, FCTarget, ListInstancesResult
from fcwatch.kube import KubeGateway, SecretUnreadable, StatusWriteFailed
from fcwatch.operator_credentials import OperatorCredentials
from fcwatch.outcomes import Failure, Outcome, Success, Suspended, failure_from_fc_error
from fcwatch.refresh import RefreshRequest, RefreshTokens, initial_tokens, pending_refresh
from fcwatch.scheduler import PollScheduler, RateLimiter, SharedCalls, TokenBucket, jittered
from fcwatch.spec import InvalidSpec, WatchSpec, parse_spec
from fcwatch.status import (
    StatusUpdate,
    needs_write,
    pending_status,
    reconcile_status,
    status_patch,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcilerSettings:
    """Knobs of the polling loop; ``fcwatch run`` flags map onto these."""

    endpoint_policy: EndpointPolicy = field(default_factory=EndpointPolicy)
    heartbeat_seconds: float = 300.0  # refresh lastSyncTime at least this often
    fc_rate_per_endpoint: float = 10.0  # FC calls per second per account and region
    fc_burst_per_endpoint: float = 20.0
    concurrency: int = 32  # polls in flight
    stalled_backoff_max_seconds: float = 300.0
    share_fraction: float = 0.9  # identical targets reuse a result younger than this times interval
    # Events per watch: a burst, then one per 5 minutes (client-go's spam filter uses the same
    # numbers), so a function whose instances change every poll cannot flood the apiserver.
    event_burst: int = 25
    event_refill_seconds: float = 300.0


@dataclass(frozen=True)
class Fetched:
    """A ListInstances result and when it arrived: a shared result may be older than the poll
    that reuses it, and ``lastSyncTime`` says when FC was actually asked."""

    result: ListInstancesResult
    at: dt.datetime


@dataclass
class WatchRecord:
    uid: str
    namespace: str
    name: str
    body: Mapping[str, Any]
    status: dict[str, Any]  # what the apiserver holds, as far as we know (we write it)
    handled: RefreshTokens
    failures_in_a_row: int = 0
    versions_exported: list[str] = field(default_factory=list)
    secret: tuple[str, str] | None = None
    retry_after: float | None = None  # FC asked us to wait this long (Retry-After)
    event_budget: TokenBucket | None = None

    @property
    def generation(self) -> int:
        return int(self.body.get("metadata", {}).get("generation") or 0)

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.body.get("metadata", {}).get("annotations") or {}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Reconciler:
    def __init__(
        self,
        settings: ReconcilerSettings,
        gateway: KubeGateway,
        fc: FCClient,
        operator_credentials: OperatorCredentials,
        now: Callable[[], dt.datetime] = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._gateway = gateway
        self._fc = fc
        self._operator_credentials = operator_credentials
        self._now = now
        self._monotonic = monotonic
        self.records: dict[str, WatchRecord] = {}
        self.scheduler: PollScheduler[str] = PollScheduler(
            self.poll, concurrency=settings.concurrency
        )
        self.shared: SharedCalls[tuple[FCTarget, str], Fetched] = SharedCalls(clock=monotonic)
        self._limiter: RateLimiter[str] = RateLimiter(
            settings.fc_rate_per_endpoint, settings.fc_burst_per_endpoint, clock=monotonic
        )
        self._secrets: dict[tuple[str, str], Credentials | Failure] = {}
        self._secret_users: dict[tuple[str, str], set[str]] = {}

    async def run(self) -> None:
        await self.scheduler.run()

    def set_leading(self, leading: bool) -> None:
        """Standby replicas track watches but poll nothing. A new leader starts from the status
        the previous one wrote (the latest object seen), and polls every watch now."""
        if not leading:
            self.scheduler.pause()
            return
        for uid, record in self.records.items():
            record.status = dict(record.body.get("status") or {})
            self.scheduler.wake(uid)
        self.scheduler.resume()

    # --- events from kopf -------------------------------------------------------------------

    def observe(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        meta = body.get("metadata", {})
        uid = meta.get("uid")
        if not uid:
            return
        if event_type == "DELETED" or meta.get("deletionTimestamp"):
            self.forget(uid)
            return
        record = self.records.get(uid)
        if record is None:
            status = dict(body.get("status") or {})
            self.records[uid] = WatchRecord(
                uid=uid,
                namespace=meta["namespace"],
                name=meta["name"],
                body=body,
                status=status,
                handled=initial_tokens(
                    meta.get("annotations"), status.get("lastHandledReconcileAt")
                ),
            )
            metrics.watches.set(len(self.records))
            self.scheduler.wake(uid)
            return
        previous_generation = record.generation
        record.body = body
        if record.generation != previous_generation:
            record.failures_in_a_row = 0
            self.scheduler.wake(uid)
        elif pending_refresh(record.handled, record.annotations) is not None:
            self.scheduler.wake(uid)

    def forget(self, uid: str) -> None:
        record = self.records.pop(uid, None)
        self.scheduler.remove(uid)
        if record is not None:
            self._use_secret(uid, record, None)
            metrics.forget_watch(record.namespace, record.name, record.versions_exported)
            metrics.watches.set(len(self.records))

    def uses_secret(self, namespace: str, name: str) -> bool:
        return bool(self._secret_users.get((namespace, name)))

    def secret_changed(self, namespace: str, name: str) -> None:
        """A Secret was added, changed or deleted: drop the cached copy, re-poll its users."""
        self._secrets.pop((namespace, name), None)
        for uid in self._secret_users.get((namespace, name), set()):
            self.scheduler.wake(uid)

    def _use_secret(self, uid: str, record: WatchRecord, secret: tuple[str, str] | None) -> None:
        if record.secret == secret:
            return
        if record.secret is not None:
            users = self._secret_users.get(record.secret, set())
            users.discard(uid)
            if not users:
                self._secret_users.pop(record.secret, None)
                self._secrets.pop(record.secret, None)
        if secret is not None:
            self._secret_users.setdefault(secret, set()).add(uid)
        record.secret = secret

    # --- one poll -----------------------------------------------------------------------------

    async def poll(self, uid: str) -> float | None:
        """Poll one watch; returns the delay to its next poll (None: wait for a change)."""
        record = self.records.get(uid)
        if record is None:
            return None
        refresh = pending_refresh(record.handled, record.annotations)
        try:
            spec = parse_spec(record.body.get("spec") or {})
        except InvalidSpec as exc:
            await self._finish(record, Failure(INVALID_SPEC, str(exc), stalled=True), refresh)
            return None
        if spec.suspend:
            await self._finish(record, Suspended(), refresh)
            return None
        if record.status.get("observedGeneration") != record.generation:
            await self._write_pending(record)
        outcome, observed_at = await self._outcome(record, spec, refresh)
        await self._finish(record, outcome, refresh, observed_at)
        return self._next_delay(record, spec, outcome)

    async def _outcome(
        self, record: WatchRecord, spec: WatchSpec, refresh: RefreshRequest | None
    ) -> tuple[Outcome, dt.datetime | None]:
        """The poll's outcome, and for a success when its data was fetched."""
        try:
            resolved = resolve_endpoint(spec, self.settings.endpoint_policy)
        except EndpointNotAllowed as exc:
            return Failure(ENDPOINT_NOT_ALLOWED, str(exc), stalled=True), None
        credentials = await self._credentials(record, spec, resolved)
        if isinstance(credentials, Failure):
            return credentials, None
        target = target_for(spec, resolved)
        max_age = 0.0 if refresh else spec.interval_seconds * self.settings.share_fraction
        calls_before = self.shared.calls
        record.retry_after = None
        try:
            fetched = await self.shared.get(
                (target, credentials.fingerprint()),
                lambda: self._call_fc(spec, resolved, target, credentials),
                max_age=max_age,
            )
        except FCError as exc:
            record.retry_after = exc.retry_after
            return failure_from_fc_error(exc), None
        finally:
            if self.shared.calls == calls_before:
                metrics.fc_shared.inc()
        return Success(result=fetched.result, limit=spec.limit), fetched.at

    async def _credentials(
        self, record: WatchRecord, spec: WatchSpec, resolved: ResolvedEndpoint
    ) -> Credentials | Failure:
        ref = spec.credentials_ref
        self._use_secret(record.uid, record, (record.namespace, ref.name) if ref else None)
        if ref is None:
            if not credentials_allowed(spec, resolved):  # second lock; resolve_endpoint is first
                return Failure(ENDPOINT_NOT_ALLOWED, OWN_CREDENTIALS_REFUSED, stalled=True)
            try:
                own = await self._operator_credentials.get()
            except CredentialsError as exc:
                return Failure(AUTH_FAILED, f"the operator's own credentials: {exc}", stalled=False)
            if own is None:
                return Failure(
                    CREDENTIALS_MISSING,
                    "spec.credentialsRef is not set and the operator has no credentials of its "
                    "own (ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET or RRSA)",
                    stalled=True,
                )
            return own
        key = (record.namespace, ref.name)
        if key not in self._secrets:  # read and decoded once per Secret version
            try:
                data = await self._gateway.read_secret_data(*key)
            except SecretUnreadable as exc:  # e.g. RBAC: retried next poll, not cached
                return Failure(
                    CREDENTIALS_MISSING,
                    f"cannot read Secret {ref.name!r} (spec.credentialsRef): {exc}",
                    stalled=False,
                )
            self._secrets[key] = _credentials_from_secret(key, data)
        return self._secrets[key]

    async def _call_fc(
        self,
        spec: WatchSpec,
        resolved: ResolvedEndpoint,
        target: FCTarget,
        credentials: Credentials,
    ) -> Fetched:
        await self._limiter.acquire(resolved.url)
        started = time.monotonic()
        outcome = "ok"
        try:
            result = await self._fc.list_instances(target, credentials)
            return Fetched(result, self._now())
        except FCError as exc:
            outcome = exc.code or exc.kind
            raise
        finally:
            metrics.fc_requests.labels(spec.api, spec.region, outcome).inc()
            metrics.fc_request_seconds.labels(spec.api, spec.region).observe(
                time.monotonic() - started
            )

    # --- status and events ----------------------------------------------------------------------

    async def _write_pending(self, record: WatchRecord) -> None:
        update = pending_status(
            record.status or None, generation=record.generation, now=self._now()
        )
        if update.visible_change:
            await self._write(record, update, why="pending")

    async def _finish(
        self,
        record: WatchRecord,
        outcome: Outcome,
        refresh: RefreshRequest | None,
        observed_at: dt.datetime | None = None,
    ) -> None:
        now = observed_at or self._now()
        update = reconcile_status(
            record.status or None,
            outcome,
            generation=record.generation,
            now=now,
            handled_reconcile_at=refresh.echo if refresh else None,
        )
        if refresh is not None:
            record.handled = refresh.tokens
        stalled = isinstance(outcome, Failure) and outcome.stalled
        record.failures_in_a_row = record.failures_in_a_row + 1 if stalled else 0
        reason = outcome.reason if isinstance(outcome, Failure) else type(outcome).__name__
        metrics.polls.labels(reason).inc()
        heartbeat = self.settings.heartbeat_seconds
        if refresh is not None or needs_write(
            record.status or None, update, now=now, heartbeat_seconds=heartbeat
        ):
            why = "change" if update.visible_change else ("refresh" if refresh else "heartbeat")
            if not await self._write(record, update, why=why):
                return
        for event in update.events:
            log = logger.warning if event.type == "Warning" else logger.info
            log("%s/%s %s: %s", record.namespace, record.name, event.reason, event.message)
            if self._event_budget(record).try_acquire():
                await self._gateway.post_event(record.body, event.type, event.reason, event.message)
            else:
                metrics.events_suppressed.inc()
        self._export(record, now if isinstance(outcome, Success) else None)

    def _event_budget(self, record: WatchRecord) -> TokenBucket:
        if record.event_budget is None:
            record.event_budget = TokenBucket(
                1 / self.settings.event_refill_seconds,
                self.settings.event_burst,
                clock=self._monotonic,
            )
        return record.event_budget

    async def _write(self, record: WatchRecord, update: StatusUpdate, *, why: str) -> bool:
        patch = status_patch(record.status or None, update.status)
        try:
            written = await self._gateway.patch_status(record.namespace, record.name, patch)
        except StatusWriteFailed as exc:  # retried by the next poll: the status still differs
            logger.warning("%s/%s: status write failed: %s", record.namespace, record.name, exc)
            metrics.status_writes.labels("failed").inc()
            return False
        if written is None:  # deleted meanwhile
            self.forget(record.uid)
            return False
        record.status = dict(update.status)
        metrics.status_writes.labels(why).inc()
        return True

    def _export(self, record: WatchRecord, synced_at: dt.datetime | None) -> None:
        status = record.status
        labels = (record.namespace, record.name)
        metrics.watch_instances.labels(*labels).set(status.get("instanceCount", 0))
        ready = next(
            (c.get("status") for c in status.get("conditions", []) if c.get("type") == "Ready"),
            None,
        )
        metrics.watch_ready.labels(*labels).set(1 if ready == "True" else 0)
        versions = [v["versionId"] for v in status.get("versionCounts", [])]
        for gone in set(record.versions_exported) - set(versions):
            metrics.watch_version_instances.remove(*labels, gone)
        for entry in status.get("versionCounts", []):
            metrics.watch_version_instances.labels(*labels, entry["versionId"]).set(entry["count"])
        record.versions_exported = versions
        if synced_at is not None:  # every successful poll, written or not
            metrics.watch_last_sync.labels(*labels).set(synced_at.timestamp())

    def _next_delay(self, record: WatchRecord, spec: WatchSpec, outcome: Outcome) -> float:
        interval = spec.interval_seconds
        if isinstance(outcome, Failure) and outcome.stalled:
            cap = max(interval, self.settings.stalled_backoff_max_seconds)
            return jittered(min(cap, interval * 2 ** max(0, record.failures_in_a_row - 1)))
        return jittered(max(interval, record.retry_after or 0.0))


def _credentials_from_secret(
    key: tuple[str, str], data: Mapping[str, str] | None
) -> Credentials | Failure:
    namespace, name = key
    if data is None:
        return Failure(
            CREDENTIALS_MISSING,
            f"Secret {name!r} (spec.credentialsRef) not found in namespace {namespace!r}",
            stalled=True,
        )
    try:
        return credentials_from_secret_data(data)
    except CredentialsError as exc:
        return Failure(CREDENTIALS_MISSING, f"Secret {name!r}: {exc}", stalled=True)

"""The reconciler's imperative shell with in-memory fakes for Kubernetes and FC (no network)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from fcwatch.endpoints import EndpointPolicy
from fcwatch.fc.credentials import Credentials
from fcwatch.fc.model import FCError, FCTarget, Instance, ListInstancesResult
from fcwatch.kube import SecretUnreadable, StatusWriteFailed
from fcwatch.operator_credentials import OperatorCredentials
from fcwatch.reconciler import Reconciler, ReconcilerSettings
from fcwatch.refresh import FLUX_REQUESTED_AT

SECRET_VALUE = "s3cr3t-value-for-unit-tests"


class FakeGateway:
    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict[str, str]] = {}
        self.secret_reads = 0
        self.patches: list[tuple[str, str, dict[str, Any]]] = []
        self.events: list[tuple[str, str, str, str]] = []
        self.gone: set[str] = set()
        self.refuse_writes = False

    async def read_secret_data(self, namespace: str, name: str) -> Mapping[str, str] | None:
        self.secret_reads += 1
        if name == "forbidden":
            raise SecretUnreadable("403 Forbidden")
        return self.secrets.get((namespace, name))

    async def patch_status(
        self, namespace: str, name: str, patch: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        if name in self.gone:
            return None
        if self.refuse_writes:
            raise StatusWriteFailed("422 Unprocessable Entity")
        self.patches.append((namespace, name, dict(patch)))
        return {"status": dict(patch)}

    async def post_event(
        self, body: Mapping[str, Any], type_: str, reason: str, message: str
    ) -> None:
        self.events.append((body["metadata"]["name"], type_, reason, message))


class FakeFC:
    def __init__(self) -> None:
        self.instances: list[Instance] = [Instance("i-1", "1"), Instance("i-2", "1")]
        self.error: FCError | None = None
        self.calls: list[tuple[FCTarget, Credentials]] = []

    async def list_instances(
        self, target: FCTarget, credentials: Credentials
    ) -> ListInstancesResult:
        self.calls.append((target, credentials))
        if self.error is not None:
            raise self.error
        return ListInstancesResult(tuple(self.instances), request_id=f"req-{len(self.calls)}")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def watch(name: str = "w", uid: str = "u1", generation: int = 1, **spec: Any) -> dict[str, Any]:
    body_spec: dict[str, Any] = {
        "api": "fc2",
        "region": "cn-hangzhou",
        "accountId": "1234567890",
        "serviceName": "shop",
        "functionName": "checkout",
        "interval": "30s",
        "credentialsRef": {"name": "creds"},
    }
    body_spec.update(spec)
    annotations = body_spec.pop("annotations", None)
    return {
        "apiVersion": "fcwatch.io/v1alpha1",
        "kind": "FunctionInstanceWatch",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": uid,
            "generation": generation,
            **({"annotations": annotations} if annotations else {}),
        },
        "spec": {k: v for k, v in body_spec.items() if v is not None},
    }


@pytest.fixture
def parts() -> tuple[Reconciler, FakeGateway, FakeFC, Clock]:
    gateway, fc, clock = FakeGateway(), FakeFC(), Clock()
    gateway.secrets[("ns", "creds")] = {
        "accessKeyId": b64("AKID"),
        "accessKeySecret": b64(SECRET_VALUE),
    }

    class NoOperatorCredentials(OperatorCredentials):
        async def get(self) -> Credentials | None:
            raise AssertionError("the operator's own credentials must not be asked for")

    reconciler = Reconciler(
        ReconcilerSettings(
            endpoint_policy=EndpointPolicy.parse(["http://127.0.0.1:*"]), heartbeat_seconds=300
        ),
        gateway,  # type: ignore[arg-type]
        fc,  # type: ignore[arg-type]
        NoOperatorCredentials(),
        now=clock,
        monotonic=clock.monotonic,
    )
    return reconciler, gateway, fc, clock


def ready(status: Mapping[str, Any]) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == "Ready")


async def test_first_poll_writes_ready_status_and_an_event(parts: Any) -> None:
    reconciler, gateway, fc, _ = parts
    reconciler.observe("ADDED", watch())
    delay = await reconciler.poll("u1")
    assert delay is not None and 27 <= delay <= 33  # interval with jitter
    status = reconciler.records["u1"].status
    assert status["instanceCount"] == 2 and ready(status)["reason"] == "Synced"
    assert [e[2] for e in gateway.events] == ["InstancesChanged"]
    assert len(fc.calls) == 1 and fc.calls[0][1].access_key_secret == SECRET_VALUE


async def test_unchanged_set_is_not_written_until_the_heartbeat(parts: Any) -> None:
    reconciler, gateway, _fc, clock = parts
    reconciler.observe("ADDED", watch())
    await reconciler.poll("u1")
    writes = len(gateway.patches)
    clock.now += dt.timedelta(seconds=30)
    await reconciler.poll("u1")
    clock.now += dt.timedelta(seconds=30)
    await reconciler.poll("u1")
    assert len(gateway.patches) == writes
    clock.now += dt.timedelta(seconds=300)
    await reconciler.poll("u1")
    assert len(gateway.patches) == writes + 1  # heartbeat: lastSyncTime refreshed
    assert gateway.patches[-1][2] == {"lastSyncTime": "2026-12-04T12:06:00Z", "requestId": "req-4"}
    assert len(gateway.events) == 1


async def test_spec_change_marks_reconciling_first(parts: Any) -> None:
    reconciler, gateway, _, _ = parts
    reconciler.observe("ADDED", watch())
    await reconciler.poll("u1")
    reconciler.observe("MODIFIED", watch(generation=2, qualifier="prod"))
    assert reconciler.scheduler.next_due("u1") is not None  # woken
    await reconciler.poll("u1")
    pending, final = gateway.patches[-2][2], gateway.patches[-1][2]
    assert any(c["type"] == "Reconciling" and c["status"] == "True" for c in pending["conditions"])
    assert all(c["type"] != "Reconciling" for c in final["conditions"])
    assert reconciler.records["u1"].status["observedGeneration"] == 2


async def test_invalid_spec_is_stalled_and_parked_without_fc_calls(parts: Any) -> None:
    reconciler, _, fc, _ = parts
    reconciler.observe("ADDED", watch(limit=1000))
    assert await reconciler.poll("u1") is None
    status = reconciler.records["u1"].status
    assert ready(status)["reason"] == "InvalidSpec" and "limit" in ready(status)["message"]
    assert any(c["type"] == "Stalled" and c["status"] == "True" for c in status["conditions"])
    assert fc.calls == []


async def test_suspend_makes_no_fc_call_and_parks(parts: Any) -> None:
    reconciler, _, fc, _ = parts
    reconciler.observe("ADDED", watch(suspend=True))
    assert await reconciler.poll("u1") is None
    assert fc.calls == []
    assert ready(reconciler.records["u1"].status)["reason"] == "Suspended"


async def test_missing_secret_then_secret_event_wakes_and_rereads(parts: Any) -> None:
    reconciler, gateway, fc, _ = parts
    reconciler.observe("ADDED", watch(credentialsRef={"name": "later"}))
    await reconciler.poll("u1")
    assert ready(reconciler.records["u1"].status)["reason"] == "CredentialsMissing"
    assert reconciler.uses_secret("ns", "later")
    reads = gateway.secret_reads
    await reconciler.poll("u1")
    assert gateway.secret_reads == reads  # cached: no read per poll
    gateway.secrets[("ns", "later")] = gateway.secrets[("ns", "creds")]
    reconciler.secret_changed("ns", "later")
    assert reconciler.scheduler.next_due("u1") == pytest.approx(0, abs=1)
    await reconciler.poll("u1")
    assert ready(reconciler.records["u1"].status)["reason"] == "Synced"
    assert len(fc.calls) == 1


async def test_identical_targets_share_one_call_and_refresh_bypasses_it(parts: Any) -> None:
    reconciler, _gateway, fc, clock = parts
    reconciler.observe("ADDED", watch("a", "ua"))
    reconciler.observe("ADDED", watch("b", "ub"))
    await reconciler.poll("ua")
    clock.now += dt.timedelta(seconds=20)  # younger than 0.9 x interval: shared
    await reconciler.poll("ub")
    assert len(fc.calls) == 1
    assert reconciler.records["ub"].status["instanceCount"] == 2
    # lastSyncTime says when FC was asked, not when the shared answer was reused
    assert reconciler.records["ub"].status["lastSyncTime"] == "2026-12-04T12:00:00Z"

    fc.instances = [Instance("i-9", "2")]
    reconciler.observe("MODIFIED", watch("b", "ub", annotations={FLUX_REQUESTED_AT: "now-1"}))
    await reconciler.poll("ub")
    assert len(fc.calls) == 2
    status = reconciler.records["ub"].status
    assert status["lastHandledReconcileAt"] == "now-1" and status["instanceCount"] == 1


async def test_fc_error_keeps_instances_and_stalled_errors_back_off(parts: Any) -> None:
    reconciler, _, fc, clock = parts
    reconciler.observe("ADDED", watch())
    await reconciler.poll("u1")
    fc.error = FCError(
        kind="auth", message="signature mismatch", http_status=403, code="SignatureNotMatch"
    )
    delays = []
    for _ in range(4):
        clock.now += dt.timedelta(seconds=30)
        delays.append(await reconciler.poll("u1"))
    status = reconciler.records["u1"].status
    assert status["instanceCount"] == 2 and len(status["instances"]) == 2
    assert ready(status)["reason"] == "AuthFailed"
    for delay, factor in zip(delays, [1, 2, 4, 8], strict=True):  # doubling, jittered ±10%
        assert delay is not None and 0.9 * 30 * factor <= delay <= 1.1 * 30 * factor


async def test_deleted_objects_are_forgotten(parts: Any) -> None:
    reconciler, gateway, _, _ = parts
    reconciler.observe("ADDED", watch())
    reconciler.observe("DELETED", watch())
    assert "u1" not in reconciler.records and "u1" not in reconciler.scheduler
    assert await reconciler.poll("u1") is None

    reconciler.observe("ADDED", watch("gone", "u2"))
    gateway.gone.add("gone")
    await reconciler.poll("u2")  # the PATCH found nothing: deleted meanwhile
    assert "u2" not in reconciler.records


async def test_own_credentials_never_go_to_an_overridden_endpoint(parts: Any) -> None:
    reconciler, _, fc, _ = parts
    reconciler.observe("ADDED", watch(endpoint="http://127.0.0.1:9999", credentialsRef=None))
    await reconciler.poll("u1")  # the fixture's operator credentials raise if asked
    assert ready(reconciler.records["u1"].status)["reason"] == "EndpointNotAllowed"
    assert fc.calls == []


async def test_secret_values_stay_out_of_status_and_events(parts: Any) -> None:
    reconciler, gateway, fc, _ = parts
    reconciler.observe("ADDED", watch())
    fc.error = FCError(kind="auth", message="bad key", http_status=403, code="InvalidAccessKeyID")
    await reconciler.poll("u1")
    assert SECRET_VALUE not in repr(gateway.patches) + repr(gateway.events)
    assert SECRET_VALUE not in repr(reconciler.records["u1"])


async def test_a_long_retry_after_delays_the_next_poll(parts: Any) -> None:
    reconciler, _, fc, _ = parts
    reconciler.observe("ADDED", watch())
    fc.error = FCError(
        kind="throttled",
        message="slow down",
        http_status=429,
        code="ResourceExhausted",
        retry_after=120,
        retryable=True,
    )
    delay = await reconciler.poll("u1")
    assert delay is not None and 108 <= delay <= 132
    assert ready(reconciler.records["u1"].status)["reason"] == "FCThrottled"


async def test_an_unreadable_secret_is_reported_and_retried_not_cached(parts: Any) -> None:
    reconciler, gateway, _, _ = parts
    reconciler.observe("ADDED", watch(credentialsRef={"name": "forbidden"}))
    delay = await reconciler.poll("u1")
    condition = ready(reconciler.records["u1"].status)
    assert condition["reason"] == "CredentialsMissing"
    assert "403 Forbidden" in condition["message"]
    assert delay is not None  # kept polling
    reads = gateway.secret_reads
    await reconciler.poll("u1")
    assert gateway.secret_reads == reads + 1


async def test_a_refused_status_write_is_retried_and_the_watch_kept(parts: Any) -> None:
    reconciler, gateway, _, clock = parts
    gateway.refuse_writes = True
    reconciler.observe("ADDED", watch())
    delay = await reconciler.poll("u1")
    assert delay is not None and "u1" in reconciler.records
    assert gateway.events == []  # nothing announced that was not written
    assert reconciler.records["u1"].status == {}
    gateway.refuse_writes = False
    clock.now += dt.timedelta(seconds=30)
    await reconciler.poll("u1")
    assert reconciler.records["u1"].status["instanceCount"] == 2
    assert [e[2] for e in gateway.events] == ["InstancesChanged"]


async def test_events_per_watch_are_budgeted_status_is_not(parts: Any) -> None:
    reconciler, gateway, fc, clock = parts
    reconciler.observe("ADDED", watch(interval="5s"))
    for i in range(40):  # the set changes on every poll
        fc.instances = [Instance(f"i-{i}", "1")]
        clock.now += dt.timedelta(seconds=5)
        await reconciler.poll("u1")
    assert reconciler.records["u1"].status["instances"][0]["instanceId"] == "i-39"
    assert len(gateway.events) == 25  # the burst; refill is one per 300 s
    clock.now += dt.timedelta(seconds=300)
    fc.instances = [Instance("i-last", "1")]
    await reconciler.poll("u1")
    assert len(gateway.events) == 26

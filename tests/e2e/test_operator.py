"""The operator end to end: real apiserver and kubectl, operator under its own RBAC, simulator."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Cluster
from .operator_harness import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    SECURITY_TOKEN,
    RunningOperator,
    condition,
    events_for,
    get_watch,
    install_rbac_and_token,
    iter_audit_status_patches,
    ready_is,
    secret_manifest,
    start_operator,
    stop_operator,
    wait_for,
    watch_manifest,
)
from .sim import SimulatorControl, running_simulator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorControl]:
    with running_simulator(ACCESS_KEY_ID, ACCESS_KEY_SECRET) as control:
        yield control


@pytest.fixture(scope="module")
def operator(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningOperator]:
    workdir = tmp_path_factory.mktemp("operator")
    kubeconfig = install_rbac_and_token(cluster, workdir)
    running = start_operator(kubeconfig, workdir)
    yield running
    stop_operator(running)


@pytest.fixture
def ns(cluster: Cluster, operator: RunningOperator) -> str:
    namespace = cluster.namespace("fiw")
    cluster.kubectl("apply", "-f", "-", input=secret_manifest(namespace))
    return namespace


def instances(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"instanceId": i, "versionId": v} for i, v in pairs]


FIVE = instances(("i-a", "1"), ("i-b", "1"), ("i-c", "1"), ("i-d", "0"), ("i-e", "0"))


def apply_watch(cluster: Cluster, ns: str, name: str, sim: SimulatorControl, **spec: Any) -> None:
    cluster.kubectl("apply", "-f", "-", input=watch_manifest(ns, name, sim.url, **spec))


def test_watch_gets_instances_counts_and_ready(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "checkout", "LATEST", FIVE)
    apply_watch(cluster, ns, "checkout", sim)
    obj = wait_for("Ready=True", ready_is(cluster, ns, "checkout", "True", "Synced"), 20)
    status = obj["status"]
    assert status["instanceCount"] == 5
    assert status["versionCounts"] == [
        {"versionId": "1", "count": 3},
        {"versionId": "0", "count": 2},
    ]
    assert [i["instanceId"] for i in status["instances"]] == ["i-a", "i-b", "i-c", "i-d", "i-e"]
    assert all(i["firstSeen"].endswith("Z") for i in status["instances"])
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert status["truncated"] is False
    assert status["requestId"]
    assert condition(obj, "Stalled") is None and condition(obj, "Reconciling") is None

    table = cluster.kubectl("get", "fiw", "-n", ns).stdout.splitlines()
    assert table[0].split()[:6] == [
        "NAME",
        "SERVICE",
        "FUNCTION",
        "QUALIFIER",
        "INSTANCES",
        "READY",
    ]
    assert table[1].split()[:6] == ["checkout", "e2e", "checkout", "LATEST", "5", "True"]
    wide = cluster.kubectl("get", "fiw", "-n", ns, "-o", "wide").stdout
    assert "1=3,0=2" in wide

    # GitOps hygiene: the operator wrote nothing but status — no finalizer, no annotations.
    meta = obj["metadata"]
    assert not meta.get("finalizers")
    assert set(meta.get("annotations") or {}) <= {
        "kubectl.kubernetes.io/last-applied-configuration"
    }
    assert meta["generation"] == 1


def test_changes_show_up_with_an_event_and_unchanged_sets_are_not_written(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "cart", "LATEST", FIVE[:3])
    apply_watch(cluster, ns, "cart", sim)
    wait_for(
        "3 instances",
        lambda: (get_watch(cluster, ns, "cart").get("status") or {}).get("instanceCount") == 3,
    )
    first_seen = {
        i["instanceId"]: i["firstSeen"]
        for i in get_watch(cluster, ns, "cart")["status"]["instances"]
    }

    sim.set_instances("e2e", "cart", "LATEST", FIVE)
    obj = wait_for(
        "5 instances within one interval",
        lambda: (o := get_watch(cluster, ns, "cart"))["status"]["instanceCount"] == 5 and o,
        timeout=12,
    )
    kept = {i["instanceId"]: i["firstSeen"] for i in obj["status"]["instances"]}
    assert all(kept[k] == v for k, v in first_seen.items())  # firstSeen survives
    messages = wait_for(
        "an InstancesChanged event",
        lambda: [
            e["message"]
            for e in events_for(cluster, ns, "cart")
            if e["reason"] == "InstancesChanged"
        ],
    )
    assert any("3 → 5 instances (+2 -0)" in m for m in messages), messages

    sim.set_instances("e2e", "cart", "LATEST", FIVE[1:4])  # i-a and i-e go
    obj = wait_for(
        "3 instances again",
        lambda: (o := get_watch(cluster, ns, "cart"))["status"]["instanceCount"] == 3 and o,
        timeout=12,
    )
    assert [i["instanceId"] for i in obj["status"]["instances"]] == ["i-b", "i-c", "i-d"]
    wait_for(
        "the removal event",
        lambda: any(
            "5 → 3 instances (+0 -2)" in e["message"] for e in events_for(cluster, ns, "cart")
        ),
    )

    # Nothing changes in FC: no status PATCH and no new resourceVersion over two intervals.
    version = obj["metadata"]["resourceVersion"]
    patches_before = len(list(iter_audit_status_patches(cluster, ns, "cart")))
    assert patches_before >= 2  # the audit log does see the operator's status writes
    time.sleep(11)
    assert get_watch(cluster, ns, "cart")["metadata"]["resourceVersion"] == version
    assert len(list(iter_audit_status_patches(cluster, ns, "cart"))) == patches_before
    assert sim.requests("e2e", "cart", "LATEST") >= 3  # it did keep polling


@pytest.mark.parametrize(
    ("status", "code", "reason", "stalled"),
    [
        (403, "SignatureNotMatch", "AuthFailed", True),
        (404, "FunctionNotFound", "NotFound", True),
        (429, "ResourceExhausted", "FCThrottled", False),
        (503, "ResourceThrottled", "FCThrottled", False),
        (500, "InternalServerError", "FCUnavailable", False),
    ],
)
def test_fc_errors_give_documented_conditions_and_keep_the_last_good_list(
    cluster: Cluster,
    sim: SimulatorControl,
    ns: str,
    status: int,
    code: str,
    reason: str,
    stalled: bool,
) -> None:
    name = f"err{status}"
    sim.set_instances("e2e", name, "LATEST", FIVE[:2])
    apply_watch(cluster, ns, name, sim)
    good = wait_for("Ready", ready_is(cluster, ns, name, "True"))["status"]["instances"]

    sim.add_fault("e2e", name, status=status, code=code)
    try:
        cluster.kubectl("annotate", "fiw", name, "-n", ns, "--overwrite", "fcwatch.io/refresh=1")
        obj = wait_for(f"Ready=False {reason}", ready_is(cluster, ns, name, "False", reason), 40)
        assert obj["status"]["instances"] == good  # never wiped
        assert obj["status"]["instanceCount"] == 2
        assert code in condition(obj, "Ready")["message"]  # type: ignore[index]
        stalled_cond = condition(obj, "Stalled")
        assert (stalled_cond is not None and stalled_cond["status"] == "True") is stalled
        warnings = wait_for(
            "a Warning event",
            lambda: [e for e in events_for(cluster, ns, name) if e["type"] == "Warning"],
        )
        assert warnings[0]["reason"] == reason
        time.sleep(7)  # more failed polls (interval 5s): still one Warning, on the transition
        assert len([e for e in events_for(cluster, ns, name) if e["type"] == "Warning"]) == 1
    finally:
        sim.clear_faults()
    cluster.kubectl("annotate", "fiw", name, "-n", ns, "--overwrite", "fcwatch.io/refresh=2")
    recovered = wait_for("recovery", ready_is(cluster, ns, name, "True", "Synced"), 40)
    assert condition(recovered, "Stalled") is None


def test_missing_secret_then_missing_key_then_fixed(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "creds", "LATEST", FIVE[:1])
    apply_watch(cluster, ns, "creds", sim, credentialsRef={"name": "nope"})
    obj = wait_for(
        "CredentialsMissing", ready_is(cluster, ns, "creds", "False", "CredentialsMissing")
    )
    assert "'nope'" in condition(obj, "Ready")["message"]  # type: ignore[index]
    assert condition(obj, "Stalled")["status"] == "True"  # type: ignore[index]

    cluster.kubectl("apply", "-f", "-", input=secret_manifest(ns, "nope", accessKeySecret=None))
    obj = wait_for(
        "the missing key named",
        lambda: (
            "accessKeySecret"
            in (condition(get_watch(cluster, ns, "creds"), "Ready") or {}).get("message", "")
            and get_watch(cluster, ns, "creds")
        ),
    )
    cluster.kubectl("apply", "-f", "-", input=secret_manifest(ns, "nope"))
    wait_for("Ready after the Secret is fixed", ready_is(cluster, ns, "creds", "True"), 20)


def test_wrong_secret_value_is_auth_failed(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "wrongkey", "LATEST", FIVE[:1])
    cluster.kubectl(
        "apply", "-f", "-", input=secret_manifest(ns, "bad", accessKeySecret="not-the-secret")
    )
    apply_watch(cluster, ns, "wrongkey", sim, credentialsRef={"name": "bad"})
    obj = wait_for("AuthFailed", ready_is(cluster, ns, "wrongkey", "False", "AuthFailed"), 20)
    assert "SignatureNotMatch" in condition(obj, "Ready")["message"]  # type: ignore[index]


def test_refresh_annotation_polls_now_and_is_echoed(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "slow", "LATEST", FIVE[:1])
    apply_watch(cluster, ns, "slow", sim, interval="1h")
    wait_for("Ready", ready_is(cluster, ns, "slow", "True"))
    sim.set_instances("e2e", "slow", "LATEST", FIVE)
    stamp = "2026-12-04T12:00:00.000000Z"
    cluster.kubectl(
        "annotate",
        "fiw",
        "slow",
        "-n",
        ns,
        "--overwrite",
        f"reconcile.fluxcd.io/requestedAt={stamp}",
    )
    obj = wait_for(
        "the requested poll",
        lambda: (
            (o := get_watch(cluster, ns, "slow"))["status"].get("lastHandledReconcileAt") == stamp
            and o
        ),
        timeout=10,
    )
    assert obj["status"]["instanceCount"] == 5


def test_suspend_stops_fc_calls(cluster: Cluster, sim: SimulatorControl, ns: str) -> None:
    sim.set_instances("e2e", "sleepy", "LATEST", FIVE[:2])
    apply_watch(cluster, ns, "sleepy", sim)
    wait_for("Ready", ready_is(cluster, ns, "sleepy", "True"))
    apply_watch(cluster, ns, "sleepy", sim, suspend=True)
    obj = wait_for(
        "suspended",
        lambda: (
            "suspend"
            in (
                (condition(o := get_watch(cluster, ns, "sleepy"), "Ready") or {}).get("message", "")
            )
            and o
        ),
    )
    assert obj["status"]["instanceCount"] == 2
    calls = sim.requests("e2e", "sleepy", "LATEST")
    time.sleep(11)
    assert sim.requests("e2e", "sleepy", "LATEST") == calls
    apply_watch(cluster, ns, "sleepy", sim, suspend=False)
    wait_for("polling again", lambda: sim.requests("e2e", "sleepy", "LATEST") > calls, 15)


def test_delete_stops_polling_and_nothing_blocks_it(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "doomed", "LATEST", FIVE[:1])
    apply_watch(cluster, ns, "doomed", sim)
    wait_for("Ready", ready_is(cluster, ns, "doomed", "True"))
    cluster.kubectl("delete", "fiw", "doomed", "-n", ns, "--timeout=10s")
    assert cluster.kubectl("get", "fiw", "doomed", "-n", ns, check=False).returncode != 0
    calls = sim.requests("e2e", "doomed", "LATEST")
    time.sleep(11)
    assert sim.requests("e2e", "doomed", "LATEST") == calls


def test_endpoint_outside_the_allowlist_is_stalled(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    cluster.kubectl(
        "apply", "-f", "-",
        input=watch_manifest(ns, "elsewhere", "https://collector.attacker.example"),
    )  # fmt: skip
    obj = wait_for(
        "EndpointNotAllowed", ready_is(cluster, ns, "elsewhere", "False", "EndpointNotAllowed")
    )
    assert condition(obj, "Stalled")["status"] == "True"  # type: ignore[index]
    assert "--allowed-endpoints" in condition(obj, "Ready")["message"]  # type: ignore[index]


def test_operator_credentials_are_never_sent_to_an_overridden_endpoint(
    cluster: Cluster, sim: SimulatorControl, ns: str
) -> None:
    sim.set_instances("e2e", "own", "LATEST", FIVE[:1])
    apply_watch(cluster, ns, "own", sim, credentialsRef=None)
    obj = wait_for(
        "EndpointNotAllowed", ready_is(cluster, ns, "own", "False", "EndpointNotAllowed")
    )
    assert "credentialsRef" in condition(obj, "Ready")["message"]  # type: ignore[index]
    assert sim.requests("e2e", "own", "LATEST") == 0


def test_metrics_are_exported(
    cluster: Cluster, sim: SimulatorControl, ns: str, operator: RunningOperator
) -> None:
    sim.set_instances("e2e", "metered", "LATEST", FIVE[:4])
    apply_watch(cluster, ns, "metered", sim)
    wait_for("Ready", ready_is(cluster, ns, "metered", "True"))
    text = wait_for(
        "the watch's gauge",
        lambda: (
            (t := httpx.get(operator.metrics_url, timeout=5).text)
            and f'fcwatch_watch_instances{{name="metered",namespace="{ns}"}} 4.0' in t
            and t
        ),
    )
    assert re.search(
        r'fcwatch_fc_requests_total\{api="fc2",outcome="ok",region="cn-hangzhou"\} \d', text
    )
    synced = re.search(
        rf'fcwatch_watch_last_sync_timestamp_seconds{{name="metered",namespace="{ns}"}} (\S+)',
        text,
    )
    assert synced and abs(float(synced.group(1)) - time.time()) < 60


def test_no_secret_anywhere(
    cluster: Cluster, sim: SimulatorControl, ns: str, operator: RunningOperator
) -> None:
    """Runs last in this module: logs, events and statuses of everything above."""
    cluster.kubectl(
        "apply", "-f", "-", input=secret_manifest(ns, "sts", securityToken=SECURITY_TOKEN)
    )
    sim.set_instances("e2e", "sts", "LATEST", FIVE[:1])
    apply_watch(cluster, ns, "sts", sim, credentialsRef={"name": "sts"})
    wait_for("Ready with an STS token", ready_is(cluster, ns, "sts", "True"))
    everything = "\n".join(
        [
            operator.logs(),
            cluster.kubectl("get", "events", "-A", "-o", "json").stdout,
            cluster.kubectl("get", "fiw", "-A", "-o", "json").stdout,
        ]
    )
    assert "fcwatch" in everything
    for secret in (ACCESS_KEY_SECRET, SECURITY_TOKEN):
        assert secret not in everything
    assert json.loads(cluster.kubectl("get", "fiw", "-A", "-o", "json").stdout)["items"]

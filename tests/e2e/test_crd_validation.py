"""The CRD on a real kube-apiserver: bad specs are refused at `kubectl apply` with the schema or
CEL message, a minimal spec is accepted and defaulted, the status subresource takes exactly the
shape the operator writes, and `kubectl get fiw` prints the columns. The install manifests pass
server-side validation (and the restricted Pod Security profile)."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import Cluster

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
_names = itertools.count(1)

MINIMAL: dict[str, Any] = {
    "region": "cn-hangzhou",
    "accountId": "1234567890",
    "serviceName": "shop",
    "functionName": "checkout",
}


def manifest(spec: dict[str, Any] | None, name: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "fcwatch.io/v1alpha1",
        "kind": "FunctionInstanceWatch",
        "metadata": {"name": name or f"w{next(_names)}"},
    }
    if spec is not None:
        obj["spec"] = spec
    return obj


def apply(cluster: Cluster, ns: str, obj: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(obj), check=False)


def get(cluster: Cluster, ns: str, name: str) -> dict[str, Any]:
    out = cluster.kubectl("get", "-n", ns, "fiw", name, "-o", "json").stdout
    result: dict[str, Any] = json.loads(out)
    return result


def exists(cluster: Cluster, ns: str, name: str) -> bool:
    result = cluster.kubectl("get", "-n", ns, "fiw", name, "--ignore-not-found", "-o", "name")
    return result.stdout.strip() != ""


@pytest.fixture(scope="module")
def ns(cluster: Cluster) -> str:
    cluster.apply_crd()
    return cluster.namespace("crdval")


# --- accepted -------------------------------------------------------------------------------------


def test_minimal_spec_is_accepted_and_defaulted(cluster: Cluster, ns: str) -> None:
    result = apply(cluster, ns, manifest(MINIMAL, "minimal"))
    assert result.returncode == 0, result.stderr
    spec = get(cluster, ns, "minimal")["spec"]
    assert spec == {
        **MINIMAL,
        "api": "fc2",
        "qualifier": "LATEST",
        "limit": 100,
        "interval": "30s",
        "internal": False,
        "suspend": False,
    }


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(
            {
                "api": "fc3",
                "region": "ap-southeast-1",
                "accountId": "1",
                "functionName": "_f-1",
                "qualifier": "prod",
            },
            id="fc3-alias",
        ),
        pytest.param(
            {
                **MINIMAL,
                "qualifier": "12",
                "limit": 0,
                "interval": "1m30s",
                "instanceIds": ["c-62833f38-20f1629801fa4bd0", "i-2"],
                "credentialsRef": {"name": "fc-credentials"},
                "suspend": True,
            },
            id="fc2-everything",
        ),
        pytest.param({**MINIMAL, "interval": "5s"}, id="interval-5s-boundary"),
        pytest.param({**MINIMAL, "interval": "5000ms"}, id="interval-5000ms"),
        pytest.param({**MINIMAL, "interval": "1.5h"}, id="interval-fraction"),
        pytest.param({**MINIMAL, "interval": "999999h999999h9h"}, id="interval-largest"),
        pytest.param({**MINIMAL, "endpoint": "http://127.0.0.1:9000"}, id="http-loopback"),
        pytest.param({**MINIMAL, "endpoint": "http://localhost:9000"}, id="http-localhost"),
        pytest.param(
            {**MINIMAL, "endpoint": "https://1234567890.cn-hangzhou.fc.aliyuncs.com"},
            id="https-endpoint",
        ),
        pytest.param({**MINIMAL, "internal": True}, id="internal"),
    ],
)
def test_valid_specs_are_accepted(cluster: Cluster, ns: str, spec: dict[str, Any]) -> None:
    obj = manifest(spec)
    result = apply(cluster, ns, obj)
    assert result.returncode == 0, result.stderr
    stored = get(cluster, ns, obj["metadata"]["name"])["spec"]
    assert stored.items() >= spec.items()


# --- refused --------------------------------------------------------------------------------------


def without(spec: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != key}


INVALID: list[tuple[str, dict[str, Any] | None, list[str]]] = [
    ("no spec", None, ["spec: Required value"]),
    (
        "fc2 without serviceName (CEL)",
        without(MINIMAL, "serviceName"),
        ["spec.serviceName: Required value", "spec.serviceName is required when spec.api is fc2"],
    ),
    (
        "fc3 with serviceName (CEL)",
        {**MINIMAL, "api": "fc3"},
        ["spec.serviceName: Forbidden", "must not be set when spec.api is fc3"],
    ),
    (
        "unknown api",
        {**MINIMAL, "api": "fc4"},
        ['spec.api: Unsupported value: "fc4"', '"fc2"', '"fc3"'],
    ),
    ("missing functionName", without(MINIMAL, "functionName"), ["spec.functionName: Required"]),
    ("missing region", without(MINIMAL, "region"), ["spec.region: Required value"]),
    ("missing accountId", without(MINIMAL, "accountId"), ["spec.accountId: Required value"]),
    ("limit above 100", {**MINIMAL, "limit": 101}, ["spec.limit", "less than or equal to 100"]),
    ("negative limit", {**MINIMAL, "limit": -1}, ["spec.limit", "greater than or equal to 0"]),
    ("limit not a number", {**MINIMAL, "limit": "ten"}, ["spec.limit", "integer"]),
    (
        "interval below 5s (CEL duration)",
        {**MINIMAL, "interval": "4s"},
        ["spec.interval must be a Go duration of at least 5s", 'got "4s"'],
    ),
    (
        "interval 4999ms (CEL duration)",
        {**MINIMAL, "interval": "4999ms"},
        ["spec.interval must be a Go duration of at least 5s"],
    ),
    (
        "interval without unit (CEL)",
        {**MINIMAL, "interval": "30"},
        ["spec.interval must be a Go duration of at least 5s", 'got "30"'],
    ),
    (
        "interval not a duration (CEL)",
        {**MINIMAL, "interval": "soon"},
        ['got "soon"'],
    ),
    (
        "negative interval (CEL)",
        {**MINIMAL, "interval": "-30s"},
        ["spec.interval must be a Go duration of at least 5s"],
    ),
    (
        "interval beyond Go's range (CEL guard)",
        {**MINIMAL, "interval": "9999999h"},
        ["spec.interval must be a Go duration of at least 5s", 'got "9999999h"'],
    ),
    (
        "interval too long",
        {**MINIMAL, "interval": "1h1m1s1ms1us1ns0s"},
        ["spec.interval", "Too long"],
    ),
    ("region pattern", {**MINIMAL, "region": "Hangzhou"}, ["spec.region", "should match"]),
    ("accountId letters", {**MINIMAL, "accountId": "12ab"}, ["spec.accountId", "should match"]),
    (
        "accountId as a YAML number",
        {**MINIMAL, "accountId": 1234567890},
        ["spec.accountId", "must be of type string"],
    ),
    ("accountId too long", {**MINIMAL, "accountId": "1" * 33}, ["spec.accountId", "Too long"]),
    (
        "serviceName with a space",
        {**MINIMAL, "serviceName": "my shop"},
        ["spec.serviceName", "should match"],
    ),
    (
        "functionName starting with a digit",
        {**MINIMAL, "functionName": "1checkout"},
        ["spec.functionName", "should match"],
    ),
    (
        "functionName too long",
        {**MINIMAL, "functionName": "f" * 129},
        ["spec.functionName", "Too long"],
    ),
    ("qualifier with a dot", {**MINIMAL, "qualifier": "v1.2"}, ["spec.qualifier", "should match"]),
    (
        "more than 100 instanceIds",
        {**MINIMAL, "instanceIds": [f"i-{n}" for n in range(101)]},
        ["spec.instanceIds", "Too many", "100"],
    ),
    (
        "duplicate instanceIds",
        {**MINIMAL, "instanceIds": ["i-1", "i-1"]},
        ["spec.instanceIds[1]", "Duplicate value"],
    ),
    (
        "instanceId with a space",
        {**MINIMAL, "instanceIds": ["i 1"]},
        ["spec.instanceIds[0]", "should match"],
    ),
    (
        "endpoint with a path",
        {**MINIMAL, "endpoint": "https://fc.example.com/2016-08-15"},
        ["spec.endpoint", "should match"],
    ),
    (
        "endpoint with credentials",
        {**MINIMAL, "endpoint": "https://user:pw@fc.example.com"},
        ["spec.endpoint", "should match"],
    ),
    (
        "plain http to a remote host (CEL)",
        {**MINIMAL, "endpoint": "http://fc.example.com"},
        ["spec.endpoint may use plain http only for a loopback host"],
    ),
    (
        "internal together with endpoint (CEL)",
        {**MINIMAL, "internal": True, "endpoint": "https://fc.example.com"},
        ["spec.internal", "has no effect together with spec.endpoint"],
    ),
    (
        "credentialsRef.namespace (CEL)",
        {**MINIMAL, "credentialsRef": {"name": "fc-credentials", "namespace": "kube-system"}},
        ["spec.credentialsRef.namespace: Forbidden", "must be in the same namespace"],
    ),
    (
        "credentialsRef without name",
        {**MINIMAL, "credentialsRef": {}},
        ["spec.credentialsRef.name: Required value"],
    ),
    (
        "credentialsRef.name not a DNS subdomain",
        {**MINIMAL, "credentialsRef": {"name": "FC_Credentials"}},
        ["spec.credentialsRef.name", "should match"],
    ),
    ("suspend not a boolean", {**MINIMAL, "suspend": "yes"}, ["spec.suspend", "boolean"]),
    ("unknown field", {**MINIMAL, "functionname": "typo"}, ['unknown field "spec.functionname"']),
]


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [pytest.param(spec, fragments, id=case) for case, spec, fragments in INVALID],
)
def test_invalid_spec_is_refused(
    cluster: Cluster, ns: str, spec: dict[str, Any] | None, fragments: list[str]
) -> None:
    obj = manifest(spec)
    result = apply(cluster, ns, obj)
    assert result.returncode != 0, f"accepted: {json.dumps(spec)}"
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in: {result.stderr}"
    assert "Internal error" not in result.stderr, result.stderr
    assert not exists(cluster, ns, obj["metadata"]["name"])


def test_invalid_update_is_refused_and_the_object_kept(cluster: Cluster, ns: str) -> None:
    obj = manifest({**MINIMAL, "interval": "1m"}, "update-me")
    assert apply(cluster, ns, obj).returncode == 0
    bad = copy.deepcopy(obj)
    bad["spec"]["interval"] = "1s"
    result = apply(cluster, ns, bad)
    assert result.returncode != 0
    assert "spec.interval must be a Go duration of at least 5s" in result.stderr
    assert get(cluster, ns, "update-me")["spec"]["interval"] == "1m"
    switch = cluster.kubectl(
        "patch", "-n", ns, "fiw", "update-me", "--type=merge", "-p", '{"spec":{"api":"fc3"}}',
        check=False,
    )  # fmt: skip
    assert switch.returncode != 0
    assert "must not be set when spec.api is fc3" in switch.stderr


# --- status subresource ---------------------------------------------------------------------------

T0 = "2026-12-04T10:00:00Z"
STATUS: dict[str, Any] = {
    "observedGeneration": 1,
    "instanceCount": 5,
    "versionCounts": [{"versionId": "1", "count": 3}, {"versionId": "0", "count": 2}],
    "versionSummary": "1=3,0=2",
    "instances": [
        {"instanceId": f"i-{n}", "versionId": "1" if n < 3 else "0", "firstSeen": T0}
        for n in range(5)
    ],
    "truncated": False,
    "lastSyncTime": T0,
    "lastChangeTime": T0,
    "requestId": "1b7f2c9e-0000-4000-8000-000000000000",
    "lastHandledReconcileAt": "2026-12-04T09:59:00Z",
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "Synced",
            "message": "5 instances",
            "lastTransitionTime": T0,
            "observedGeneration": 1,
        }
    ],
}


def patch_status(
    cluster: Cluster, ns: str, name: str, status: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl(
        "patch", "-n", ns, "fiw", name, "--subresource=status", "--type=merge",
        "-p", json.dumps({"status": status}), check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def with_status(cluster: Cluster, ns: str) -> str:
    name = "with-status"
    assert apply(cluster, ns, manifest(MINIMAL, name)).returncode == 0
    result = patch_status(cluster, ns, name, STATUS)
    assert result.returncode == 0, result.stderr
    return name


def test_status_shape_the_operator_writes_is_stored(
    cluster: Cluster, ns: str, with_status: str
) -> None:
    assert get(cluster, ns, with_status)["status"] == STATUS


def test_fc3_instance_fields_are_stored(cluster: Cluster, ns: str) -> None:
    name = "fc3-status"
    spec = {**without(MINIMAL, "serviceName"), "api": "fc3"}
    assert apply(cluster, ns, manifest(spec, name)).returncode == 0
    instance = {
        "instanceId": "c-1",
        "versionId": "2",
        "firstSeen": T0,
        "status": "Running",
        "createdTime": "2026-12-04T09:00:00Z",
        "qualifier": "prod",
    }
    status = {**STATUS, "instances": [instance], "instanceCount": 1}
    result = patch_status(cluster, ns, name, status)
    assert result.returncode == 0, result.stderr
    assert get(cluster, ns, name)["status"]["instances"] == [instance]


def test_status_unknown_fields_are_pruned(cluster: Cluster, ns: str, with_status: str) -> None:
    result = patch_status(cluster, ns, with_status, {"kopf": {"progress": {}}, "bogus": 1})
    assert result.returncode == 0, result.stderr
    status = get(cluster, ns, with_status)["status"]
    assert "kopf" not in status and "bogus" not in status
    assert status == STATUS


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        pytest.param(
            {"conditions": [{**STATUS["conditions"][0], "status": "Maybe"}]},
            'status.conditions[0].status: Unsupported value: "Maybe"',
            id="condition-status-enum",
        ),
        pytest.param(
            {"conditions": [{**STATUS["conditions"][0], "reason": "not a reason"}]},
            "status.conditions[0].reason",
            id="condition-reason-pattern",
        ),
        pytest.param(
            {"conditions": [STATUS["conditions"][0], STATUS["conditions"][0]]},
            "Duplicate value",
            id="condition-type-unique",
        ),
        pytest.param(
            {"lastSyncTime": "yesterday"},
            "status.lastSyncTime",
            id="date-time",
        ),
        pytest.param(
            {"instanceCount": -1},
            "status.instanceCount",
            id="negative-count",
        ),
    ],
)
def test_invalid_status_is_refused(
    cluster: Cluster, ns: str, with_status: str, status: dict[str, Any], fragment: str
) -> None:
    result = patch_status(cluster, ns, with_status, status)
    assert result.returncode != 0, f"accepted: {status}"
    assert fragment in result.stderr, result.stderr


def test_status_cannot_be_written_through_the_main_resource(
    cluster: Cluster, ns: str, with_status: str
) -> None:
    cluster.kubectl(
        "patch", "-n", ns, "fiw", with_status, "--type=merge",
        "-p", '{"status":{"instanceCount":99}}',
    )  # fmt: skip
    assert get(cluster, ns, with_status)["status"]["instanceCount"] == 5


# --- kubectl get ----------------------------------------------------------------------------------


def header(text: str) -> list[str]:
    first = text.splitlines()[0]
    return first.replace("LAST SYNC", "LAST_SYNC").split()


def test_kubectl_get_prints_the_columns(cluster: Cluster, ns: str, with_status: str) -> None:
    out = cluster.kubectl("get", "-n", ns, "fiw", with_status).stdout
    assert header(out) == [
        "NAME",
        "SERVICE",
        "FUNCTION",
        "QUALIFIER",
        "INSTANCES",
        "READY",
        "LAST_SYNC",
        "AGE",
    ]
    row = out.splitlines()[1].split()
    assert row[:6] == [with_status, "shop", "checkout", "LATEST", "5", "True"]


def test_kubectl_get_wide_adds_versions_and_reason(
    cluster: Cluster, ns: str, with_status: str
) -> None:
    out = cluster.kubectl("get", "-n", ns, "fiw", with_status, "-o", "wide").stdout
    assert header(out)[-2:] == ["VERSIONS", "REASON"]
    assert out.splitlines()[1].split()[-2:] == ["1=3,0=2", "Synced"]


def test_short_name_and_category(cluster: Cluster, ns: str, with_status: str) -> None:
    by_category = cluster.kubectl("get", "-n", ns, "fcwatch", "-o", "name").stdout.split()
    assert f"functioninstancewatch.fcwatch.io/{with_status}" in by_category
    resources = cluster.kubectl("api-resources", "--api-group=fcwatch.io", "-o", "wide").stdout
    assert "fiw" in resources and "fcwatch" in resources


# --- the install manifests against the real API -------------------------------------------------


def test_install_manifests_pass_server_side_validation(cluster: Cluster) -> None:
    """Everything but the Namespace and CRD, moved into a fresh namespace labelled to warn on
    restricted Pod Security violations, applied with --dry-run=server (nothing is persisted)."""
    target = cluster.namespace("install")
    cluster.kubectl("label", "namespace", target, "pod-security.kubernetes.io/warn=restricted")
    rendered = cluster.kubectl("kustomize", str(REPO / "manifests")).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    keep = []
    for doc in docs:
        if doc["kind"] in {"Namespace", "CustomResourceDefinition"}:
            continue
        if doc["metadata"].get("namespace") == "fcwatch-system":
            doc["metadata"]["namespace"] = target
        for subject in doc.get("subjects", []):
            subject["namespace"] = target
        keep.append(doc)
    assert {d["kind"] for d in keep} == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
    }
    result = cluster.kubectl(
        "apply", "--dry-run=server", "--validate=strict", "-f", "-",
        input=yaml.safe_dump_all(keep), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "violate PodSecurity" not in result.stderr, result.stderr
    assert result.stdout.count("(server dry run)") == len(keep), result.stdout


def test_samples_apply_into_the_chosen_namespace(cluster: Cluster) -> None:
    cluster.apply_crd()
    target = cluster.namespace("samples")
    result = cluster.kubectl(
        "apply", "--dry-run=server", "-k", str(REPO / "manifests" / "samples"), "-n", target,
        "-o", "json", check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    applied = json.loads(result.stdout)
    items = applied["items"] if applied["kind"] == "List" else [applied]
    assert sorted(
        (i["kind"], i["metadata"]["name"], i["metadata"]["namespace"]) for i in items
    ) == [
        ("FunctionInstanceWatch", "checkout", target),
        ("Secret", "fc-credentials", target),
    ]
    fiw = next(i for i in items if i["kind"] == "FunctionInstanceWatch")
    assert fiw["spec"]["interval"] == "30s"  # defaulted by the server

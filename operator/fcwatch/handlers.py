"""kopf wiring only. Importing this module registers the handlers.

fcwatch registers no change-detecting handlers (create/update/resume/delete/field), no daemons
and no timers, so kopf writes nothing to a watch: no finalizer, no last-handled-configuration
annotation, no progress annotations. ``on.event`` feeds the reconciler, whose own scheduler
polls FC and patches ``/status`` only. Deleting a watch is never blocked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

import kopf

from fcwatch import metrics
from fcwatch.fc.client import FCClient
from fcwatch.kube import GROUP, PLURAL, VERSION, KubeGateway, KubeLeaseStore, load_api_client
from fcwatch.leader import LeaderElection, LeaderElectionSettings
from fcwatch.operator_credentials import OperatorCredentials, operator_credentials_from_env
from fcwatch.reconciler import Reconciler, ReconcilerSettings


@dataclass
class Runtime:
    """Handed to kopf as the root ``memo``: settings in, the live reconciler out."""

    settings: ReconcilerSettings = field(default_factory=ReconcilerSettings)
    kubeconfig: str | None = None
    metrics_port: int = 0
    reconciler: Reconciler | None = None
    task: asyncio.Task[None] | None = None
    fc: FCClient | None = None
    credentials: OperatorCredentials | None = None
    leader_election: LeaderElectionSettings | None = None  # None: this replica always leads
    election: LeaderElection | None = None
    election_task: asyncio.Task[None] | None = None


def identity() -> str:
    """This replica's name in the Lease: the Pod's name (POD_NAME/POD_ID, else the hostname)
    plus a random suffix, so a restarted container never mistakes an old lease for its own."""
    base = os.environ.get("POD_NAME") or os.environ.get("POD_ID") or socket.gethostname()
    return f"{base}_{uuid.uuid4().hex[:8]}"


def _runtime(memo: Any) -> Runtime:
    runtime = memo.runtime
    assert isinstance(runtime, Runtime)
    return runtime


@kopf.on.startup()
async def startup(
    settings: kopf.OperatorSettings,
    memo: Any,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    **_: Any,
) -> None:
    # kopf's persistence settings (finalizer, progress and diff-base storage) are left alone:
    # with no change handlers, daemons or timers kopf never uses them (module docstring).
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    settings.networking.request_timeout = 30
    runtime = _runtime(memo)
    runtime.fc = FCClient()
    runtime.credentials = operator_credentials_from_env()
    logger.info("operator's own FC credentials: %s", runtime.credentials.source)
    api = load_api_client(runtime.kubeconfig)
    runtime.reconciler = Reconciler(
        runtime.settings, KubeGateway(api), runtime.fc, runtime.credentials
    )
    if runtime.leader_election is not None:
        runtime.reconciler.set_leading(False)
        lease = runtime.leader_election
        runtime.election = LeaderElection(
            KubeLeaseStore(api, lease.namespace, lease.name),
            identity(),
            lease,
            runtime.reconciler.set_leading,
        )
        runtime.election_task = asyncio.create_task(runtime.election.run(), name="fcwatch-lease")
    runtime.task = asyncio.create_task(runtime.reconciler.run(), name="fcwatch-scheduler")
    if runtime.metrics_port:
        metrics.serve(runtime.metrics_port)


@kopf.on.login()
def login(memo: Any, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """``--kubeconfig`` when given, else kopf's usual order (in-cluster, then KUBECONFIG)."""
    kubeconfig = _runtime(memo).kubeconfig
    if kubeconfig:
        os.environ["KUBECONFIG"] = kubeconfig
        return kopf.login_with_kubeconfig(**kwargs)
    info: kopf.ConnectionInfo | None = kopf.login_via_client(**kwargs)
    return info


@kopf.on.cleanup()
async def cleanup(memo: Any, **_: Any) -> None:
    runtime = _runtime(memo)
    for task in (runtime.election_task, runtime.task):
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if runtime.election is not None:
        await runtime.election.release()
    if runtime.fc is not None:
        await runtime.fc.aclose()
    if runtime.credentials is not None:
        await runtime.credentials.aclose()


# Handlers that touch the reconciler are async on purpose: kopf runs sync handlers in a thread
# pool, and the reconciler's scheduler is not thread-safe.
@kopf.on.event(GROUP, VERSION, PLURAL)
async def watch_event(type: str | None, body: kopf.Body, memo: Any, **_: Any) -> None:
    reconciler = _runtime(memo).reconciler
    if reconciler is not None:
        reconciler.observe(type, body)


def _secret_in_use(namespace: str | None, name: str | None, memo: Any, **_: Any) -> bool:
    reconciler = _runtime(memo).reconciler
    return bool(reconciler and namespace and name and reconciler.uses_secret(namespace, name))


@kopf.on.event("", "v1", "secrets", when=_secret_in_use)
async def secret_event(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    reconciler = _runtime(memo).reconciler
    if reconciler is not None and namespace:
        reconciler.secret_changed(namespace, name)


@kopf.on.probe(id="watches")
async def watches_probe(memo: Any, **_: Any) -> int:
    runtime = _runtime(memo)
    if runtime.reconciler is None or runtime.task is None or runtime.task.done():
        raise kopf.PermanentError("the poll scheduler is not running")
    if runtime.election_task is not None and runtime.election_task.done():
        raise kopf.PermanentError("the leader election loop is not running")
    return len(runtime.reconciler.records)

"""`fcwatch demo`: the whole product on one machine, in one command.

A local control plane (or ``--kubeconfig``), the FC simulator's demo account whose instances
churn, the CRD, a Secret with the simulator's demo keys, a few watches pointed at the simulator,
and the operator itself (``fcwatch run`` as a child process); then a `kubectl get fiw -o wide`
style table, refreshed until Ctrl-C (or ``--duration``). Everything is removed on the way out.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from fcwatch import localcluster, table
from fcwatch.kube import GROUP, PLURAL, VERSION, load_api_client

NAMESPACE = "fcwatch-demo"
SECRET_NAME = "fc-demo-credentials"  # noqa: S105 - a Secret object name
CRD_FILE = Path(__file__).resolve().parents[2] / "crds" / "functioninstancewatches.fcwatch.io.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", help="use this cluster instead of a local control plane")
    parser.add_argument("--crd", default=str(CRD_FILE), help="the CRD manifest to install")
    parser.add_argument(
        "--duration", type=float, default=0, help="stop after N seconds (default: until Ctrl-C)"
    )
    parser.add_argument("--refresh", type=float, default=2.0, help="table refresh, seconds")
    parser.set_defaults(handler=main)


def demo_targets(config: dict[str, Any]) -> list[dict[str, str]]:
    """Every (service, function, qualifier) of the simulator's demo account, over fc2, and the
    first function's aliases over fc3 too."""
    targets = []
    for account in config["accounts"]:
        for fn in account["functions"]:
            for qualifier in fn["qualifiers"]:
                targets.append(
                    {
                        "api": "fc2",
                        "service": fn["service"],
                        "function": fn["function"],
                        "qualifier": qualifier,
                    }
                )
    first = config["accounts"][0]["functions"][0]
    for alias in first.get("aliases", {}):
        targets.append(
            {"api": "fc3", "service": "", "function": first["function"], "qualifier": alias}
        )
    return targets


def demo_watches(endpoint: str, functions: list[dict[str, str]]) -> list[dict[str, Any]]:
    """One watch per simulator function, pointed at the simulator with the demo Secret."""
    watches = []
    for fn in functions:
        name = f"{fn.get('service') or 'fc3'}-{fn['function']}-{fn['qualifier']}".lower()
        spec: dict[str, Any] = {
            "api": fn["api"],
            "region": "cn-hangzhou",
            "accountId": "1234567890",
            "endpoint": endpoint,
            "functionName": fn["function"],
            "qualifier": fn["qualifier"],
            "interval": "5s",
            "credentialsRef": {"name": SECRET_NAME},
        }
        if fn.get("service"):
            spec["serviceName"] = fn["service"]
        watches.append(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "FunctionInstanceWatch",
                "metadata": {"name": name.replace("_", "-"), "namespace": NAMESPACE},
                "spec": spec,
            }
        )
    return watches


def _install(
    api: client.ApiClient, crd_path: str, watches: list[dict[str, Any]], keys: tuple[str, str]
) -> None:
    extensions = client.ApiextensionsV1Api(api)
    crd = yaml.safe_load(Path(crd_path).read_text())
    try:
        extensions.create_custom_resource_definition(crd)
    except ApiException as exc:
        if exc.status != 409:
            raise
    deadline = time.monotonic() + 30
    while True:
        current = extensions.read_custom_resource_definition(crd["metadata"]["name"])
        conditions = current.status.conditions or [] if current.status else []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the CRD did not become Established")
        time.sleep(0.3)
    core = client.CoreV1Api(api)
    _create(
        lambda: core.create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE))
        )
    )
    data: dict[str, bytes | str] = {
        "accessKeyId": base64.b64encode(keys[0].encode()).decode(),
        "accessKeySecret": base64.b64encode(keys[1].encode()).decode(),
    }
    secret = client.V1Secret(metadata=client.V1ObjectMeta(name=SECRET_NAME), data=data)
    _create(lambda: core.create_namespaced_secret(NAMESPACE, secret))
    custom = client.CustomObjectsApi(api)
    for watch in watches:
        _create(
            functools.partial(
                custom.create_namespaced_custom_object, GROUP, VERSION, NAMESPACE, PLURAL, watch
            )
        )


def _create(create: Callable[[], object], timeout: float = 30.0) -> None:
    """Create an object; one that already exists is fine (a re-run on --kubeconfig), a 404
    while a fresh CRD is still being discovered is retried, anything else is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            create()
            return
        except ApiException as exc:
            if exc.status == 409:
                return
            if exc.status != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.3)


@contextlib.contextmanager
def _operator(kubeconfig: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    argv = [
        sys.executable,
        "-m",
        "fcwatch.cli",
        "run",
        "--kubeconfig",
        kubeconfig,
        "--namespace",
        NAMESPACE,
        "--allowed-endpoints",
        "http://127.0.0.1:*",
        "--metrics-port",
        "0",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(args: argparse.Namespace) -> int:
    from fcwatch.fc.simulator import SimulatorThread
    from fcwatch.fc.simulator_config import (
        DEMO_ACCESS_KEY_ID,
        DEMO_ACCESS_KEY_SECRET,
        demo_config_dict,
    )

    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fcwatch-demo-")))
        kubeconfig = args.kubeconfig
        if kubeconfig is None:
            try:
                binaries = localcluster.ensure_binaries(build=True)
            except localcluster.BinariesMissing as exc:
                print(f"fcwatch demo: {exc}", file=sys.stderr)
                return 2
            print("starting a local control plane (kube-apiserver + etcd)...", flush=True)
            cluster = localcluster.start(
                binaries, workdir=workdir / "cluster", die_with_parent=True
            )
            stack.callback(localcluster.stop, cluster)
            kubeconfig = cluster.kubeconfig
        simulator = stack.enter_context(SimulatorThread())
        print(f"FC simulator (demo account) at {simulator.url}", flush=True)
        api = load_api_client(kubeconfig)
        watches = demo_watches(simulator.url, demo_targets(demo_config_dict()))
        _install(api, args.crd, watches, (DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET))
        if args.kubeconfig:
            stack.callback(_remove_demo, api)
        log = workdir / "operator.log"
        operator = stack.enter_context(_operator(kubeconfig, log))
        print(f"operator started (logs: {log}); Ctrl-C to stop\n", flush=True)
        return _show(api, operator, args.duration, args.refresh, log)
    return 0


def _show(
    api: client.ApiClient,
    operator: subprocess.Popen[bytes],
    duration: float,
    every: float,
    log: Path,
) -> int:
    custom = client.CustomObjectsApi(api)
    interactive = sys.stdout.isatty() and not os.environ.get("CI")
    deadline = time.monotonic() + duration if duration else None
    try:
        while deadline is None or time.monotonic() < deadline:
            if operator.poll() is not None:
                print(f"the operator exited ({operator.returncode}); its log:\n{log.read_text()}")
                return 1
            listed = custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL)
            items = cast(dict[str, Any], listed)["items"]
            now = dt.datetime.now(dt.UTC)
            text = table.render(items, now)
            if interactive:
                sys.stdout.write("\x1b[H\x1b[2J")
            print(f"{now:%H:%M:%S}  kubectl get fiw -n {NAMESPACE} -o wide\n{text}\n", flush=True)
            time.sleep(every)
    except KeyboardInterrupt:
        print("\nstopping...")
    return 0


def _remove_demo(api: client.ApiClient) -> None:
    with contextlib.suppress(ApiException):
        client.CoreV1Api(api).delete_namespace(NAMESPACE)

"""`fcwatch cluster up | down | status`: the local control plane from the command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fcwatch import localcluster

EXIT_MISSING_BINARIES = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cluster_command", required=True)
    up = sub.add_parser("up", help="start etcd + kube-apiserver and write a kubeconfig")
    up.add_argument(
        "--build", action="store_true", help="build the binaries from Go modules if absent"
    )
    up.add_argument("--port", type=int, help="preferred apiserver port (another is used if taken)")
    up.add_argument("--workdir", help="directory for etcd data, PKI, logs (default: a temp dir)")
    up.add_argument(
        "--foreground", action="store_true", help="stay attached; Ctrl-C stops the cluster"
    )
    up.set_defaults(handler=cluster_up)
    down = sub.add_parser("down", help="stop the cluster started by `fcwatch cluster up`")
    down.set_defaults(handler=cluster_down)
    status = sub.add_parser("status", help="is the local cluster running, and where")
    status.set_defaults(handler=cluster_status)


def _load_running() -> localcluster.LocalCluster | None:
    path = localcluster.state_file()
    if not path.exists():
        return None
    return localcluster.LocalCluster.from_json(path.read_text())


def cluster_up(args: argparse.Namespace) -> int:
    running = _load_running()
    if running and localcluster.processes_alive(running):
        print(f"already running at {running.server}\nexport KUBECONFIG={running.kubeconfig}")
        return 0
    try:
        binaries = localcluster.ensure_binaries(build=args.build)
    except localcluster.BinariesMissing as exc:
        print(f"fcwatch cluster: {exc}", file=sys.stderr)
        return EXIT_MISSING_BINARIES
    started = time.monotonic()
    try:
        cluster = localcluster.start(
            binaries,
            workdir=Path(args.workdir) if args.workdir else None,
            port=args.port,
            die_with_parent=args.foreground,
        )
    except localcluster.ClusterStartFailed as exc:
        print(f"fcwatch cluster: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"kube-apiserver {localcluster.K8S_VERSION} ready at {cluster.server} in {elapsed:.1f}s")
    print(f"kubeconfig: {cluster.kubeconfig}")
    print(f"export KUBECONFIG={cluster.kubeconfig}")
    if not args.foreground:
        state = localcluster.state_file()
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(cluster.to_json())
        return 0
    try:
        while localcluster.processes_alive(cluster):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        localcluster.stop(cluster)
    return 0


def cluster_down(args: argparse.Namespace) -> int:
    running = _load_running()
    if running is None:
        print("no local cluster recorded; nothing to stop")
        return 0
    localcluster.stop(running)
    localcluster.state_file().unlink(missing_ok=True)
    print(f"stopped the local cluster at {running.server}")
    return 0


def cluster_status(args: argparse.Namespace) -> int:
    running = _load_running()
    if running is None or not localcluster.processes_alive(running):
        print("not running")
        return 1
    ready = "ready" if running.is_ready() else "not ready"
    print(f"{ready} at {running.server}\nexport KUBECONFIG={running.kubeconfig}")
    return 0

"""`fcwatch run`: the operator process (kopf's runner, with fcwatch's settings)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from fcwatch.endpoints import EndpointPolicy
from fcwatch.leader import LeaderElectionSettings
from fcwatch.reconciler import ReconcilerSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="watch only this namespace (repeatable; globs like 'team-*' allowed)",
    )
    scope.add_argument(
        "-A", "--all-namespaces", action="store_true", help="watch every namespace (default)"
    )
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: in-cluster, then KUBECONFIG)"
    )
    parser.add_argument(
        "--liveness",
        metavar="URL",
        help="serve a liveness probe, e.g. http://0.0.0.0:8080/healthz",
    )
    parser.add_argument(
        "--leader-elect",
        action="store_true",
        help="active/standby replicas: poll only while holding a coordination.k8s.io Lease",
    )
    parser.add_argument(
        "--leader-elect-namespace",
        default=os.environ.get("POD_NAMESPACE", "fcwatch-system"),
        help="namespace of the Lease (default: $POD_NAMESPACE, else fcwatch-system)",
    )
    parser.add_argument("--leader-elect-name", default="fcwatch-leader", help="the Lease's name")
    parser.add_argument(
        "--allowed-endpoints",
        action="append",
        default=[],
        metavar="PATTERN",
        help="spec.endpoint overrides to honour (repeatable or comma-separated), e.g. "
        "'http://127.0.0.1:*' or '*.example.internal'; *.fc.aliyuncs.com is always allowed",
    )
    parser.add_argument(
        "--metrics-port", type=int, default=9090, help="Prometheus /metrics port (0: off)"
    )
    parser.add_argument(
        "--status-heartbeat",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="write status at least this often even when nothing changed (lastSyncTime)",
    )
    parser.add_argument(
        "--fc-rate",
        type=float,
        default=10.0,
        help="FC calls per second per account and region (token bucket rate)",
    )
    parser.add_argument("--fc-burst", type=float, default=20.0, help="token bucket size")
    parser.add_argument("--concurrency", type=int, default=32, help="polls in flight at most")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("-v", "--verbose", action="store_true", help="more logs")
    parser.add_argument("--debug", action="store_true", help="kopf's debug logs too")
    parser.set_defaults(handler=run)


def settings_from(args: argparse.Namespace) -> ReconcilerSettings:
    patterns = [
        p.strip() for value in args.allowed_endpoints for p in value.split(",") if p.strip()
    ]
    return ReconcilerSettings(
        endpoint_policy=EndpointPolicy.parse(patterns),
        heartbeat_seconds=args.status_heartbeat,
        fc_rate_per_endpoint=args.fc_rate,
        fc_burst_per_endpoint=args.fc_burst,
        concurrency=args.concurrency,
    )


def run(args: argparse.Namespace) -> int:
    import kopf

    from fcwatch import handlers  # registers the handlers

    try:
        settings = settings_from(args)
    except ValueError as exc:
        print(f"fcwatch run: {exc}", file=sys.stderr)
        return 2
    log_format = kopf.LogFormat.JSON if args.log_format == "json" else kopf.LogFormat.PLAIN
    kopf.configure(verbose=args.verbose, debug=args.debug, log_format=log_format)
    if not args.verbose and not args.debug:
        logging.getLogger("kubernetes").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    runtime = handlers.Runtime(
        settings=settings,
        kubeconfig=args.kubeconfig,
        metrics_port=args.metrics_port,
        leader_election=LeaderElectionSettings(
            namespace=args.leader_elect_namespace, name=args.leader_elect_name
        )
        if args.leader_elect
        else None,
    )
    namespaces = args.namespace
    asyncio.run(
        kopf.operator(
            clusterwide=not namespaces,
            namespaces=namespaces,
            standalone=True,  # no kopf peering: see fcwatch.leader for why, and --leader-elect
            liveness_endpoint=args.liveness,
            memo=kopf.Memo(runtime=runtime),
        )
    )
    return 0

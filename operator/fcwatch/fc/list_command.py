"""``fcwatch list-instances``: one ListInstances call with the operator's client, printed.

Credentials come from the environment (``ALIBABA_CLOUD_ACCESS_KEY_ID``,
``ALIBABA_CLOUD_ACCESS_KEY_SECRET``, ``ALIBABA_CLOUD_SECURITY_TOKEN``). Exit codes: 0 success,
1 FC error (one line on stderr: kind, status, code, message, request id), 2 usage or credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from fcwatch.fc.client import FCClient, RetryPolicy
from fcwatch.fc.credentials import Credentials, CredentialsError, credentials_from_env
from fcwatch.fc.model import FCError, FCTarget, ListInstancesResult, default_endpoint
from fcwatch.fc.request_builder import build_request

PROG = "fcwatch list-instances"


class UsageError(ValueError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", choices=("fc2", "fc3"), default="fc2", help="default fc2")
    parser.add_argument("--region", help="e.g. cn-hangzhou (with --account-id)")
    parser.add_argument("--account-id", help="Alibaba Cloud account id (with --region)")
    parser.add_argument("--internal", action="store_true", help="use the VPC-internal endpoint")
    parser.add_argument("--endpoint", help="scheme://host[:port], instead of region/account id")
    parser.add_argument("--service", help="service name (fc2)")
    parser.add_argument("--function", required=True, help="function name")
    parser.add_argument("--qualifier", default="LATEST", help="version or alias (default LATEST)")
    parser.add_argument("--limit", type=int, default=100, help="0..100 (default 100)")
    parser.add_argument(
        "--instance-id", action="append", default=[], help="only these instances (repeatable)"
    )
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per attempt")
    parser.set_defaults(handler=run)


def target_from_args(args: argparse.Namespace) -> FCTarget:
    """The FCTarget the flags describe; ``UsageError`` if they describe none."""
    if args.endpoint:
        endpoint = args.endpoint.rstrip("/")
    elif args.region and args.account_id:
        endpoint = default_endpoint(args.account_id, args.region, internal=args.internal)
    else:
        raise UsageError("give --endpoint, or both --region and --account-id")
    if args.api == "fc2" and not args.service:
        raise UsageError("--service is required with --api fc2")
    target = FCTarget(
        api=args.api,
        endpoint=endpoint,
        function_name=args.function,
        qualifier=args.qualifier,
        service_name=args.service if args.api == "fc2" else None,
        instance_ids=tuple(args.instance_id),
        limit=args.limit,
    )
    try:
        build_request(target)
    except FCError as exc:
        raise UsageError(exc.message) from None
    return target


def _created(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_table(result: ListInstancesResult) -> str:
    detailed = any(i.status or i.created_time_ms or i.qualifier for i in result.instances)
    header = ["INSTANCE ID", "VERSION"] + (["STATUS", "QUALIFIER", "CREATED"] if detailed else [])
    rows = [header]
    for i in result.instances:
        row = [i.instance_id, i.version_id]
        if detailed:
            row += [i.status or "", i.qualifier or "", _created(i.created_time_ms)]
        rows.append(row)
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    count = len(result.instances)
    lines.append(
        f"{count} instance{'s' if count != 1 else ''}; request id {result.request_id or '-'}"
    )
    return "\n".join(lines)


def format_json(result: ListInstancesResult) -> str:
    instances = []
    for i in result.instances:
        doc: dict[str, object] = {"instanceId": i.instance_id, "versionId": i.version_id}
        for key, value in (
            ("status", i.status),
            ("createdTimeMs", i.created_time_ms),
            ("qualifier", i.qualifier),
        ):
            if value is not None:
                doc[key] = value
        instances.append(doc)
    return json.dumps({"requestId": result.request_id, "instances": instances}, indent=2)


def format_error(error: FCError) -> str:
    return f"{PROG}: {error.kind}: {error}"


async def _call(target: FCTarget, credentials: Credentials, timeout: float) -> ListInstancesResult:
    async with FCClient(timeout=timeout, retry=RetryPolicy(max_attempts=3)) as client:
        return await client.list_instances(target, credentials)


def run(args: argparse.Namespace) -> int:
    try:
        target = target_from_args(args)
        credentials = credentials_from_env(os.environ)
    except (UsageError, CredentialsError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(_call(target, credentials, args.timeout))
    except FCError as exc:
        print(format_error(exc), file=sys.stderr)
        return 1
    print(format_json(result) if args.output == "json" else format_table(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

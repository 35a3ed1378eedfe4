"""``fcwatch simulator``: serve the local FC + STS simulator until interrupted.

Also runnable without the full CLI: ``python -m fcwatch.fc.simulator_command --port 0
--ready-file /tmp/sim.json`` (the e2e tests and ``fcwatch demo`` start it so). Once listening it
prints the URL and writes the ready file: ``{"url", "pid", "accounts": [{"accountId",
"accessKeyIds"}], "demoCredentials"?: {"accessKeyId", "accessKeySecret"}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from fcwatch.fc.simulator import Simulator
from fcwatch.fc.simulator_config import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    ConfigError,
    SimulatorConfig,
    demo_config,
    load_config,
)

DEFAULT_PORT = 9880
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port, 0 = any free (default {DEFAULT_PORT})",
    )
    parser.add_argument("--config", help="YAML/JSON config file (default: the demo account)")
    parser.add_argument("--ready-file", help="write {url, pid, accounts} here once listening")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    parser.set_defaults(handler=run)


def ready_document(url: str, config: SimulatorConfig, demo: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "url": url,
        "pid": os.getpid(),
        "accounts": [
            {"accountId": a.account_id, "accessKeyIds": [k.access_key_id for k in a.keys]}
            for a in config.accounts
        ],
    }
    if demo:
        doc["demoCredentials"] = {
            "accessKeyId": DEMO_ACCESS_KEY_ID,
            "accessKeySecret": DEMO_ACCESS_KEY_SECRET,
        }
    return doc


def banner(url: str, config: SimulatorConfig, demo: bool) -> str:
    lines = [
        f"fcwatch simulator listening on {url}",
        "  fc2: GET /2016-08-15/services/{service}.{qualifier}/functions/{function}/instances",
        "  fc3: GET /2023-03-30/functions/{function}/instances?qualifier=...",
        "  sts: /?Action=AssumeRoleWithOIDC   admin: /_admin/state, /_admin/faults, ...",
    ]
    for account in config.accounts:
        ids = ", ".join(k.access_key_id for k in account.keys) or "(none)"
        lines.append(f"  account {account.account_id}: access key ids {ids}")
    if demo:
        lines += [
            "  demo credentials (well-known, for this simulator only):",
            f"    export ALIBABA_CLOUD_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID}",
            f"    export ALIBABA_CLOUD_ACCESS_KEY_SECRET={DEMO_ACCESS_KEY_SECRET}",
            f"    fcwatch list-instances --endpoint {url} --service shop --function checkout "
            "--qualifier prod",
        ]
    return "\n".join(lines)


async def serve(args: argparse.Namespace, config: SimulatorConfig, demo: bool) -> None:
    access_log = logging.getLogger("aiohttp.access") if args.verbose else None
    simulator = Simulator(config, access_log=access_log)
    url = await simulator.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(banner(url, config, demo), flush=True)
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(json.dumps(ready_document(url, config, demo)), encoding="utf-8")
        tmp.replace(args.ready_file)
    try:
        await stop.wait()
    finally:
        await simulator.stop()


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config) if args.config else demo_config()
    except (OSError, ConfigError) as exc:
        print(f"fcwatch simulator: {exc}", file=sys.stderr)
        return 2
    if args.host not in LOOPBACK:
        print(
            "fcwatch simulator: warning: the admin API has no authentication and this address "
            "is not loopback",
            file=sys.stderr,
        )
    try:
        asyncio.run(serve(args, config, demo=args.config is None))
    except OSError as exc:
        print(
            f"fcwatch simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fcwatch simulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

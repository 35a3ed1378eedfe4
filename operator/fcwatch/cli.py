"""`fcwatch` command line: run | demo | simulator | cluster | list-instances.

Only argument parsing and dispatch live here; each command's work is in its own module,
imported lazily so `fcwatch cluster` does not pay for kopf's import.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fcwatch", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    from fcwatch.fc import list_command, simulator_command

    list_command.add_arguments(
        sub.add_parser("list-instances", help="call ListInstances once and print the result")
    )
    simulator_command.add_arguments(
        sub.add_parser("simulator", help="serve a local Function Compute + STS simulator")
    )
    from fcwatch import localcluster_command

    localcluster_command.add_arguments(
        sub.add_parser("cluster", help="local kube-apiserver + etcd for demos and tests")
    )
    from fcwatch import run_command

    run_command.add_arguments(sub.add_parser("run", help="run the operator"))
    from fcwatch import demo

    demo.add_arguments(sub.add_parser("demo", help="the whole thing, locally, in one command"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

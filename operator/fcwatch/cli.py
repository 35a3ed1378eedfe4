"""`fcwatch` command line: run | demo | simulator | cluster | list-instances.

Only argument parsing and dispatch live here; each command's work is in its own module
(kopf itself is imported only by `fcwatch run`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fcwatch import demo, localcluster_command, run_command
from fcwatch.fc import list_command, simulator_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fcwatch", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_command.add_arguments(sub.add_parser("run", help="run the operator"))
    demo.add_arguments(sub.add_parser("demo", help="the whole thing, locally, in one command"))
    simulator_command.add_arguments(
        sub.add_parser("simulator", help="serve a local Function Compute + STS simulator")
    )
    localcluster_command.add_arguments(
        sub.add_parser("cluster", help="local kube-apiserver + etcd for demos and tests")
    )
    list_command.add_arguments(
        sub.add_parser("list-instances", help="call ListInstances once and print the result")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

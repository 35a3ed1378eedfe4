"""fcwatch benchmarks: print figures with their baselines side by side. Nothing here asserts on
time; these are single runs on whatever machine runs them.

    .venv/bin/python bench/run.py              # full run (~2.7 min on a 2-core machine)
    .venv/bin/python bench/run.py --quick      # small run (~25 s)
    .venv/bin/python bench/run.py --watches 2000 --only fleet

See bench/README.md for what each benchmark measures.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings

import bench_fleet
import bench_scheduling
import bench_signing
from common import machine_info

BENCHES = ("sched", "fleet", "sign")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (~25 s)")
    parser.add_argument(
        "--watches",
        type=int,
        help="watches in the fleet benchmarks and keys in the scheduling one "
        "(default: 10,000; --quick: 1,000 watches, 10,000 keys)",
    )
    parser.add_argument("--targets", type=int, help="distinct targets (default: watches / 20)")
    parser.add_argument(
        "--only",
        default=",".join(BENCHES),
        help=f"comma-separated subset of {','.join(BENCHES)} (default: all)",
    )
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(BENCHES)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
    watches = args.watches or (1_000 if args.quick else 10_000)
    keys = args.watches or 10_000
    targets = args.targets or max(1, watches // 20)
    if not 1 <= targets <= watches:
        parser.error("--targets must be between 1 and --watches")

    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore", DeprecationWarning)
    started = time.perf_counter()
    print("fcwatch benchmarks" + (" (--quick)" if args.quick else ""))
    print(machine_info())
    print(
        "Single-run figures on a small, shared, noisy machine (other jobs may be running): "
        "compare the columns of one table, not runs across days."
    )
    if "sched" in only:
        if args.quick:
            bench_scheduling.run(keys, seconds=3.0, traced_seconds=1.5)
        else:
            bench_scheduling.run(keys, seconds=6.0, traced_seconds=3.0)
            bench_scheduling.cancel_check(keys, seconds=8.0)
    if "fleet" in only:
        plan = bench_fleet.Plan(
            watches=watches,
            targets=targets,
            steady_rounds=7,
            churn=((0.01, 2), (0.10, 2)) if args.quick else ((0.01, 3), (0.10, 3)),
            baseline_rounds=2 if args.quick else 3,
        )
        bench_fleet.run(plan)
    if "sign" in only:
        bench_signing.run(budget=0.3 if args.quick else 0.6)
    print(f"\n(total {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks 2 and 3: N watches over M distinct targets through the real Reconciler, FCClient
and in-process Simulator (see fleet.py for how polls are driven in virtual time).

2. Shared identical targets: FC requests the simulator saw with fcwatch's sharing (default
   ``share_fraction=0.9``: single-flight plus reuse of a result younger than 0.9 x interval) vs
   ``share_fraction=0.0`` (no reuse; single-flight of calls in flight at once remains), over the
   same number of rounds, and vs a naive one-call-per-poll (= polls, counted, not run).
3. Status writes: PATCHes fcwatch makes (needs_write + heartbeat) vs a naive writer that
   PATCHes on every poll (= polls), with the instance sets unchanged, then with x% of the
   targets changing one instance at the start of each round.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from common import heading, ratio, table
from fleet import Fleet, WindowStats

HEARTBEAT_SECONDS = 300.0  # ReconcilerSettings' default, kept


@dataclass
class Plan:
    watches: int
    targets: int
    steady_rounds: int  # rounds with unchanged instance sets (first round included)
    churn: tuple[tuple[float, int], ...]  # (fraction of targets changed per round, rounds)
    baseline_rounds: int  # rounds of the share_fraction=0.0 run
    interval: float = 60.0


def _sum(stats: list[WindowStats], attr: str) -> float:
    return float(sum(getattr(s, attr) for s in stats))


Churned = list[tuple[float, int, WindowStats]]  # (fraction, targets changed, stats)


async def _fleet_runs(plan: Plan) -> tuple[list[WindowStats], Churned, list[WindowStats]]:
    async with Fleet(plan.watches, plan.targets, 0.9, interval_seconds=plan.interval) as fleet:
        steady = [await fleet.window() for _ in range(plan.steady_rounds)]
        churned: Churned = []
        for fraction, rounds in plan.churn:
            for _ in range(rounds):
                changed = fleet.churn(fraction)
                churned.append((fraction, changed, await fleet.window()))
    async with Fleet(plan.watches, plan.targets, 0.0, interval_seconds=plan.interval) as fleet:
        baseline = [await fleet.window() for _ in range(plan.baseline_rounds)]
    return steady, churned, baseline


def run(plan: Plan) -> None:
    steady, churned, baseline = asyncio.run(_fleet_runs(plan))
    per_target = plan.watches / plan.targets
    print(
        heading(
            f"2. Shared identical targets: {plan.watches:,} watches over {plan.targets:,} "
            f"targets ({per_target:g} per target)"
        )
    )
    print(
        f"Real Reconciler + FCClient + in-process Simulator; in-memory Kubernetes. interval "
        f"{plan.interval:g}s (+-10% jitter), concurrency 32, targets alternate fc2/fc3. A round "
        "= one interval of virtual time (each watch polls about once); first polls spread "
        "over the first round. FC calls = the simulator's /_admin/requests total."
    )
    rounds = plan.baseline_rounds
    shared = steady[:rounds]

    def row(label: str, stats: list[WindowStats]) -> list[object]:
        polls, calls = _sum(stats, "polls"), _sum(stats, "fc_calls")
        later = stats[1:] or stats
        return [
            label,
            int(polls),
            int(calls),
            calls / polls,
            stats[0].fc_calls / plan.targets,
            _sum(later, "fc_calls") / len(later) / plan.targets,
            stats[0].wall,
            _sum(later, "wall") / len(later),
            _sum(stats, "cpu") / polls * 1000,
            _sum(stats, "sim_seconds") / (_sum(stats, "wall") or 1.0) * 100,
        ]

    rows = [
        row("fcwatch (share_fraction=0.9)", shared),
        row("share_fraction=0.0", baseline),
    ]
    naive_polls = _sum(baseline, "polls")
    rows.append(
        [
            "naive: 1 call per poll",
            int(naive_polls),
            int(naive_polls),
            1.0,
            baseline[0].polls / plan.targets,
            _sum(baseline[1:] or baseline, "polls") / len(baseline[1:] or baseline) / plan.targets,
            "",
            "",
            "",
            "",
        ]
    )
    a, b, c = rows
    rows.append(
        [
            "ratio fcwatch / share 0.0",
            "",
            ratio(a[2], b[2]),
            ratio(a[3], b[3]),
            ratio(a[4], b[4]),
            ratio(a[5], b[5]),
            ratio(a[6], b[6]),
            ratio(a[7], b[7]),
            ratio(a[8], b[8]),
            "",
        ]
    )
    rows.append(
        [
            "ratio fcwatch / naive",
            "",
            ratio(a[2], c[2]),
            ratio(a[3], c[3]),
            ratio(a[4], c[4]),
            ratio(a[5], c[5]),
            "",
            "",
            "",
            "",
        ]
    )
    print(f"over the same {rounds} rounds:")
    print(
        table(
            [
                "variant",
                "polls",
                "FC calls",
                "calls/poll",
                "calls/target: round 1",
                "later rounds",
                "round 1 s",
                "later rounds s",
                "CPU ms/poll",
                "in sim handlers %",
            ],
            rows,
        )
    )
    print(
        "'round 1 s' / 'later rounds s': wall time of a round (this process does the "
        "operator's work and the simulator's; 'in sim handlers %' is the part inside the "
        "simulator's request handlers, aiohttp's own request parsing not included). "
        "share_fraction=0.0 still makes fewer calls than polls: single-flight shares calls "
        "that are in flight at the same time (up to 32 polls in flight)."
    )

    print(
        heading(
            f"3. Status writes: {plan.watches:,} watches, heartbeat {HEARTBEAT_SECONDS:g}s, "
            f"interval {plan.interval:g}s"
        )
    )
    print(
        "Same fleet as 2 (fcwatch, share_fraction=0.9), continued: first unchanged instance "
        "sets, then x% of the targets change one instance at the start of each round. Naive "
        "writer = one PATCH per poll."
    )
    rows = []
    for i, s in enumerate(steady, 1):
        rows.append(_write_row(f"{i}: unchanged", s))
    for number, (fraction, changed, s) in enumerate(churned, len(steady) + 1):
        rows.append(_write_row(f"{number}: {fraction * 100:g}% ({changed}) targets change", s))
    print(
        table(
            [
                "round",
                "polls",
                "naive PATCHes",
                "fcwatch PATCHes",
                "pending",
                "change",
                "heartbeat",
                "PATCHes/poll",
                "PATCH KiB",
                "Events",
            ],
            rows,
        )
    )
    phases: list[tuple[str, list[WindowStats]]] = [("round 1 (new watches)", steady[:1])]
    if steady[1:]:
        phases.append((f"rounds 2-{len(steady)}: unchanged", steady[1:]))
    first = len(steady) + 1
    for fraction in sorted({f for f, _, _ in churned}):
        group = [s for f, _, s in churned if f == fraction]
        last = first + len(group) - 1
        phases.append((f"rounds {first}-{last}: {fraction * 100:g}% change", group))
        first = last + 1
    summary = []
    for label, group in phases:
        polls, patches = _sum(group, "polls"), _sum(group, "patches")
        summary.append(
            [
                label,
                int(polls),
                int(patches),
                *(int(sum(s.why.get(w, 0) for s in group)) for w in ("change", "heartbeat")),
                patches / polls,
                ratio(polls, patches),
            ]
        )
    print(
        table(
            [
                "phase",
                "polls = naive PATCHes",
                "fcwatch PATCHes",
                "change",
                "heartbeat",
                "PATCHes/poll",
                "naive/fcwatch",
            ],
            summary,
        )
    )
    made = sum(n for _, n, _ in churned) * per_target
    seen = sum(s.why.get("change", 0) for _, _, s in churned)
    print(
        f"A heartbeat is due {HEARTBEAT_SECONDS:g}s after the last write, i.e. about every "
        f"{HEARTBEAT_SECONDS / plan.interval:g} polls of an unchanged watch (see the heartbeat "
        "column: the cycles overlap the churn rounds too). Churn rounds: a watch sees a "
        "change when it reads a result fetched after it, and shared results may be up to "
        "0.9 x interval old, so some of a change's writes "
        f"land a round later: {int(seen):,} change writes in the churn rounds for "
        f"{made:,.0f} watch-changes made."
    )


def _write_row(label: str, s: WindowStats) -> list[object]:
    return [
        label,
        s.polls,
        s.polls,
        s.patches,
        int(s.why.get("pending", 0)),
        int(s.why.get("change", 0)),
        int(s.why.get("heartbeat", 0)),
        s.patches / max(1, s.polls),
        s.patch_bytes / 1024,
        s.events,
    ]

"""`kubectl get fiw -o wide`-style rendering of watches (pure), for `fcwatch demo`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

COLUMNS = (
    "NAMESPACE",
    "NAME",
    "SERVICE",
    "FUNCTION",
    "QUALIFIER",
    "INSTANCES",
    "READY",
    "REASON",
    "VERSIONS",
    "LAST SYNC",
    "AGE",
)


def human_age(then: str | None, now: dt.datetime) -> str:
    """kubectl's short duration: 45s, 3m10s, 2h5m, 4d."""
    if not then:
        return "<none>"
    try:
        stamp = dt.datetime.fromisoformat(then.replace("Z", "+00:00"))
    except ValueError:
        return "<invalid>"
    seconds = max(0, int((now - stamp).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 10:
        return f"{minutes}m{seconds}s" if seconds else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes}m" if minutes and hours < 8 else f"{hours}h"
    return f"{hours // 24}d"


def _ready(status: Mapping[str, Any]) -> tuple[str, str]:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            return str(condition.get("status", "")), str(condition.get("reason", ""))
    return "", ""


def row(obj: Mapping[str, Any], now: dt.datetime) -> tuple[str, ...]:
    meta, spec, status = obj.get("metadata", {}), obj.get("spec", {}), obj.get("status") or {}
    ready, reason = _ready(status)
    count = status.get("instanceCount")
    return (
        str(meta.get("namespace", "")),
        str(meta.get("name", "")),
        str(spec.get("serviceName") or ""),
        str(spec.get("functionName", "")),
        str(spec.get("qualifier", "")),
        "" if count is None else str(count),
        ready,
        reason,
        str(status.get("versionSummary") or ""),
        human_age(status.get("lastSyncTime"), now) if status.get("lastSyncTime") else "",
        human_age(meta.get("creationTimestamp"), now),
    )


def render(objects: Iterable[Mapping[str, Any]], now: dt.datetime) -> str:
    rows = [COLUMNS, *sorted(row(obj, now) for obj in objects)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip()
        for r in rows
    )

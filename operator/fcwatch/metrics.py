"""Prometheus metrics: per watch (instances, readiness) and per FC call (outcome, latency).

Label sets are bounded: per-watch series carry namespace and name and are removed when the
watch is deleted; per-call series carry api, region and an outcome (an FC error code or "ok").
"""

from __future__ import annotations

import contextlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

WATCH_LABELS = ("namespace", "name")

watch_instances = Gauge(
    "fcwatch_watch_instances",
    "Instances FC last reported for the watch",
    WATCH_LABELS,
    registry=REGISTRY,
)
watch_version_instances = Gauge(
    "fcwatch_watch_version_instances",
    "Instances FC last reported for the watch, per function version",
    (*WATCH_LABELS, "version"),
    registry=REGISTRY,
)
watch_ready = Gauge(
    "fcwatch_watch_ready",
    "1 when the watch's Ready condition is True, else 0",
    WATCH_LABELS,
    registry=REGISTRY,
)
watch_last_sync = Gauge(
    "fcwatch_watch_last_sync_timestamp_seconds",
    "Unix time of the watch's last successful ListInstances",
    WATCH_LABELS,
    registry=REGISTRY,
)
polls = Counter(
    "fcwatch_polls_total",
    "Polls of watches, by result (a condition reason)",
    ("reason",),
    registry=REGISTRY,
)
fc_requests = Counter(
    "fcwatch_fc_requests_total",
    "ListInstances calls made to FC (after sharing), by api, region and outcome",
    ("api", "region", "outcome"),
    registry=REGISTRY,
)
fc_request_seconds = Histogram(
    "fcwatch_fc_request_duration_seconds",
    "ListInstances call latency, retries included",
    ("api", "region"),
    registry=REGISTRY,
)
fc_shared = Counter(
    "fcwatch_fc_shared_total",
    "Polls answered by an identical target's call instead of a call of their own",
    registry=REGISTRY,
)
status_writes = Counter(
    "fcwatch_status_writes_total",
    "PATCHes of /status, by why",
    ("why",),
    registry=REGISTRY,
)
events_suppressed = Counter(
    "fcwatch_events_suppressed_total",
    "Events not posted because a watch exceeded its event budget (status still updated)",
    registry=REGISTRY,
)
watches = Gauge("fcwatch_watches", "Watches the operator currently tracks", registry=REGISTRY)


def forget_watch(namespace: str, name: str, versions: list[str]) -> None:
    for gauge in (watch_instances, watch_ready, watch_last_sync):
        with contextlib.suppress(KeyError):
            gauge.remove(namespace, name)
    for version in versions:
        with contextlib.suppress(KeyError):
            watch_version_instances.remove(namespace, name, version)


def serve(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from the pod IP
    start_http_server(port, addr=host, registry=REGISTRY)
